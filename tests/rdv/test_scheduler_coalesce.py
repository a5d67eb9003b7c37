"""A backlog of outbox runs is one run, so the evening e-mail is not held behind it (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from rdv.scheduler import JobRunner, JobSpec

DAILY_MAIL = CronTrigger(day_of_week="mon-fri", hour=19, minute=15, timezone="Europe/Paris")
EVERY_5_MIN = IntervalTrigger(minutes=5, start_date=datetime(2000, 1, 3, tzinfo=UTC), timezone=UTC)
MONDAY_6PM = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_missed_outbox_runs_coalesce_into_the_latest_while_each_daily_mail_still_runs(
    sessions: sessionmaker[Session],
) -> None:
    ran: list[tuple[str, datetime]] = []
    runner = JobRunner(sessions, [
        JobSpec("daily_mail:1", DAILY_MAIL, lambda fire: ran.append(("mail", fire))),
        JobSpec("outbox", EVERY_5_MIN, lambda fire: ran.append(("outbox", fire)), coalesce=True),
    ])
    runner.register(MONDAY_6PM)
    # Woken two days and an hour later: two evening e-mails are owed, and some 590 outbox fire times.
    later = MONDAY_6PM + timedelta(days=2, hours=1)
    done = runner.run_due(later)
    assert [job for job, _fire in done] == ["daily_mail:1", "daily_mail:1", "outbox"]
    assert [fire.astimezone(UTC) for job, fire in ran if job == "mail"] == [
        datetime(2026, 11, 23, 18, 15, tzinfo=UTC), datetime(2026, 11, 24, 18, 15, tzinfo=UTC)]
    assert [fire for job, fire in ran if job == "outbox"] == [later.replace(minute=0)]
    assert runner.run_due(later) == []
