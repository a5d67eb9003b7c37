"""Several Asterisk servers per dialer, and the takeover of a dead dialer's server with its live calls.

Real PostgreSQL, three PBX simulators over TCP (they outlive a killed dialer, as a real Asterisk does), two
`rdv run` processes on one scaled clock: A drives pbx1 and pbx2, B drives pbx3 and stands by for pbx2.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.models import Attempt
from config.clock import ScaledClock
from dialer.campaign_view import queue_name
from dialer.simulator import PbxSimulator
from dialer.trunk import pbx_key
from rdv import db
from tests.conftest import new_database_url
from tests.rdv.service_harness import MONDAY_3PM, SCALE, Service, books, overlapping, prepare, until

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]
NAMES = ("pbx1", "pbx2", "pbx3")
TAKEOVER_S = 30
# The leader must not end the dead dialer's calls as failed before the standby takes its server: the grace is
# far longer than the takeover (as 300 s is than 30 s in service), and pbx1, left alone, keeps its calls.
ENV = {"RDV_DIALER_DEAD_GRACE_SECONDS": "100000", "RDV_DIALER_TAKEOVER_AFTER_SECONDS": str(TAKEOVER_S)}


def settings_file(tmp_path: Path, ports: dict[str, int]) -> Path:
    path = tmp_path / "rdv.toml"
    path.write_text("".join(f'[asterisk.servers.{name}]\nhost = "127.0.0.1"\nport = {port}\n\n'
                            for name, port in ports.items()), encoding="utf-8")  # fmt: skip
    path.chmod(0o600)
    return path


def attempts(url: str) -> list[Attempt]:
    sessions = db.session_factory(db.make_engine(url))
    with sessions() as session:
        return list(session.scalars(select(Attempt)))


async def start_simulators(campaign_id: int) -> dict[str, PbxSimulator]:
    simulators = {name: PbxSimulator(ScaledClock(MONDAY_3PM, SCALE), seed=seed, queues=[queue_name(campaign_id)])
                  for seed, name in enumerate(NAMES, start=5)}  # fmt: skip
    for simulator in simulators.values():
        await simulator.start()
    return simulators


def stop_all(services: list[Service]) -> None:
    for service in services:
        if service.proc is not None and service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait()


async def test_a_standby_takes_over_a_killed_dialers_server_and_finishes_the_calls_it_left_live(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = new_database_url(request, "postgresql", tmp_path)
    campaign_id = prepare(url, lead_count=1200)
    sessions = db.session_factory(db.make_engine(url))
    simulators = await start_simulators(campaign_id)
    config = settings_file(tmp_path, {name: sim.port for name, sim in simulators.items()})
    epoch = time.time()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = Service(url, tmp_path / "a", MONDAY_3PM, epoch, config=config, env=ENV,
                extra=["--dialer-id", "a", "--server", "pbx1", "--server", "pbx2"])  # fmt: skip
    b = Service(url, tmp_path / "b", MONDAY_3PM, epoch, config=config, env=ENV,
                extra=["--dialer-id", "b", "--server", "pbx3", "--standby", "pbx2"])  # fmt: skip

    def talking_on(server: str) -> set[int]:
        return {x.id for x in attempts(url) if x.dialer_id == server and not x.outcome and x.connected_at}

    try:
        a.launch()
        b.launch()
        await until(lambda: len(talking_on("pbx2")) >= 2 and len(talking_on("pbx3")) >= 1,
                    "calls in conversation on pbx2 (A) and pbx3 (B)", a)  # fmt: skip
        assert a.proc is not None
        a.proc.kill()
        assert a.wait() == -signal.SIGKILL
        killed_at = time.monotonic()
        at_kill = {x.id: x for x in attempts(url) if x.dialer_id == "pbx2" and not x.outcome}
        talking = {i for i, x in at_kill.items() if x.connected_at is not None}
        ended_before = sum(1 for x in attempts(url) if x.dialer_id == "pbx2" and x.outcome)
        await until(lambda: "taking over server pbx2" in b.log(), "B takes pbx2 over", b)
        took_s = time.monotonic() - killed_at
        await until(lambda: not at_kill.keys() & books(sessions).live
                    and sum(1 for x in attempts(url) if x.dialer_id == "pbx2" and x.outcome) >= ended_before + 20,
                    "the calls A left on pbx2 ended, and B dialling on pbx2", b)  # fmt: skip
        b.signal(signal.SIGTERM)
        assert b.wait() == 0, b.log()[-3000:]
    finally:
        stop_all([a, b])
        for simulator in simulators.values():
            await simulator.stop()

    print(f"kill -9 of A to B's takeover of pbx2: {took_s:.2f} wall s ({took_s * SCALE:.0f} clock s at {SCALE}x; "
          f"delay {TAKEOVER_S} clock s); {len(at_kill)} calls live on pbx2 at the kill, {len(talking)} talking")
    rows = {x.id: x for x in attempts(url)}
    assert talking, "no call was in conversation at the kill: nothing to adopt"
    assert all(rows[i].outcome == "connected" for i in talking), "a call in conversation was not finished as such"
    assert all(rows[i].outcome for i in at_kill), "a call left live on pbx2 stayed open"
    assert "dialer pbx2 restarted: " in b.log(), "B's engine for pbx2 did not adopt A's calls"
    after = books(sessions)
    assert after.lead_attempts == after.attempts_per_lead, "an attempt was counted twice (or not at all)"
    assert not [lead for lead, spans in after.spans.items() if overlapping(spans)], "a lead was in two calls at once"
    assert set(simulators["pbx2"].pbx.originates.values()) == {1}, "a call was originated twice on pbx2"
    servers = {(x.dialer_id, x.pbx) for x in rows.values()}
    assert servers == {(name, pbx_key("127.0.0.1", sim.port)) for name, sim in simulators.items()}


async def test_a_server_listed_by_two_processes_is_driven_by_one_only(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = new_database_url(request, "postgresql", tmp_path)
    campaign_id = prepare(url, lead_count=200)
    simulators = await start_simulators(campaign_id)
    config = settings_file(tmp_path, {name: sim.port for name, sim in simulators.items()})
    epoch = time.time()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = Service(url, tmp_path / "a", MONDAY_3PM, epoch, config=config, extra=["--dialer-id", "a", "--server", "pbx1"])
    b = Service(url, tmp_path / "b", MONDAY_3PM, epoch, config=config,
                extra=["--dialer-id", "b", "--server", "pbx3", "--server", "pbx1"])  # fmt: skip
    try:
        a.launch()
        await until(lambda: any(x.dialer_id == "pbx1" for x in attempts(url)), "A dialling on pbx1", a)
        b.launch()
        assert b.wait() == 2, b.log()[-3000:]
        assert a.proc is not None and a.proc.poll() is None, "A stopped"
        a.signal(signal.SIGTERM)
        assert a.wait() == 0, a.log()[-3000:]
    finally:
        stop_all([a, b])
        for simulator in simulators.values():
            await simulator.stop()
    assert "Another rdv run already drives the Asterisk server pbx1" in b.log()
    assert {x.dialer_id for x in attempts(url)} == {"pbx1"}, "B dialled"
    assert simulators["pbx3"].pbx.originates == {}
