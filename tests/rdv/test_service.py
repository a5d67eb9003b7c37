"""`rdv run` as a real process: a clean stop under load, a crash and restart, the daily mail missed while down."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config.clock import ScaledClock
from dialer.campaign_view import queue_name
from dialer.simulator import PbxSimulator
from rdv import db
from reports.outbox import OutboxMessage
from tests.conftest import new_database_url
from tests.rdv.mail_files import appointment_calls_by_mail
from tests.rdv.service_harness import MONDAY_3PM, SCALE, Service, books, overlapping, prepare, until

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


async def test_sigterm_lets_calls_finish_and_the_daily_mail_missed_while_down_goes_at_restart(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = new_database_url(request, "sqlite", tmp_path)
    prepare(url)
    sessions = db.session_factory(db.make_engine(url))
    service = Service(url, tmp_path, MONDAY_3PM, time.time()).launch()

    def busy() -> bool:
        held = books(sessions)
        return len(held.ended) >= 40 and len(held.appointments) >= 2 and len(held.live) >= 2

    await until(busy, "a busy afternoon with appointments", service)
    service.signal(signal.SIGTERM)
    assert service.wait() == 0, service.log()[-3000:]
    stopped = books(sessions)
    assert stopped.live == set(), "an attempt was left live"
    assert stopped.claimed == set(), "a lead was left claimed"
    assert " 0 ended at stop" in service.log(), "live calls were cut instead of finishing"

    # Down from Monday afternoon to Tuesday 9:00: Monday's 19:15 mail job runs at restart, once.
    tuesday = (MONDAY_3PM + timedelta(days=1)).replace(hour=9)
    restarted = Service(url, tmp_path, tuesday, time.time()).launch()
    outbox = tmp_path / "outbox"
    await until(lambda: any(outbox.glob("*.eml")), "Monday's daily e-mail in the outbox", restarted)
    restarted.signal(signal.SIGTERM)
    assert restarted.wait() == 0, restarted.log()[-3000:]
    with sessions() as session:
        messages = list(session.scalars(select(OutboxMessage)))
    assert [(m.kind, m.day.isoformat() if m.day else "") for m in messages] == [("daily_rdv", "2026-11-23")]
    mailed = appointment_calls_by_mail(outbox)
    assert len(mailed) == 1
    sent = Counter(call for calls in mailed.values() for call in calls)
    assert sorted(sent) == sorted(a for a in stopped.appointments.values() if a is not None)
    assert set(sent.values()) == {1}, "an appointment went out in two e-mails"


@pytest.mark.postgres
async def test_after_kill_9_a_restart_loses_nothing_dials_no_lead_twice_and_ends_the_calls_left_live(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = new_database_url(request, "postgresql", tmp_path)
    campaign_id = prepare(url)
    sessions = db.session_factory(db.make_engine(url))
    epoch = time.time()
    simulator = PbxSimulator(ScaledClock(MONDAY_3PM, SCALE), seed=5)
    simulator.configure_queue(queue_name(campaign_id))
    await simulator.start()
    twice: list[str] = []

    def watch() -> bool:
        numbers = Counter(call.spec.exten for call in simulator.pbx.calls.values())
        twice.extend(n for n, count in numbers.items() if count > 1)
        return False

    try:
        first = Service(url, tmp_path, MONDAY_3PM, epoch, ami_port=simulator.port).launch()
        await until(lambda: watch() or (len(books(sessions).appointments) >= 2 and len(books(sessions).live) >= 3),
                    "a busy afternoon with appointments", first)
        before = books(sessions)
        assert first.proc is not None
        first.proc.kill()
        assert first.wait() == -signal.SIGKILL
        left_live = books(sessions).live

        second = Service(url, tmp_path, MONDAY_3PM, epoch, ami_port=simulator.port).launch()
        await until(lambda: watch() or (not left_live & books(sessions).live
                                        and len(books(sessions).ended) >= len(before.ended) + 30),
                    "the calls left live ended and new ones made", second)
        second.signal(signal.SIGTERM)
        assert second.wait() == 0, second.log()[-3000:]
    finally:
        await simulator.stop()
    after = books(sessions)
    assert left_live, "the kill came at a quiet moment: nothing to reconcile"
    assert {a: after.ended[a] for a in before.ended} == before.ended, "a call outcome or disposition changed"
    assert before.appointments.items() <= after.appointments.items(), "an appointment was lost"
    assert after.live == set() and after.claimed == set()
    assert after.lead_attempts == after.attempts_per_lead, "an attempt was counted twice (or not at all)"
    assert not [lead for lead, spans in after.spans.items() if overlapping(spans)], "a lead was in two calls at once"
    assert twice == [], "the simulator had one number in two calls at once"
    assert set(simulator.pbx.originates.values()) == {1}, "a call was originated twice"
    assert "restarted:" in second.log(), "the restarted dialer did not report the calls it found"
