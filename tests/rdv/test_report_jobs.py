"""The report jobs through the scheduler: the weekly dashboard once per calling week, across a restart, and RDVs
sent as they are taken, each within the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_rules import TimeSlot
from campaigns.appointment_services import book_appointment
from campaigns.appointments import Appointment
from campaigns.calendar import Schedule, parse_windows
from campaigns.models import Campaign
from campaigns.settings import set_value
from config.clock import ManualClock
from rdv.jobs import MailContext
from rdv.jobs_reports import (
    last_calling_day,
    report_jobs,
    taken_appointments_job,
    weekly_dashboard_job,
    weekly_trigger,
)
from rdv.scheduler import JobRunner
from reports.daily_appointments import queue_daily_mail
from reports.kpi_frames import campaign_facts, load_appointments
from reports.mailer import FolderTransport
from reports.outbox import OutboxMessage
from reports.service_levels import Targets, transmission_row
from reports.taken_mail import KIND as TAKEN_KIND
from reports.weekly_report import KIND as WEEKLY_KIND
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, add_attempt, add_lead, seed_campaign
from tests.reports.weekly_helpers import seed_weeks

PARIS = ZoneInfo("Europe/Paris")
MONDAY_MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)


def _context(sessions: sessionmaker[Session], clock: ManualClock, folder: Path) -> MailContext:
    return MailContext(sessions, clock, "Centre <rdv@centre.example>", FolderTransport(folder), "Europe/Paris")


def _weekly_runner(sessions: sessionmaker[Session], ctx: MailContext, campaign_id: int) -> JobRunner:
    with sessions() as session:
        week_end = weekly_trigger(session, campaign_id, "Europe/Paris")
    return JobRunner(sessions, [weekly_dashboard_job(campaign_id, week_end, ctx)])


def _weekly_days(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == WEEKLY_KIND).order_by(OutboxMessage.id)
        rows = session.scalars(query)
        return [f"{row.day.isoformat()} {row.created_at.astimezone(PARIS):%a %H:%M}" for row in rows if row.day]


def test_the_dashboard_goes_on_friday_after_the_daily_mail_once_per_week_across_a_restart(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        campaign_id = seed_weeks(session).id
    clock = ManualClock(MONDAY_MORNING)
    ctx = _context(sessions, clock, tmp_path)
    runner = _weekly_runner(sessions, ctx, campaign_id)
    runner.register(clock.now())
    thursday = datetime(2026, 12, 10, 23, 0, tzinfo=PARIS)
    clock.advance((thursday - clock.now()).total_seconds())
    runner.run_due(clock.now())  # Monday to Thursday fire, and send nothing: Friday ends the week
    assert _weekly_days(sessions) == []
    friday = datetime(2026, 12, 11, 19, 45, tzinfo=PARIS)
    clock.advance((friday - clock.now()).total_seconds())
    (ran,) = runner.run_due(clock.now())
    assert ran[1] == datetime(2026, 12, 11, 19, 30, tzinfo=PARIS)  # 15 minutes after the 19:15 daily e-mail
    restarted = _weekly_runner(sessions, ctx, campaign_id)
    restarted.register(clock.now())
    restarted.run_due(clock.now() + timedelta(hours=30))
    assert len(_weekly_days(sessions)) == 1
    # Even a job history lost (a new job id, a new database row) sends nothing twice: the outbox remembers.
    again = _weekly_runner(sessions, ctx, campaign_id)
    again.specs[next(iter(again.specs))].run(friday)
    next_friday = friday + timedelta(days=7)
    clock.advance((next_friday - clock.now()).total_seconds())
    restarted.run_due(clock.now())
    assert _weekly_days(sessions) == ["2026-12-07 Fri 19:45", "2026-12-14 Fri 19:45"]
    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert len(names) == 2


def test_a_campaign_that_calls_on_saturday_gets_its_dashboard_on_saturday(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        campaign.profile = "fr-business"  # a profile that allows Saturdays: fr-consumer never calls then
        campaign.settings = set_value(campaign.settings or {}, "saturday", "yes")
        campaign_id = campaign.id
    with sessions() as session:
        week_end = weekly_trigger(session, campaign_id, "Europe/Paris")
    fire = week_end.fire_of(MONDAY_MORNING.date())
    assert fire is not None and fire.astimezone(PARIS).strftime("%a %d %H:%M") == "Sat 12 19:30"
    assert week_end.ends_week(fire) and not week_end.ends_week(fire - timedelta(days=1))


def test_rdvs_sent_as_taken_reach_the_outbox_within_the_service_level_and_skip_the_evening_note(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    taken_at = datetime(2026, 12, 7, 14, 3, 20, tzinfo=UTC)  # 15:03 in Paris, business hours
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        campaign.status = "running"
        campaign.settings = set_value(campaign.settings or {}, "send_rdv_as_taken", "yes")
        lead = add_lead(session, campaign, 1)
        attempt = add_attempt(session, lead, taken_at - timedelta(minutes=6), outcome="connected", state="ended")
        visit = datetime(2026, 12, 10, 10, 0, tzinfo=PARIS)
        book_appointment(session, attempt_id=attempt.id, slot=TimeSlot(visit, visit + timedelta(hours=2)),
                         answers=CONFORM_ANSWERS,
                         agent="agent7", now=taken_at)  # fmt: skip
        campaign_id = campaign.id
    clock = ManualClock(taken_at)
    runner = JobRunner(sessions, [taken_appointments_job(_context(sessions, clock, tmp_path))])
    runner.register(clock.now())
    clock.advance(60)
    assert [job for job, _fire in runner.run_due(clock.now())] == ["taken_appointments"]
    clock.advance(60)
    runner.run_due(clock.now())  # nothing left to send: no second e-mail
    (eml,) = tmp_path.glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Nouveau rendez-vous : jeudi 10 décembre 2026 à 10:00 – Prise de RDV Charpente"
    assert any(p.get_filename() for p in message.iter_attachments())
    with sessions.begin() as session:
        (appointment,) = session.scalars(select(Appointment))
        assert appointment.state == "sent_to_client"
        messages = session.scalars(select(OutboxMessage)).all()
        assert [m.kind for m in messages] == [TAKEN_KIND]
        assert queue_daily_mail(session, campaign_id, taken_at.date(), clock.now(), "rdv@centre.example") is None
    with sessions() as session:
        facts = campaign_facts(session, campaign_id)
        sheets = load_appointments(session, facts, taken_at - timedelta(days=1), taken_at + timedelta(days=1))
    assert sheets["transmission_s"].tolist() == [60.0]  # filed by the run a minute after it was taken
    transmission = transmission_row(sheets, Targets(), sends_as_taken=True)
    assert (transmission["measured"], transmission["met"], transmission["count"]) == (1.0, True, 1)


def test_every_campaign_gets_its_weekly_job_and_the_minute_job_only_when_one_sends_as_taken(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        first = seed_campaign(session)
        second = Campaign(name="Autre", client_id=first.client_id)
        session.add(second)
        session.flush()
        ids = [first.id, second.id]
    ctx = _context(sessions, ManualClock(MONDAY_MORNING), tmp_path)
    with sessions() as session:
        specs = report_jobs(session, ids, ctx)
    assert [s.id for s in specs] == [f"weekly_dashboard:{ids[0]}", f"weekly_dashboard:{ids[1]}"]
    with sessions.begin() as session:
        second = session.get_one(Campaign, ids[1])
        second.settings = set_value(second.settings or {}, "send_rdv_as_taken", "yes")
    with sessions() as session:
        specs = report_jobs(session, ids, ctx)
    assert [s.id for s in specs][-1] == "taken_appointments"


def _schedule(subdivision: str = "", saturday: bool = False) -> Schedule:
    hours = parse_windows("10:00-13:00,14:00-20:00")
    return Schedule("Europe/Paris", (*(hours,) * 5, hours if saturday else (), ()), holidays_country="FR",
                    holidays_subdivision=subdivision)  # fmt: skip


def _calls_on(schedule: Schedule) -> Callable[[date], bool]:
    return lambda day: bool(schedule.windows_on(day))


def test_the_week_ends_on_its_last_calling_day_once_holidays_are_taken_out() -> None:
    weekdays = _calls_on(_schedule())
    assert last_calling_day(date(2026, 12, 21), weekdays) == date(2026, 12, 24)  # Friday 25 is Christmas
    assert last_calling_day(date(2028, 7, 10), weekdays) == date(2028, 7, 13)  # Friday 14 July
    assert last_calling_day(date(2033, 11, 7), weekdays) == date(2033, 11, 10)  # Friday 11 November
    assert last_calling_day(date(2026, 7, 13), weekdays) == date(2026, 7, 17)  # a Tuesday holiday changes nothing
    with_saturday = _calls_on(_schedule(saturday=True))
    assert last_calling_day(date(2026, 12, 21), with_saturday) == date(2026, 12, 26)
    # Moselle keeps the 26th of December as a holiday: a campaign that calls on Saturday ends on the Thursday.
    moselle = _calls_on(_schedule("57", saturday=True))
    assert last_calling_day(date(2026, 12, 21), moselle) == date(2026, 12, 24)
    assert last_calling_day(date(2026, 12, 21), lambda _day: False) is None


def test_christmas_week_dashboard_goes_on_thursday_and_a_closed_week_sends_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        # The week of 28 December closed: no calling day at all, so no dashboard for it.
        closed = ",".join(f"2026-12-{day}" for day in range(28, 32))
        campaign.settings = set_value(campaign.settings or {}, "closures", closed)
        campaign_id = campaign.id
    clock = ManualClock(datetime(2026, 12, 20, 19, 45, tzinfo=PARIS))
    ctx = _context(sessions, clock, tmp_path)
    runner = _weekly_runner(sessions, ctx, campaign_id)
    runner.register(clock.now())
    for _day in range(15):  # each evening after the job's time, over Christmas and the closed week
        clock.advance(timedelta(days=1).total_seconds())
        runner.run_due(clock.now())
    assert _weekly_days(sessions) == ["2026-12-21 Thu 19:45"]
    with sessions() as session:
        assert weekly_trigger(session, campaign_id, "Europe/Paris").fire_of(date(2026, 12, 28)) is None
