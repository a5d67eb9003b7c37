"""The console's live latency: from an agent's change of state in the dialer to the SSE update a client receives.

Run by hand (never from the tests):

    .venv/bin/python -m bench.web_console                         # 200 agents, ~2,000 channels, SQLite, clock 4×
    .venv/bin/python -m bench.web_console --backend postgresql    # throwaway PostgreSQL server
    .venv/bin/python -m bench.web_console --agents 50 --seconds 60
    .venv/bin/python -m bench.web_console --answer-factor 1       # the simulator's usual callees

The issue's goal is 200 agents and 2,000 live channels. With the simulator's usual callees 200 agents keep
about 1,500 channels (each line in progress is four or more: the originated Local pair and the trunk's); by
default (`--answer-factor 0.6`) fewer callees answer, the others ring until the Originate's timeout, and
predictive pacing keeps more lines per agent going (up to its cap of 4), as a big floor dialling a poor list
does: about 2,000 channels, 400 lines. Predictive starts once 100 dials and 10 talks are measured (about 35 s
into the run, with a burst to its cap), hence the warm-up; a breach of the abandonment target sends it back to
progressive for a while (fewer channels): `--series` shows the run second by second.

What runs is `rdv run --sim-agents N` with its web screens, in this process (`rdv.service.serve`): the engine,
the live-figures writer, the web app on a free port; the PBX simulator runs in a process of its own over
loopback TCP, where an Asterisk would be.
A second process (one per `--supervisors`) logs in as a supervisor and reads `/console/{id}/live` (server-sent
events) with httpx, noting when each payload arrives and, for every agent row, its state and the moment it
entered it. This process watches the engine's agents every few milliseconds and notes when each (agent, state,
since) first appeared. The latency of a change is the first payload showing it minus that moment (wall clock,
one machine), over every supervisor's stream.
Reported: p50/p95/max, changes seen and missed (superseded before any payload showed them), the live channels
on the simulator and the engine's lines in progress (sampled), payloads per second and their size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

START = datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
ROW = re.compile(r'/agents/([a-z0-9_.-]+)">.*?dot state-([a-z_]+)".*?data-since="(\d+)"', re.S)
WATCH_EVERY_S = 0.005


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _watch(runtime: Any, seen: dict[tuple[str, str, int], float], lines: list[tuple[float, int]],
                 stop: asyncio.Event) -> None:
    """Note when each agent's (state, since) first appears in the engine, and its lines in progress."""
    while not stop.is_set():
        now = time.time()
        lines.append((now, len(runtime.engine.calls)))
        for agent in list(runtime.engine.agents.values()):
            if agent.since is not None:
                key = (agent.login, str(agent.status), int(agent.since.timestamp() * 1000))
                seen.setdefault(key, now)
        await asyncio.sleep(WATCH_EVERY_S)


def callee_profile(answer_factor: float) -> Any:
    """The simulated callees, their answer rate by hour multiplied by `answer_factor` (a cold list, a bad hour).

    Below 1 the lines that nobody answers ring until the Originate's timeout, so pacing keeps more lines per
    agent going and the PBX carries more channels for the same agents, as on a big floor dialling a poor list.
    """
    from dialer.simulator.outcomes import DEFAULT_ANSWER_BY_HOUR, OutcomeProfile

    return OutcomeProfile(answer_by_hour=tuple(min(1.0, share * answer_factor) for share in DEFAULT_ANSWER_BY_HOUR))


def _pbx(queue: str, scale: float, seed: int, answer_factor: float) -> None:
    """The PBX in a process of its own, as an Asterisk would be: its port first, then its channels every second."""
    from config.clock import ScaledClock
    from dialer.simulator import PbxSimulator
    from dialer.simulator.outcomes import OutcomeModel

    async def serve() -> None:
        simulator = PbxSimulator(ScaledClock(START, scale=scale), seed=seed, queues=[queue],
                                 outcomes=OutcomeModel(callee_profile(answer_factor)))
        await simulator.start()
        print(f"port {simulator.port}", flush=True)
        while True:
            await asyncio.sleep(1.0)
            print(f"channels {time.time()} {len(simulator.live_channels)}", flush=True)

    asyncio.run(serve())


async def _read_channels(stream: asyncio.StreamReader, channels: list[tuple[float, int]]) -> None:
    while line := await stream.readline():
        parts = line.decode().split()
        if parts[:1] == ["channels"]:
            channels.append((float(parts[1]), int(parts[2])))


