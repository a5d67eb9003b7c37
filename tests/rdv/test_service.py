"""`rdv run` as a real process: a clean stop under load, a crash and restart, the daily mail missed while down."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.models import Campaign
from config.clock import ScaledClock
from dialer.ami import AmiPbx
from dialer.campaign_view import queue_name
from dialer.ports import PbxRefused
from dialer.redact import redact_phones
from dialer.simulator import PbxSimulator
from leads.models import Lead
from rdv import db
from reports.outbox import OutboxMessage
from tests.conftest import new_database_url
from tests.rdv.mail_files import appointment_calls_by_mail
from tests.rdv.service_harness import MONDAY_3PM, RDV, SCALE, Service, books, overlapping, prepare, until

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
    simulator = PbxSimulator(ScaledClock(MONDAY_3PM, SCALE), seed=5, queues=[queue_name(campaign_id)])
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


def test_rdv_run_without_a_pbx_or_simulate_refuses_in_one_french_line(tmp_path: Path) -> None:
    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": f"sqlite:///{tmp_path / 'rdv.db'}",
           "RDV_LANG": "fr"}  # fmt: skip
    env.pop("RDV_AMI_HOST", None)
    done = subprocess.run([str(RDV), "run", "--sim-agents", "3"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Aucun PBX" in lines[0] and "--simulate" in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def _number_forms(e164: str) -> set[str]:
    """A French number as a log could carry it: E.164, without the +, national, national with spaces."""
    national = "0" + e164[3:]
    spaced = " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return {e164, e164[1:], national, spaced}


@pytest.mark.postgres
async def test_a_busy_run_with_errors_logs_no_lead_number_even_at_debug(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = new_database_url(request, "postgresql", tmp_path)
    campaign_id = prepare(url, lead_count=400)
    sessions = db.session_factory(db.make_engine(url))
    epoch = time.time()
    simulator = PbxSimulator(ScaledClock(MONDAY_3PM, SCALE), seed=11, queues=[queue_name(campaign_id)])
    await simulator.start()
    try:
        service = Service(url, tmp_path, MONDAY_3PM, epoch, ami_port=simulator.port, extra=["--debug"]).launch()
        await until(lambda: len(books(sessions).ended) >= 60, "a first hour of calls", service)
        simulator.inject_garbage()
        simulator.cut()  # the connection drops mid-calls: reconnect, reconciliation
        await until(lambda: len(books(sessions).ended) >= 100, "calls after the reconnection", service)
        await simulator.stop()  # the PBX restarts: live calls lost, agents re-added
        await simulator.start()
        await until(lambda: len(books(sessions).ended) >= 140 and len(books(sessions).live) >= 2,
                    "calls after the PBX restart", service)  # fmt: skip
        service.signal(signal.SIGTERM)
        assert service.wait() == 0, service.log()[-3000:]
    finally:
        await simulator.stop()
    held = books(sessions)
    assert {"connected", "no_answer", "machine"} <= {outcome for outcome, _ in held.ended.values()}, held.ended
    logged = service.log()
    assert " DEBUG " in logged and "connection restored" in logged, "the run did not log what it was meant to"
    with sessions() as session:
        numbers = [lead.phone_e164 for lead in session.scalars(select(Lead))]
    leaked = sorted({form for number in numbers for form in _number_forms(number) if form in logged})
    assert leaked == [], f"lead numbers in the log: {leaked[:5]}"


async def test_a_refused_hangup_reaches_the_log_without_the_number_it_names() -> None:
    """The PBX's refusal names the channel, `Local/<number>@rdv-outbound`: what recovery logs masks it."""
    clock = ScaledClock(MONDAY_3PM, 1.0)
    async with PbxSimulator(clock, seed=1) as simulator:
        adapter = AmiPbx("127.0.0.1", simulator.port, "rdv", "rdv", clock)
        await adapter.connect()
        try:
            with pytest.raises(PbxRefused) as refused:
                await adapter.hangup("Local/+33612345678@rdv-outbound-00000001;1")
        finally:
            await adapter.close()
    # The adapter masks the number in its errors; what recovery logs is masked again, in every form.
    masked = redact_phones(str(refused.value))
    assert not any(form in str(refused.value) for form in _number_forms("+33612345678")), refused.value
    assert not any(form in masked for form in _number_forms("+33612345678")), masked
    assert "No such channel" in masked and masked.startswith("Hangup of Local/")
    assert redact_phones("Hangup of Local/+33612345678@rdv-outbound;1") == "Hangup of Local/******78@rdv-outbound;1"


async def test_rdv_run_against_a_pbx_without_the_campaigns_queue_says_so_and_dials_nothing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = new_database_url(request, "sqlite", tmp_path)
    campaign_id = prepare(url, lead_count=20)
    simulator = PbxSimulator(ScaledClock(MONDAY_3PM, SCALE), seed=2, queues=["rdv"])  # no rdv-<id>: not generated
    await simulator.start()
    try:
        service = Service(url, tmp_path, MONDAY_3PM, time.time(), ami_port=simulator.port).launch()
        assert service.proc is not None
        while service.proc.poll() is None:
            await asyncio.sleep(0.1)  # the event loop serves the simulator meanwhile
        assert service.proc.returncode == 2, service.log()[-3000:]
        assert simulator.pbx.originates == {}, "a call was dialled into a queue that does not exist"
    finally:
        await simulator.stop()
    logged = service.log()
    assert f"the PBX has no queue {queue_name(campaign_id)}" in logged  # the supervisor's line (English here)
    assert "No campaign can be dialled" in logged
    sessions = db.session_factory(db.make_engine(url))
    with sessions() as session:
        assert session.get_one(Campaign, campaign_id).status == "no_queue"
