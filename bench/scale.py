"""Load test: dialer processes, simulated PBXs and millions of leads on one tuned PostgreSQL (issue 16).

Run by hand (never from the tests; tests/bench/test_scale.py runs it tiny), smaller first:

    .venv/bin/python -m bench.scale --leads 200000 --seconds 120
    .venv/bin/python -m bench.scale --leads 10000000 --pbxs 4 --agents 200 --seconds 300 --json

A throwaway PostgreSQL with the tuning of bench/scale_db.py gets a running fr-consumer campaign and `--leads`
leads (COPY); `--pbxs` simulated PBXs answer little (`--answer-factor` times the default answer rates), so that
predictive pacing keeps several lines per agent ringing; the dialers of `scale_procs.topology` log in
`--agents` simulated agents between them and dial on a clock `--clock-scale` times faster than the wall. Once
every dialer has dialled, the figures are taken over `--seconds` wall seconds; then everything stops.
A scaled clock makes every call event and claim come `--clock-scale` times as often: the load is that of
agents × scale agents working in real time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench import scale_db, scale_procs
from bench.scale_figures import Snapshot, calls_figures, snapshot, table
from dialer.campaign_view import queue_name
from rdv import db
from tests.rdv.service_harness import MONDAY_3PM

DEADLINE_S = 120.0


def _until(condition: Callable[[], bool], what: str, procs: list[scale_procs.Proc]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        for proc in procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited before {what}:\n{proc.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not reached in {DEADLINE_S:.0f} s")
        time.sleep(0.5)


def _dialled_by_all(engine: Engine, dialers: list[str]) -> Callable[[], bool]:
    def check() -> bool:
        with engine.connect() as conn:
            seen = set(conn.scalars(text("SELECT DISTINCT dialer_id FROM attempts WHERE dialer_id <> 'bench'")))
        return set(dialers) <= seen

    return check


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (0 when nothing was timed)."""
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "count": 0}
    ordered = sorted(values)
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": ordered[int(len(ordered) * 0.95)] * 1000,
            "count": len(ordered)}  # fmt: skip


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start everything, take the figures over `args.seconds`, stop everything; the report as a dict."""
    server = scale_db.start_server()
    pbxs: list[scale_procs.Proc] = []
    dialers: list[scale_procs.Proc] = []
    try:
        url = server.url
        engine = db.make_engine(url)
        db.upgrade(engine)
        campaign_id, client_id = scale_db.create_campaign(engine, MONDAY_3PM, args.lines_per_agent)
        load_s = scale_db.load_leads(server, "postgres", campaign_id, client_id, args.leads, MONDAY_3PM)
        scale_db.start(engine, campaign_id, client_id, MONDAY_3PM)
        sizes = scale_db.database_size(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        clock = scale_procs.Clock(MONDAY_3PM, time.time(), args.clock_scale)
        plans = scale_procs.topology(args.pbxs, args.agents, args.dialers)
        ports = []
        for i in range(args.pbxs):
            proc, port = scale_procs.start_pbx(i, work, clock, queue_name(campaign_id), args.answer_factor)
            pbxs.append(proc)
            ports.append(port)
        scale_procs.wait_listening(pbxs)
        trunk = max(1, args.channels // args.pbxs)
        dialers = [scale_procs.start_dialer(plan, ports, work, url, clock, trunk) for plan in plans]
        engines = [scale_procs.server_name(i) for i in range(args.pbxs)]  # each server's engine, by its name
        _until(_dialled_by_all(engine, engines), "every server dialled", dialers + pbxs)
        before = snapshot(engine, server, dialers, clock)
        channels = _sample_channels(pbxs, dialers, args.seconds)
        after = snapshot(engine, server, dialers, clock)
        for proc in dialers:
            if proc.stop(DEADLINE_S) != 0:
                raise RuntimeError(f"{proc.name} did not stop cleanly:\n{proc.tail()}")
        pbx_figures = [p.figures() for p in pbxs]
        report = _report(args, plans, before, after, [d.figures() for d in dialers], pbx_figures, channels)
        report["database"] = _database(sizes, args.leads, load_s)
        report["calls"] = calls_figures(engine, campaign_id, before, after)
        report["postgresql_tuning"] = scale_db.TUNING
        engine.dispose()
        return report
    finally:
        for proc in dialers + pbxs:
            proc.stop(30.0)
        server.stop()


def _database(sizes: dict[str, int], leads: int, load_s: float) -> dict[str, Any]:
    """Sizes after the load, and leads per GB of the leads table (its indexes included) and of the database."""
    per_gb = {f"leads_per_gb{suffix}": round(leads / (sizes[key] / 2**30))
              for suffix, key in (("", "leads_bytes"), ("_database", "database_bytes"))}  # fmt: skip
    return {**sizes, "leads": leads, "load_s": round(load_s, 1), **per_gb}


def _sample_channels(pbxs: list[scale_procs.Proc], dialers: list[scale_procs.Proc], seconds: float) -> list[int]:
    """The PBXs' live calls added up, every half second over the measured window."""
    samples, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        for proc in dialers:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited during the run:\n{proc.tail()}")
        samples.append(sum(int(p.figures().get("live_calls", 0)) for p in pbxs))
        time.sleep(0.5)
    return samples


