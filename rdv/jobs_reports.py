"""The client-report jobs: the weekly dashboard after the close of the last calling day of each week, and the
RDVs sent as they are taken for the campaigns that ask for it.
Defined as APScheduler triggers, like `rdv.jobs`; the leader runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from campaigns.calendar import weekly_intersect
from campaigns.effective import centre_weekly, effective_weekly
from campaigns.models import Campaign
from campaigns.settings import campaign_settings
from campaigns.store import load_rules
from rdv.jobs import ALIGNED, DAYS, CampaignDay, MailContext, campaign_day
from rdv.scheduler import JobSpec
from reports.mailer import deliver_pending
from reports.taken_mail import queue_taken_appointments
from reports.weekly_dashboard import week_of
from reports.weekly_report import queue_weekly_mail

log = logging.getLogger(__name__)
# The weekly dashboard follows the day's RDV e-mail, so the client reads the day's RDVs first.
AFTER_DAILY_MAIL = timedelta(minutes=15)
# How often the service looks for RDVs to send as they are taken: well inside the 10-minute service level.
TAKEN_EVERY = timedelta(minutes=1)


def last_calling_day(monday: date, calls_on: Callable[[date], bool]) -> date | None:
    """The last day of the week beginning on `monday` that the campaign calls on (Thursday when Friday is a
    public holiday, Saturday when it calls then); None for a week without a calling day. Pure."""
    for offset in range(6, -1, -1):
        day = monday + timedelta(days=offset)
        if calls_on(day):
            return day
    return None


@dataclass(frozen=True)
class WeekEnd:
    """When a campaign's calling week ends: the trigger fires after the daily e-mail of every calling weekday,
    and only the last calling day of its week (holidays and closures of the campaign's calendar taken out) acts.

    A week without any calling day (a closure over the whole week) sends nothing: it has no figures, and the
    next week's dashboard shows its own week beside the week before, which reads as empty."""

    day: CampaignDay
    at: time
    trigger: BaseTrigger

    def calls_on(self, day: date) -> bool:
        return self.day.is_calling_day(datetime.combine(day, time(12), ZoneInfo(self.day.zone)))

    def last_day(self, monday: date) -> date | None:
        return last_calling_day(monday, self.calls_on)

    def fire_of(self, monday: date) -> datetime | None:
        """When the dashboard of the week beginning on `monday` goes, or None for a week without calls."""
        last = self.last_day(monday)
        return None if last is None else datetime.combine(last, self.at, ZoneInfo(self.day.mail_zone))

    def ends_week(self, fire: datetime) -> bool:
        """Whether this fire time is the end of its calling week (the day read in the centre's zone)."""
        local = fire.astimezone(ZoneInfo(self.day.mail_zone)).date()
        return self.last_day(week_of(local)[0]) == local


def weekly_trigger(session: Session, campaign_id: int, centre_timezone: str) -> WeekEnd:
    """The end of the campaign's calling weeks: after the daily e-mail (centre time) of its calling weekdays."""
    rules = load_rules(session, campaign_id, centre_timezone)
    day = campaign_day(session, campaign_id, centre_timezone)
    weekly = weekly_intersect(effective_weekly(rules.settings, rules.profile), centre_weekly(rules.settings))
    weekdays = [DAYS[weekday] for weekday, windows in enumerate(weekly) if windows]
    at = (datetime.combine(date(2000, 1, 1), rules.settings.daily_mail_time) + AFTER_DAILY_MAIL).time()
    if not weekdays:  # never calls: a week that never ends
        return WeekEnd(day, at, CronTrigger(year=1970, timezone=day.mail_zone))
    trigger = CronTrigger(day_of_week=",".join(weekdays), hour=at.hour, minute=at.minute, timezone=day.mail_zone)
    return WeekEnd(day, at, trigger)


def weekly_dashboard_job(campaign_id: int, week_end: WeekEnd, ctx: MailContext) -> JobSpec:
    """The week's dashboard and results file for the campaign, e-mailed once per week (the outbox remembers)."""

    def send(fire: datetime) -> None:
        if not week_end.ends_week(fire):
            return
        first, last = week_of(fire.astimezone(ZoneInfo(week_end.day.mail_zone)).date())
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            message = queue_weekly_mail(session, campaign_id, first, last, now, ctx.mail_from, ctx.centre_timezone)
        if message is not None:
            log.info("weekly dashboard of campaign %s for the week of %s stored as outbox #%d", campaign_id, first,
                     message.id)  # fmt: skip
            deliver_pending(ctx.sessions, ctx.transport, now)

    return JobSpec(f"weekly_dashboard:{campaign_id}", week_end.trigger, send)


def taken_appointments_job(ctx: MailContext) -> JobSpec:
    """Every minute: the RDVs taken since the last run, one e-mail each, for the campaigns that send them so."""

    def send(_fire: datetime) -> None:
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            queued = queue_taken_appointments(session, now, ctx.mail_from, ctx.centre_timezone)
        if queued:
            log.info("%d RDVs sent as taken", len(queued))
            deliver_pending(ctx.sessions, ctx.transport, now)

    trigger = IntervalTrigger(seconds=TAKEN_EVERY.total_seconds(), start_date=ALIGNED, timezone="UTC")
    return JobSpec("taken_appointments", trigger, send, coalesce=True)


def report_jobs(session: Session, campaign_ids: list[int], ctx: MailContext) -> list[JobSpec]:
    """The report jobs of these campaigns, for the leader's shared runner: the minute job only when one of them
    sends RDVs as taken (read at start, like the rest of a campaign's schedule)."""
    specs = []
    as_taken = False
    for campaign_id in campaign_ids:
        specs.append(weekly_dashboard_job(campaign_id, weekly_trigger(session, campaign_id, ctx.centre_timezone), ctx))
        campaign = session.get_one(Campaign, campaign_id)
        as_taken = as_taken or campaign_settings(campaign.settings or {}).send_rdv_as_taken
    if as_taken:
        specs.append(taken_appointments_job(ctx))
    return specs
