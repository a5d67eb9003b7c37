"""The monthly review job: the first working day of the month (holidays of the campaign's profile), once, even
across a restart of the service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import ManualClock
from rdv.jobs import MailContext, campaign_day
from rdv.jobs_monthly import first_working_day, monthly_review_job
from rdv.models_service import JobRun
from rdv.scheduler import JobRunner
from reports.mailer import FolderTransport
from reports.outbox import OutboxMessage
from tests.reports.review_seed import seed_review_months

FRENCH_HOLIDAYS = {date(2027, 1, 1), date(2026, 5, 1), date(2026, 5, 8)}


def test_the_first_working_day_skips_weekends_and_holidays() -> None:
    closed = FRENCH_HOLIDAYS.__contains__
    assert first_working_day(2027, 1, closed) == date(2027, 1, 4)  # Friday 1st is New Year's Day, then a weekend
    assert first_working_day(2026, 12, closed) == date(2026, 12, 1)  # a Tuesday
    assert first_working_day(2026, 8, closed) == date(2026, 8, 3)  # Saturday 1st
    assert first_working_day(2026, 5, closed) == date(2026, 5, 4)  # Friday 1st is May Day


def _runner(sessions: sessionmaker[Session], campaign_id: int, clock: ManualClock, folder: Path) -> JobRunner:
    with sessions() as session:
        day = campaign_day(session, campaign_id, "Europe/Paris")
    ctx = MailContext(sessions, clock, "bilans@outsourcing-academy.example", FolderTransport(folder), "Europe/Paris")
    return JobRunner(sessions, [monthly_review_job(day, ctx)])


def _reviews(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "monthly_review")))


def test_the_december_review_leaves_on_monday_4_january_once_across_a_restart(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions.begin() as session:
        campaign_id = seed_review_months(session).campaign_id
    start = datetime(2026, 12, 31, 18, tzinfo=UTC)
    clock = ManualClock(start)
    runner = _runner(sessions, campaign_id, clock, tmp_path)
    runner.register(start)
    holiday = datetime(2027, 1, 1, 12, tzinfo=UTC)  # after 09:30 on New Year's Day
    clock.advance((holiday - start).total_seconds())
    assert [job for job, _fire in runner.run_due(holiday)] == [f"monthly_review:{campaign_id}"]
    assert _reviews(sessions) == []  # a holiday is no working day: nothing sent
    monday = datetime(2027, 1, 4, 10, tzinfo=UTC)
    clock.advance((monday - holiday).total_seconds())
    ran = runner.run_due(monday)
    assert [fire.isoformat() for _job, fire in ran] == ["2027-01-02T09:30:00+01:00", "2027-01-03T09:30:00+01:00",
                                                       "2027-01-04T09:30:00+01:00"]
    (review,) = _reviews(sessions)
    assert review.day == date(2026, 12, 1) and review.status == "filed"
    (eml,) = tmp_path.glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["Subject"] == "Bilan mensuel – décembre 2026 – Prise de RDV Charpente"

    # A restart that forgot the job's history (or a second scheduler) runs Monday again: nothing is sent twice.
    with sessions.begin() as session:
        session.execute(delete(JobRun))
    restarted = _runner(sessions, campaign_id, clock, tmp_path)
    restarted.register(monday - timedelta(hours=2))
    later = monday + timedelta(days=3)
    clock.advance((later - monday).total_seconds())
    assert [fire.date() for _job, fire in restarted.run_due(later)][-1] == date(2027, 1, 7)
    assert len(_reviews(sessions)) == 1 and len(list(tmp_path.glob("*.eml"))) == 1
