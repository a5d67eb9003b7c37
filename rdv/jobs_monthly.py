"""The monthly review's job: on the first working day of each month, the client receives the review of the
month just ended, through the outbox and the mailer.

"Working day" is read from the campaign's own calendar: Monday to Friday, not a public holiday or closure of its
profile (1 January 2027 is a Friday and a holiday in France: the December review goes on Monday 4 January).
The trigger fires every morning of the first week; the job acts only on the first working day among them, and
the outbox refuses a second review of the same month, so a restart or a repeated run sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from rdv.jobs import CampaignDay, MailContext
from rdv.scheduler import JobSpec
from reports.mailer import deliver_pending
from reports.review_service import last_month, queue_review

log = logging.getLogger(__name__)
# Mid-morning in the centre's zone: the client reads it with the day's mail, the centre has checked the month.
REVIEW_AT = {"hour": 9, "minute": 30}
WEEKEND = 5  # Saturday and Sunday (date.weekday() >= 5) are never working days


def first_working_day(year: int, month: int, closed: Callable[[date], bool]) -> date:
    """The first day of the month that is a weekday and not `closed` (a holiday or a closure). Pure."""
    day = date(year, month, 1)
    while day.weekday() >= WEEKEND or closed(day):
        day += timedelta(days=1)
    return day


def monthly_review_job(day: CampaignDay, ctx: MailContext) -> JobSpec:
    """The campaign's review of the previous month, on the first working day of the month."""
    closed = day.calendar.callee.closed_on

    def send(fire: datetime) -> None:
        local = fire.astimezone(ZoneInfo(day.mail_zone)).date()
        if local != first_working_day(local.year, local.month, closed):
            return
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            message = queue_review(session, day.campaign_id, last_month(local), now, ctx.mail_from,
                                   centre_timezone=ctx.centre_timezone)
        if message is not None:
            log.info("monthly review of campaign %s for %s stored as outbox #%d", day.campaign_id,
                     last_month(local).strftime("%Y-%m"), message.id)  # fmt: skip
            deliver_pending(ctx.sessions, ctx.transport, now)

    trigger = CronTrigger(day="1-7", timezone=day.mail_zone, **REVIEW_AT)
    return JobSpec(f"monthly_review:{day.campaign_id}", trigger, send)