def _client(base_url: str, login: str, password: str, campaign_id: int, seconds: float) -> None:
    """The supervisor's browser, as far as the stream goes: log in, read the live stream, print what arrives."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        client.post("/login", data={"login": login, "password": password, "csrf_token": token.group(1)})
        deadline = time.time() + seconds
        with client.stream("GET", f"/console/{campaign_id}/live", timeout=None) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    received = time.time()
                    payload = json.loads(line[5:])
                    rows = [(m[0], m[1], int(m[2])) for m in ROW.findall(payload["agents"])]
                    print(json.dumps({"at": received, "bytes": len(line), "rows": rows}), flush=True)
                if time.time() > deadline:
                    break


async def _until_up(base_url: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _attempt in range(600):
            try:
                if (await client.get(f"{base_url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("rdv web did not come up")


def _timed(owner: Any, name: str, into: list[float]) -> None:
    """Note the wall duration of every call of `owner.name` (a stage of the path from the event to the client)."""
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - began)

    setattr(owner, name, timed)


async def _serve_and_measure(args: argparse.Namespace, url: str, folder: Path) -> dict[str, Any]:
    from rdv.bootstrap import App
    from rdv.demo import demo_settings, setup_sample, start_sample_campaign
    from rdv.live_snapshot import SnapshotWriter
    from rdv.runtime import RuntimeOptions
    from rdv.service import serve
    from rdv.web import accounts, console
    from tests.rdv.service_process import clock_waker, shared_clock

    stages: dict[str, list[float]] = {"render": [], "figures write": []}
    _timed(console, "live_payload", stages["render"])
    _timed(SnapshotWriter, "_store", stages["figures write"])
    from dialer.campaign_view import queue_name

    settings = demo_settings(folder)
    if url:
        settings = replace(settings, database_url=url)
    app = App(settings=settings, durable=False)
    app.clock = shared_clock(START, time.time(), args.scale)
    sample = setup_sample(app, folder, seed=11, count=args.leads)
    campaign_id = sample.campaign.id
    pbx = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.web_console", "--pbx", queue_name(campaign_id), str(args.scale), str(args.seed),
        str(args.answer_factor),
        stdout=subprocess.PIPE)  # fmt: skip
    assert pbx.stdout is not None
    port = int((await pbx.stdout.readline()).decode().split()[1])
    app.settings = replace(settings, ami_host="127.0.0.1", ami_port=port)
    channels: list[tuple[float, int]] = []
    reader = asyncio.create_task(_read_channels(pbx.stdout, channels))
    start_sample_campaign(app, campaign_id, app.clock.now())
    with app.sessions.begin() as session:
        made = accounts.add_user(session, "bench_chef", "supervisor", app.clock.now(), name="Bench")
        password = made.password
    sock = _free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    web = None
    if args.web_apart:  # `rdv web` on its own, as a large floor would run it, woken across processes
        port = sock.getsockname()[1]
        sock.close()
        env = {**os.environ, "RDV_DATABASE_URL": app.settings.effective_database_url,
               "RDV_DATA_DIR": str(folder), "RDV_LANG": "fr"}  # fmt: skip
        rdv = str(Path(sys.executable).with_name("rdv"))
        web = await asyncio.create_subprocess_exec(rdv, "web", "--listen", f"127.0.0.1:{port}", env=env,
                                                   stdout=subprocess.DEVNULL)  # fmt: skip
        await _until_up(base_url)
    stop = asyncio.Event()
    seen: dict[tuple[str, str, int], float] = {}
    lines: list[tuple[float, int]] = []
    watchers: list[asyncio.Task[None]] = []

    def started(runtime: Any) -> None:
        watchers.append(asyncio.create_task(_watch(runtime, seen, lines, stop)))

    options = RuntimeOptions(dialer_id="bench", simulate=False, sim_agents=args.agents, seed=args.seed,
                             tick_s=max(1.0, args.scale * 0.02))  # fmt: skip
    # serve() takes the dialer id's lock, without which the leader (this process) would see the dialer as dead
    # and free the leads of its calls in flight.
    service = asyncio.create_task(serve(app, [campaign_id], options, 5.0, stop, started, clock_waker,
                                        web_socket=None if web else sock))  # fmt: skip
    await asyncio.sleep(args.warmup)
    clients = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.web_console", "--client", base_url, "bench_chef", password,
        str(campaign_id), str(args.seconds), stdout=subprocess.PIPE) for _n in range(args.supervisors)]  # fmt: skip
    measured_from = time.time()
    outs = [out for out, _err in await asyncio.gather(*(client.communicate() for client in clients))]
    stop.set()
    await asyncio.gather(service, *watchers, return_exceptions=True)
    for child in (pbx, web):
        if child is not None:
            child.terminate()
            await child.wait()
    reader.cancel()
    app.close()
    streams = [[json.loads(line) for line in out.decode().splitlines() if line.strip()] for out in outs]
    report = _report(args, app, seen, channels, lines, streams, measured_from)
    if args.series:  # one line a second: live channels on the PBX, lines in progress in the engine
        _write_series(Path(args.series), channels, lines)
    report["stages_s"] = {name: _quantiles(sorted(values)) for name, values in stages.items()}
    return report


def _write_series(path: Path, channels: list[tuple[float, int]], lines: list[tuple[float, int]]) -> None:
    by_second: dict[int, int] = {}
    for at, n in lines:
        by_second[int(at)] = n
    with path.open("w") as out:
        for at, n in channels:
            out.write(json.dumps({"at": round(at, 1), "channels": n, "lines": by_second.get(int(at))}) + "\n")


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"p50": round(values[len(values) // 2], 3), "p95": round(values[int(0.95 * len(values))], 3),
            "max": round(values[-1], 3), "count": len(values)}


def _stream_latencies(seen: dict[tuple[str, str, int], float], payloads: list[dict[str, Any]],
                      measured_from: float) -> tuple[list[float], int, float, float]:
    """One supervisor's stream: the latency of each change it showed, the changes it missed, its window."""
    first_shown: dict[tuple[str, str, int], float] = {}
    for payload in payloads:
        for login, state, since in payload["rows"]:
            first_shown.setdefault((login, state, since), payload["at"])
    # Changes that happened while the client listened (the first payload is the page as it was).
    start = payloads[0]["at"] if payloads else measured_from
    end = payloads[-1]["at"] if payloads else measured_from
    changes = {k: t for k, t in seen.items() if start < t < end - 1.0}
    latencies = [first_shown[k] - t for k, t in changes.items() if k in first_shown]
    return latencies, sum(1 for k in changes if k not in first_shown), start, end


