"""Dialer cost per call: N calls through the real engine, AMI adapter and PBX simulator over loopback TCP.

Run by hand (never from the tests):

    .venv/bin/python -m bench.engine_calls --calls 2000
    .venv/bin/python -m bench.engine_calls --calls 2000 --backend postgresql          # throwaway server
    .venv/bin/python -m bench.engine_calls --calls 2000 --backend postgresql --url postgresql+psycopg://…
    .venv/bin/python -m bench.engine_calls --calls 500 --profile /tmp/calls.prof     # cProfile of the loop

The demo's sample campaign (fr-consumer, script, generated leads) on a scratch database, `--agents` simulated
agents who book RDV sheets (`rdv.sim_agents`), the embedded simulator on a ScaledClock from a Monday 14:00 in
Paris. Reported: process CPU per ended call (every thread: event loop, AMI listener, executor), split into the
main stages (thread CPU of the synchronous calls, measured by wrappers), SQL statements per call (a
`before_cursor_execute` counter), commits per call and calls per wall second.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from config.clock import ScaledClock
from dialer import engine as engine_module
from dialer import outcome_sink
from dialer.ami import AmiOptions, AmiPbx
from dialer.campaign_view import queue_name
from dialer.engine import Engine, EngineSettings
from dialer.simulator import PbxSimulator
from rdv.bootstrap import App
from rdv.demo import demo_settings, setup_sample, start_sample_campaign
from rdv.sim_agents import SimulatedQualification

START = datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
LOOPBACK = AmiOptions(ping_interval_s=1.0, ping_timeout_s=2.0, backoff_initial_s=0.05, backoff_max_s=1.0)


class Stages:
    """Thread CPU (seconds) and calls of wrapped synchronous functions, outermost call only per stage."""

    def __init__(self, statements: Counter[str]) -> None:
        self.cpu: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        self.sql: Counter[str] = Counter()
        self._statements = statements
        self._depth: Counter[str] = Counter()

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth[stage]:
                return original(*args, **kwargs)
            self._depth[stage] += 1
            began, issued = time.thread_time(), self._statements["sql"]
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu[stage] = self.cpu.get(stage, 0.0) + time.thread_time() - began
                self.sql[stage] += self._statements["sql"] - issued
                self.calls[stage] += 1
                self._depth[stage] -= 1

        setattr(owner, name, timed)


def instrument(stages: Stages) -> None:
    stages.wrap(engine_module, "claim_leads", "hopper claim")
    stages.wrap(engine_module, "start_attempt", "start_attempt")
    stages.wrap(engine_module.Engine, "fold", "fold (events stored, call ends)")
    stages.wrap(outcome_sink, "finish_attempt", "  of which finish_attempt")
    stages.wrap(outcome_sink.store, "record_transitions", "  of which transitions and measures")
    stages.wrap(SimulatedQualification, "__call__", "  of which sim agents' dispositions")


def thread_cpu() -> dict[str, float]:
    """CPU seconds of every live thread of this process, by name."""
    found: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            name = thread.name.split(":")[0].split("-")[0]
            found[name] = found.get(name, 0.0) + time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:
            continue  # the thread ended between the listing and the reading: nothing to count
    return dict(found)


async def run(args: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    settings = demo_settings(folder)
    if url:
        from dataclasses import replace

        settings = replace(settings, database_url=url)
    app = App(settings=settings, durable=False)
    clock = ScaledClock(START, scale=args.scale)
    app.clock = clock
    sample = setup_sample(app, folder, seed=11, count=args.leads)
    campaign_id = sample.campaign.id
    start_sample_campaign(app, campaign_id, clock.now())
    statements = Counter[str]()
    event.listen(app.engine, "before_cursor_execute",
                 lambda *a, **k: statements.update(["sql"]))  # fmt: skip
    event.listen(app.engine, "commit", lambda *a: statements.update(["commit"]))

    simulator = PbxSimulator(clock, seed=args.seed, username=settings.ami_username, secret=settings.ami_secret,
                             queues=[queue_name(campaign_id)])
    await simulator.start()
    pbx = AmiPbx("127.0.0.1", simulator.port, settings.ami_username, settings.ami_secret, clock, LOOPBACK)
    await pbx.connect()
    logins = [f"agent{n}" for n in range(1, args.agents + 1)]
    model = SimulatedQualification(app.sessions, args.seed, settings.centre_timezone, logins)
    engine = Engine(clock, pbx, app.sessions, [campaign_id], "bench",
                    settings=EngineSettings(tick_s=args.tick, centre_timezone=settings.centre_timezone))
    engine.on_call_finished(model)
    await engine.start()
    for n, login in enumerate(logins, start=1):
        await engine.log_in(login, campaign_id, f"Agent {n}")

    def ended() -> int:
        return sum(v for k, v in engine.counters.items() if k.startswith("outcome_"))

    stages = Stages(statements)
    instrument(stages)
    statements.clear()
    profiler = cProfile.Profile() if args.profile else None
    threads_before = thread_cpu()
    cpu0, wall0, main0, sim0 = time.process_time(), time.perf_counter(), time.thread_time(), clock.now()
    if profiler:
        profiler.enable()
    task = asyncio.create_task(engine.run())
    while ended() < args.calls:
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    if profiler:
        profiler.disable()
    cpu, wall, main = time.process_time() - cpu0, time.perf_counter() - wall0, time.thread_time() - main0
    threads = {k: v - threads_before.get(k, 0.0) for k, v in thread_cpu().items() if k != "MainThread"}
    calls, sim_hours = ended(), (clock.now() - sim0).total_seconds() / 3600
    sql, commits = statements["sql"], statements["commit"]
    engine.dialing = False
    await engine.stop(drain_timeout=900)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await pbx.close()
    await simulator.stop()
    app.close()
    if profiler:
        profiler.dump_stats(args.profile)
        _print_profile(profiler)
    outcomes = {k.removeprefix("outcome_"): v for k, v in sorted(engine.counters.items()) if k.startswith("outcome_")}
    return {
        "backend": app.engine.dialect.name if "engine" in app.__dict__ else "?",
        "calls": calls, "wall_s": round(wall, 2), "calls_per_s": round(calls / wall, 1),
        "cpu_ms_per_call": round(1000 * cpu / calls, 2), "cpu_share_of_wall": round(cpu / wall, 2),
        "main_thread_ms_per_call": round(1000 * main / calls, 2),
        "other_threads_ms_per_call": {k: round(1000 * v / calls, 2) for k, v in sorted(threads.items()) if v > 0.01},
        "stages_ms_per_call": {k: round(1000 * v / calls, 2) for k, v in stages.cpu.items()},
        "sql_per_call": round(sql / calls, 1), "commits_per_call": round(commits / calls, 1),
        "stages_sql_per_call": {k: round(v / calls, 1) for k, v in stages.sql.items()},
        "simulated_hours": round(sim_hours, 2), "outcomes": outcomes,
        "dispositions": sum(model.recorded.values()),
    }


def _print_profile(profiler: cProfile.Profile) -> None:
    """Main-thread self time by package, then the top functions by cumulative time."""
    stats = pstats.Stats(profiler)
    by_area: Counter[str] = Counter()
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        by_area[_area(filename)] += tottime
    total = sum(by_area.values()) or 1.0
    print("main-thread self time by area (cProfile):", file=sys.stderr)
    for area, seconds in by_area.most_common(15):
        print(f"  {100 * seconds / total:5.1f} %  {area}", file=sys.stderr)
    stats.sort_stats("cumulative").print_stats(35)


def _area(filename: str) -> str:
    for marker in ("/sqlalchemy/", "/asyncio/", "/psycopg/", "/dialer/simulator/", "/dialer/", "/campaigns/",
                   "/leads/", "/rdv/", "/config/"):
        if marker in filename:
            return marker.strip("/")
    return "builtins" if filename == "~" else "other"


def _postgres_url() -> tuple[str, Callable[[], None]]:
    from tests.pgserver import PostgresServer

    server = PostgresServer.start()
    return server.url, server.stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--leads", type=int, default=0, help="default: calls × 1.5")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--scale", type=float, default=200.0, help="clock seconds per wall second")
    parser.add_argument("--tick", type=float, default=2.0, help="engine tick, clock seconds (the demo's)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="", help="a PostgreSQL URL (empty database); default: a throwaway server")
    parser.add_argument("--switch-interval", type=float, default=0.0, help="sys.setswitchinterval, s (0: keep)")
    parser.add_argument("--profile", default="", metavar="FILE", help="cProfile the main thread into FILE")
    args = parser.parse_args(argv)
    args.leads = args.leads or int(args.calls * 1.5)
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    stop: Callable[[], None] = lambda: None  # noqa: E731
    url = args.url
    if args.backend == "postgresql" and not url:
        url, stop = _postgres_url()
    try:
        with tempfile.TemporaryDirectory(prefix="rdv-bench-") as folder:
            result = asyncio.run(run(args, url, Path(folder)))
    finally:
        stop()
    result["switch_interval_s"] = sys.getswitchinterval()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
