"""The client-report jobs: the weekly dashboard at the end of each calling week, and the RDVs sent as they are
taken for the campaigns that ask for it. Defined as APScheduler triggers, like `rdv.jobs`; the leader runs them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from campaigns.calendar import Weekly, weekly_intersect
from campaigns.effective import centre_weekly, effective_weekly
from campaigns.models import Campaign
from campaigns.settings import campaign_settings
from campaigns.store import load_rules
from rdv.jobs import ALIGNED, DAYS, MailContext
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


def last_calling_weekday(weekly: Weekly) -> int | None:
    """The last weekday (0 = Monday) with calling windows: Friday, or Saturday when the campaign calls then."""
    days = [weekday for weekday, windows in enumerate(weekly) if windows]
    return max(days) if days else None


def weekly_trigger(session: Session, campaign_id: int, centre_timezone: str) -> tuple[BaseTrigger, str]:
    """When the campaign's weekly dashboard goes: the last calling weekday, after the daily e-mail (centre time),
    and the zone the week is read in (the campaign's)."""
    rules = load_rules(session, campaign_id, centre_timezone)
    campaign_zone = session.get_one(Campaign, campaign_id).timezone
    weekly = weekly_intersect(effective_weekly(rules.settings, rules.profile), centre_weekly(rules.settings))
    zone = rules.settings.centre_timezone or centre_timezone
    weekday = last_calling_weekday(weekly)
    if weekday is None:  # never calls: a week that never ends
        return CronTrigger(year=1970, timezone=zone), campaign_zone
    at = datetime.combine(date(2000, 1, 1), rules.settings.daily_mail_time) + AFTER_DAILY_MAIL
    return CronTrigger(day_of_week=DAYS[weekday], hour=at.hour, minute=at.minute, timezone=zone), campaign_zone


def weekly_dashboard_job(campaign_id: int, trigger: BaseTrigger, zone: str, ctx: MailContext) -> JobSpec:
    """The week's dashboard and results file for the campaign, e-mailed once per week (the outbox remembers)."""

    def send(fire: datetime) -> None:
        first, last = week_of(fire.astimezone(ZoneInfo(zone)).date())
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            message = queue_weekly_mail(session, campaign_id, first, last, now, ctx.mail_from, ctx.centre_timezone)
        if message is not None:
            log.info("weekly dashboard of campaign %s for the week of %s stored as outbox #%d", campaign_id, first,
                     message.id)  # fmt: skip
            deliver_pending(ctx.sessions, ctx.transport, now)

    return JobSpec(f"weekly_dashboard:{campaign_id}", trigger, send)


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
        trigger, zone = weekly_trigger(session, campaign_id, ctx.centre_timezone)
        specs.append(weekly_dashboard_job(campaign_id, trigger, zone, ctx))
        campaign = session.get_one(Campaign, campaign_id)
        as_taken = as_taken or campaign_settings(campaign.settings or {}).send_rdv_as_taken
    if as_taken:
        specs.append(taken_appointments_job(ctx))
    return specs