def _report(args: argparse.Namespace, app: Any, seen: dict[tuple[str, str, int], float],
            sampled: list[tuple[float, int]], lines: list[tuple[float, int]],
            streams: list[list[dict[str, Any]]], measured_from: float) -> dict[str, Any]:
    payloads = [p for stream in streams for p in stream]
    if payloads and not any(p["rows"] for p in payloads):
        raise SystemExit("no agent row recognised in the payloads: ROW no longer matches console/_agents.html")
    latencies: list[float] = []
    missed, starts, ends, rates = 0, [], [], []
    for stream in streams:
        mine, lost, start, end = _stream_latencies(seen, stream, measured_from)
        latencies += mine
        missed += lost
        starts.append(start)
        ends.append(end)
        rates.append(len(stream) / max(1e-9, end - start))
    latencies.sort()

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3) if latencies else -1.0

    start, end = min(starts, default=measured_from), max(ends, default=measured_from)
    channels = [n for at, n in sampled if start <= at <= end]
    in_progress = [n for at, n in lines if start <= at <= end]
    return {
        "backend": app.settings.database_url.split(":")[0] if app.settings.database_url else "sqlite",
        "agents": args.agents, "supervisors": args.supervisors, "clock_scale": args.scale,
        "answer_factor": args.answer_factor, "seconds": round(end - start, 1),
        "changes_seen": len(latencies), "changes_missed": missed,
        "latency_s": {"p50": pct(0.5), "p95": pct(0.95), "max": round(latencies[-1], 3) if latencies else -1,
                      "mean": round(statistics.fmean(latencies), 3) if latencies else -1},
        "live_channels": {"mean": round(statistics.fmean(channels)) if channels else 0,
                          "min": min(channels, default=0), "max": max(channels, default=0)},
        "lines_in_progress": {"mean": round(statistics.fmean(in_progress)) if in_progress else 0,
                              "max": max(in_progress, default=0)},
        "payloads_per_s": round(statistics.fmean(rates), 2) if rates else 0,  # per supervisor
        "payload_kb": round(statistics.fmean(p["bytes"] for p in payloads) / 1024, 1) if payloads else 0,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--pbx"]:
        _pbx(argv[1], float(argv[2]), int(argv[3]), float(argv[4]))
        return
    if argv[:1] == ["--client"]:
        _client(argv[1], argv[2], argv[3], int(argv[4]), float(argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--supervisors", type=int, default=1, help="consoles reading the live stream at once")
    parser.add_argument("--leads", type=int, default=20000)
    parser.add_argument("--scale", type=float, default=4.0, help="clock seconds per wall second")
    parser.add_argument("--warmup", type=float, default=60.0, help="wall seconds before measuring")
    parser.add_argument("--seconds", type=float, default=90.0, help="wall seconds measured")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--answer-factor", type=float, default=0.6,
                        help="the simulated callees' answer rate × this (0.6: a poor list, ~2,000 live channels at "
                        "200 agents; 1: the simulator's usual callees)")
    parser.add_argument("--series", default="", help="write the live channels and lines in progress, one line a "
                        "second, to this file")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--web-apart", action="store_true", help="serve the screens from `rdv web` in a process "
                        "of its own (render times are then not measured)")
    args = parser.parse_args(argv)
    stop_server = None
    url = ""
    if args.backend == "postgresql":
        from tests.pgserver import PostgresServer

        server = PostgresServer.start()
        url, stop_server = server.url, server.stop
    try:
        with tempfile.TemporaryDirectory(prefix="rdv-bench-") as folder:
            result = asyncio.run(_serve_and_measure(args, url, Path(folder)))
    finally:
        if stop_server is not None:
            stop_server()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
