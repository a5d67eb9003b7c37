"""Scheduled jobs run once per fire time, catch up after downtime, and only on the leader."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import SystemClock
from rdv import db
from rdv.bootstrap import bootstrap
from rdv.leader import Leadership
from rdv.models_scale import JobFire
from rdv.runtime import Runtime, RuntimeOptions
from rdv.scheduler import FIRES_KEPT, JobRunner, JobSpec, fire_times, prune_fires
from rdv.service import apscheduler_waker, serve
from tests.rdv.service_harness import prepare

DAILY_MAIL = CronTrigger(day_of_week="mon-fri", hour=19, minute=15, timezone="Europe/Paris")
MONDAY_NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def test_fire_times_follow_the_trigger_in_its_zone_across_the_dst_change() -> None:
    trigger = CronTrigger(hour=19, minute=15, timezone="Europe/Paris")
    times = fire_times(trigger, datetime(2026, 10, 23, 12, tzinfo=UTC), datetime(2026, 10, 27, 12, tzinfo=UTC))
    assert [t.astimezone(UTC).hour for t in times] == [17, 17, 18, 18]  # CEST until 25 October, then CET


def test_a_job_runs_once_per_fire_time_and_missed_runs_happen_at_restart(sessions: sessionmaker[Session]) -> None:
    ran: list[datetime] = []
    runner = JobRunner(sessions, [JobSpec("daily_mail:1", DAILY_MAIL, ran.append)])
    runner.register(MONDAY_NOON)
    assert runner.run_due(MONDAY_NOON) == []
    monday_evening = MONDAY_NOON + timedelta(hours=8)
    runner.run_due(monday_evening)
    runner.run_due(monday_evening)  # a second wake-up at the same time does nothing more
    assert len(ran) == 1
    # The service is down from Monday night to Thursday noon: Tuesday's and Wednesday's mails are sent at restart.
    restarted = JobRunner(sessions, [JobSpec("daily_mail:1", DAILY_MAIL, ran.append)])
    restarted.register(MONDAY_NOON + timedelta(days=3))
    restarted.run_due(MONDAY_NOON + timedelta(days=3))
    assert [t.astimezone(UTC).date().isoformat() for t in ran] == ["2026-11-23", "2026-11-24", "2026-11-25"]


def test_a_failing_job_is_retried_and_does_not_stop_the_others(sessions: sessionmaker[Session]) -> None:
    calls = {"flaky": 0, "steady": 0}

    def flaky(_fire: datetime) -> None:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise ConnectionError("SMTP relay down")

    def steady(_fire: datetime) -> None:
        calls["steady"] += 1

    runner = JobRunner(sessions, [JobSpec("flaky", DAILY_MAIL, flaky), JobSpec("steady", DAILY_MAIL, steady)])
    runner.register(MONDAY_NOON)
    evening = MONDAY_NOON + timedelta(hours=8)
    assert runner.run_due(evening) == [("steady", DAILY_MAIL.get_next_fire_time(None, MONDAY_NOON))]
    assert [job for job, _ in runner.run_due(evening)] == ["flaky"]
    assert calls == {"flaky": 2, "steady": 1}


def test_fire_times_finished_long_ago_are_pruned_and_none_runs_again(sessions: sessionmaker[Session]) -> None:
    ran: list[datetime] = []
    runner = JobRunner(sessions, [JobSpec("daily_mail:1", DAILY_MAIL, ran.append)])
    runner.register(MONDAY_NOON)
    runner.run_due(MONDAY_NOON + timedelta(days=4, hours=8))  # Monday to Friday evening: 5 mails
    with sessions.begin() as session:  # a run that never finished (its process died during it) stays
        session.add(JobFire(job_id="daily_mail:2", fire_at=MONDAY_NOON - timedelta(days=200), run_by="gone",
                            started_at=MONDAY_NOON - timedelta(days=200)))  # fmt: skip
    later = MONDAY_NOON + timedelta(days=4, hours=8) + FIRES_KEPT
    with sessions.begin() as session:
        assert prune_fires(session, later - timedelta(days=3)) == 2  # Monday's and Tuesday's are past the limit
    with sessions.begin() as session:
        assert prune_fires(session, later) == 3
    with sessions() as session:
        left = [(f.fire_at.date().isoformat(), f.run_by) for f in session.scalars(select(JobFire))]
    assert left == [((MONDAY_NOON - timedelta(days=200)).date().isoformat(), "gone")]
    runner.run_due(MONDAY_NOON + timedelta(days=4, hours=9))
    assert len(ran) == 5  # nothing pruned is due again


def test_next_fire_is_the_earliest_of_all_jobs(sessions: sessionmaker[Session]) -> None:
    hourly = CronTrigger(minute=0, timezone="UTC")
    runner = JobRunner(sessions, [JobSpec("a", DAILY_MAIL, print), JobSpec("b", hourly, print)])
    assert runner.next_fire(MONDAY_NOON + timedelta(minutes=1)) == datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.mark.postgres
def test_only_one_scheduler_leads_a_postgresql_database(postgres_engine: Engine) -> None:
    first, second = Leadership(postgres_engine, "a"), Leadership(postgres_engine, "b")
    assert (first.poll(), second.poll()) == (True, False)
    first.release()
    assert second.poll() is True
    second.release()


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    from tests.conftest import new_database_url

    engine = db.make_engine(new_database_url(request, "postgresql", tmp_path))
    yield engine
    engine.dispose()


async def test_the_service_is_woken_by_apscheduler_on_the_system_clock_at_a_jobs_fire_time(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production path: `serve` with its APScheduler waker on the system clock, no scaled time."""
    campaign_id = prepare(database_url, lead_count=5)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path))
    application = bootstrap()
    assert isinstance(application.clock, SystemClock)
    ran: list[datetime] = []
    fire_at: list[datetime] = []
    stop = asyncio.Event()

    def started(runtime: Runtime) -> None:
        # A job a few seconds ahead, among the runtime's own, before the scheduler is handed them.
        at = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
        trigger = CronTrigger(year=at.year, month=at.month, day=at.day, hour=at.hour, minute=at.minute,
                              second=at.second, timezone=UTC)  # fmt: skip
        runtime.local.specs["probe"] = JobSpec("probe", trigger, ran.append)
        runtime.local.register(runtime.clock.now())
        fire_at.append(at)

    service = asyncio.create_task(serve(application, [campaign_id], RuntimeOptions(simulate=True), 5.0, stop,
                                        started, waker=apscheduler_waker))  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # bounds a hang; the job is due three seconds after the start
        while not ran:
            assert not service.done(), service.exception() if service.done() else ""
            assert time.monotonic() < deadline, "APScheduler never woke the runtime for the job"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await service
        application.close()
    assert ran == fire_at, "the job ran at another fire time, or more than once"
