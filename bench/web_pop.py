"""Pop latency: from the AMI adapter receiving AgentConnect to the agent's screen showing the lead, in Chromium.

Run by hand (never from the tests):

    .venv/bin/python -m bench.web_pop --calls 200
    .venv/bin/python -m bench.web_pop --calls 200 --backend postgresql      # throwaway PostgreSQL server

A real `rdv run --simulate --web` process (tests/rdv/service_process.py) on a clock `--scale` times faster
than the wall, the sample campaign, `--agents` teleoperators logged in from headless Chromium pages. Each page
records the wall time at which a new call's panel (with the lead's name) enters its DOM; the bench hangs the
call up and qualifies it from the page, as an agent would. The adapter stamps AgentConnect with the service's
clock when it receives it (`call_pops.connected_at`); with the clock's (start, epoch, scale) that moment is a
wall time too, on the same machine. Reported: p50, p95, p99 and max of the difference over `--calls` pops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from campaigns.models import Campaign
from dialer.desk_models import CallPop
from rdv import db

ROOT = Path(__file__).resolve().parents[1]
# Each page notes when a new call's panel, lead name included, is in its DOM (the wall clock, in ms), then
# hangs up and qualifies it "not in target" a moment later, as a quick agent would.
RECORDER = """
window.__pops = [];
new MutationObserver(() => {
  const call = document.getElementById('agent-call');
  const attempt = call && call.dataset.attempt;
  if (!attempt || window.__pops.some(p => p.attempt === attempt)) return;
  if (!document.getElementById('lead-name')) return;
  window.__pops.push({attempt: attempt, at: performance.timeOrigin + performance.now()});
  setTimeout(() => { const b = document.getElementById('call-hangup'); if (b) b.click(); }, 150);
  setTimeout(() => { const b = document.getElementById('dispose-not_target'); if (b) b.click(); }, 600);
}).observe(document, {subtree: true, childList: true});
"""


def _database(backend: str, folder: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'rdv.sqlite3'}", None
    from tests.pgserver import PostgresServer

    server = PostgresServer.start()
    return server.url, server


def _prepare(url: str, agents: int, leads: int) -> tuple[int, list[tuple[str, str]]]:
    from tests.rdv.service_harness import prepare
    from tests.web.conftest import add_user

    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    campaign_id = prepare(url, leads)
    engine = db.make_engine(url)
    with db.session_factory(engine).begin() as session:
        session.get_one(Campaign, campaign_id).settings = {"wrap_up_seconds": "5"}
    engine.dispose()
    accounts = [add_user(url, "teleoperator", login=f"poste{n}", phone=f"PJSIP/{1000 + n}", name=f"Poste {n}",
                         campaigns=["Toitures"]) for n in range(1, agents + 1)]
    return campaign_id, accounts


def _serve(url: str, folder: Path, start: datetime, epoch: float, scale: float) -> subprocess.Popen[bytes]:
    from tests.rdv.service_harness import PYTHON

    env = {**os.environ, "RDV_DATA_DIR": str(folder), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    env.pop("RDV_AMI_HOST", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    args = [str(PYTHON), "-m", "tests.rdv.service_process", "--simulate", "--sim-agents", "0", "--seed", "9",
            "--drain-seconds", "5", "--clock-scale", str(scale), "--clock-start", start.isoformat(),
            "--clock-epoch", str(epoch), "--web", "127.0.0.1:0"]  # fmt: skip
    log = (folder / "service.log").open("ab")
    return subprocess.Popen(args, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)


def _base_url(folder: Path, proc: subprocess.Popen[bytes]) -> str:
    from tests.web.conftest import LiveServer, _wait_for_web

    return _wait_for_web(LiveServer("", "", folder, 0, proc, {}))


def _pops(pages: list[Any], calls: int, deadline_s: float) -> dict[int, float]:
    seen: dict[int, float] = {}
    give_up = time.monotonic() + deadline_s
    while len(seen) < calls and time.monotonic() < give_up:
        for page in pages:
            for pop in page.evaluate("window.__pops"):
                seen.setdefault(int(pop["attempt"]), float(pop["at"]) / 1000.0)
        pages[0].wait_for_timeout(250)
        print(f"\r{len(seen)}/{calls} pops", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return seen


def _connected(url: str, start: datetime, epoch: float, scale: float) -> dict[int, float]:
    """Each pop's AgentConnect as a wall time (the service's clock read back through its start and scale)."""
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        rows = session.execute(select(CallPop.attempt_id, CallPop.connected_at)).all()
    engine.dispose()
    out = {}
    for attempt_id, connected in rows:
        aware = connected if connected.tzinfo else connected.replace(tzinfo=UTC)  # SQLite gives UTC back naive
        out[int(attempt_id)] = epoch + (aware - start).total_seconds() / scale
    return out


def run(calls: int, agents: int, scale: float, backend: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from tests.rdv.service_harness import MONDAY_3PM

    folder = Path(tempfile.mkdtemp(prefix="web_pop-"))
    url, pg = _database(backend, folder)
    _campaign_id, accounts = _prepare(url, agents, leads=max(1000, calls * 15))
    epoch = time.time()
    proc = _serve(url, folder, MONDAY_3PM, epoch, scale)
    try:
        base = _base_url(folder, proc)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            pages = []
            for login, password in accounts:
                context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=base)
                context.add_init_script(RECORDER)
                page = context.new_page()
                page.goto("/login")
                page.fill("#login", login)
                page.fill("#password", password)
                with page.expect_navigation():
                    page.press("#password", "Enter")
                page.goto("/agent")
                page.click("#agent-login")
                pages.append(page)
            shown = _pops(pages, calls, deadline_s=calls * 20.0)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    connected = _connected(url, MONDAY_3PM, epoch, scale)
    if pg is not None:
        pg.stop()
    (folder / "pops.json").write_text(json.dumps({a: [connected.get(a), shown[a]] for a in shown}))
    delays = sorted((shown[a] - connected[a]) * 1000.0 for a in shown if a in connected)
    return _summary(delays, backend, folder)


def _summary(delays: list[float], backend: str, folder: Path) -> dict[str, float]:
    if not delays:
        raise SystemExit(f"no pop measured; see {folder / 'service.log'}")
    cut = statistics.quantiles(delays, n=100, method="inclusive")
    found = {"pops": float(len(delays)), "p50_ms": cut[49], "p95_ms": cut[94], "p99_ms": cut[98],
             "max_ms": delays[-1], "min_ms": delays[0]}
    print(f"{backend}: " + ", ".join(f"{k} {v:.0f}" for k, v in found.items()))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--scale", type=float, default=10.0, help="clock seconds per wall second")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    run(args.calls, args.agents, args.scale, args.backend)


if __name__ == "__main__":
    main()
