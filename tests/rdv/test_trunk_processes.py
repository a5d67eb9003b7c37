"""Two real `rdv run` processes on one PostgreSQL and ONE PBX (the simulator, over TCP) share its trunk: the
simulator never carries more calls at once than `RDV_TRUNK_CHANNELS`, while both dial."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaigns.models import Attempt
from config.clock import ScaledClock
from dialer.campaign_view import queue_name
from dialer.simulator import PbxSimulator
from dialer.trunk import pbx_key
from rdv import db
from tests.conftest import new_database_url
from tests.rdv.service_harness import MONDAY_3PM, SCALE, Service, books, overlapping, prepare, until

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]
# Each process has 4 simulated agents and dials for all of them (up to 8 lines between the two): 3 is a cap
# both meet all the time.
CHANNELS = 3


async def test_two_dialer_processes_on_one_pbx_never_carry_more_calls_than_its_trunk(
        request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = new_database_url(request, "postgresql", tmp_path)
    campaign_id = prepare(url, lead_count=600)
    sessions = db.session_factory(db.make_engine(url))
    monkeypatch.setenv("RDV_TRUNK_CHANNELS", str(CHANNELS))
    epoch = time.time()
    simulator = PbxSimulator(ScaledClock(MONDAY_3PM, SCALE), seed=5, queues=[queue_name(campaign_id)])
    await simulator.start()
    together: list[int] = []  # the simulator's live calls whenever both dialers had a call open

    def per_dialer(live_only: bool) -> dict[str, int]:
        query = select(Attempt.dialer_id, func.count()).group_by(Attempt.dialer_id)
        with sessions() as session:
            rows = session.execute(query.where(Attempt.outcome == "") if live_only else query).all()
        return {str(dialer): int(count) for dialer, count in rows}

    def both_busy() -> bool:
        live = per_dialer(live_only=True)
        if live.get("a", 0) and live.get("b", 0):
            together.append(simulator.pbx.live_calls)
        dialled = per_dialer(live_only=False)
        return len(together) >= 40 and min(dialled.get("a", 0), dialled.get("b", 0)) >= 20

    services: dict[str, Service] = {}
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            services[name] = Service(url, tmp_path / name, MONDAY_3PM, epoch, ami_port=simulator.port,
                                     extra=["--dialer-id", name]).launch()  # fmt: skip
        await until(both_busy, "both dialers with calls on the PBX at once", services["a"])
        for service in services.values():
            service.signal(signal.SIGTERM)
        for service in services.values():
            assert service.wait() == 0, service.log()[-3000:]
    finally:
        for service in services.values():
            if service.proc is not None and service.proc.poll() is None:
                service.proc.kill()
                service.proc.wait()
        await simulator.stop()

    peak = simulator.pbx.peak_live_calls
    print(f"trunk of {CHANNELS}: peak {peak} calls at once; sampled while both dialled: {sorted(set(together))}")
    assert peak == CHANNELS, "the trunk was passed, or never filled (then the test proves nothing)"
    held = books(sessions)
    assert not held.live and not held.claimed
    assert not any(overlapping(spans) for spans in held.spans.values()), "a lead was dialled twice at once"
    with sessions() as session:
        servers = set(session.scalars(select(Attempt.pbx)))
    assert servers == {pbx_key("127.0.0.1", simulator.port)}
    assert all(f"Trunk: at most {CHANNELS} simultaneous calls" in s.log() for s in services.values())