def _report(args: argparse.Namespace, plans: list[scale_procs.DialerPlan], before: Snapshot, after: Snapshot,
            timings: list[dict[str, Any]], pbxs: list[dict[str, Any]],
            channels: list[int]) -> dict[str, Any]:  # fmt: skip
    wall = after.wall - before.wall
    attempts = max(1, after.attempts - before.attempts)
    per_process = [round(t.get("events", 0) / max(t.get("wall_s", 1.0), 1e-9), 1) for t in timings]
    pg_cpu = after.pg_cpu - before.pg_cpu
    dialer_cpu = sum(after.dialer_cpu) - sum(before.dialer_cpu)
    return {
        "topology": [
            {"dialer": p.dialer_id, "pbxs": [f"pbx{i + 1}" for i in p.pbxs], "agents": p.agents} for p in plans
        ],  # fmt: skip
        "clock_scale": args.clock_scale,
        "wall_s": round(wall, 1),
        "hopper_claim": percentiles([v for t in timings for v in t.get("claims_s", [])]),
        "dial_decision": percentiles([v for t in timings for v in t.get("decisions_s", [])]),
        "ami_events_per_s_per_process": per_process,
        "pbx_events_per_s": [round(p.get("events", 0) / max(p.get("wall_s", 1.0), 1e-9), 1) for p in pbxs],
        "dials": after.attempts - before.attempts,
        "dials_per_s": round((after.attempts - before.attempts) / wall, 1),
        "statements_per_call": round((after.statements - before.statements) / attempts, 1),
        "commits_per_call": round((after.commits - before.commits) / attempts, 1),
        "postgresql_cpu_cores": round(pg_cpu / wall, 2),
        "dialers_cpu_cores": round(dialer_cpu / wall, 2),
        "wal_bytes_per_hour": round((after.wal - before.wal) / wall * 3600),
        "load_average": after.load,
        "peak_channels_sampled": max(channels, default=0),
        "peak_channels_per_pbx": [int(p.get("peak_live_calls", 0)) for p in pbxs],
        "mean_channels": round(statistics.fmean(channels), 1) if channels else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--pbxs", type=int, default=4)
    parser.add_argument("--dialers", type=int, default=2, help="dialer processes, the PBXs shared out between them")
    parser.add_argument("--lines-per-agent", type=int, default=10,
                        help="the campaign's max_lines_per_agent: a cold list needs about 10")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--channels", type=int, default=2000, help="trunk channels in all, shared out per PBX")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clock-scale", type=float, default=5.0)
    parser.add_argument("--answer-factor", type=float, default=0.3)
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    parser.add_argument("--work", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        report = measure(args, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="rdv-scale-") as work:
            report = measure(args, Path(work))
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
