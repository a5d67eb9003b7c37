"""The scheduled jobs, defined once as APScheduler triggers: the service and the demo run the same definitions.

Per campaign: open and close the calling day (every dialer process does this for its own agents) and, on the
scheduler leader only, the daily RDV e-mail after the daily close. For everything: delivering the outbox
(the mailer retries with backoff) and freeing the leads a vanished dialer left claimed.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from billing.reminders import send_reminders
from billing.rules import Week
from billing.runs import bill_month, bill_week
from campaigns.appointment_services import day_bounds
from campaigns.calendar import END_OF_DAY, Calendar, Weekly, open_intervals, weekly_intersect
from campaigns.effective import centre_weekly, effective_weekly
from campaigns.hopper import release_stale_claims
from campaigns.models import Campaign, Client, LeadClaim
from campaigns.retention import apply_retention, retention_detail
from campaigns.store import load_rules
from config import audit
from config.clock import Clock
from dialer.recordings import purge_expired
from leads.dnc import KEY_NAME as DNC_KEY
from rdv.client_export import export_client
from rdv.leader import dialer_is_dead
from rdv.scheduler import FIRES_KEPT, JobSpec, fire_times, prune_fires
from reports.daily_appointments import queue_daily_mail
from reports.mailer import Transport, deliver_pending

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OUTBOX_EVERY = timedelta(minutes=5)
STALE_CLAIMS_EVERY = timedelta(minutes=15)
# A claim older than this belongs to a dialer that is gone: no conversation lasts two hours.
STALE_AFTER = timedelta(hours=2)
# How often the leader looks for dialers that died (kill -9, a crash) while holding claims: one try-lock per
# dialer holding claims, so that their leads are freed about `dead_dialer_grace` after the death.
DEAD_DIALERS_EVERY = timedelta(minutes=1)
DEAD_DIALER_GRACE = timedelta(minutes=5)
ALIGNED = datetime(2000, 1, 3, tzinfo=UTC)  # interval jobs fire on round times


@dataclass(frozen=True)
class CampaignDay:
    """When a campaign's calling day opens and closes and its daily e-mail goes, as triggers."""

    campaign_id: int
    zone: str
    mail_zone: str
    calendar: Calendar
    open: BaseTrigger
    close: BaseTrigger
    mail: BaseTrigger

    def is_calling_day(self, moment: datetime) -> bool:
        """Whether the campaign calls at all on the local day of `moment` (not a weekend, holiday or closure)."""
        start, end = day_bounds(moment.astimezone(ZoneInfo(self.zone)).date(), self.zone)
        return bool(open_intervals(start, end, self.calendar))

    def is_open(self, now: datetime) -> bool:
        """Whether the day is open now: the last opening is later than the last closing, on a calling day."""
        opened = fire_times(self.open, now - timedelta(days=8), now, limit=1)
        closed = fire_times(self.close, now - timedelta(days=8), now, limit=1)
        return bool(opened) and (not closed or opened[0] > closed[0]) and self.is_calling_day(opened[0])


def _cron(days_by_time: dict[time, list[int]], zone: str) -> BaseTrigger:
    crons: list[BaseTrigger] = [
        CronTrigger(day_of_week=",".join(DAYS[d] for d in days), hour=at.hour, minute=at.minute, timezone=zone)
        for at, days in sorted(days_by_time.items())
    ]
    if not crons:  # a campaign with no window at all: a day that never comes
        return CronTrigger(year=1970, timezone=zone)
    return crons[0] if len(crons) == 1 else OrTrigger(crons)


def day_triggers(weekly: Weekly, zone: str) -> tuple[BaseTrigger, BaseTrigger]:
    """Opening (first window's start) and closing (last window's end) of each weekday that has windows."""
    opens: dict[time, list[int]] = defaultdict(list)
    closes: dict[time, list[int]] = defaultdict(list)
    for weekday, windows in enumerate(weekly):
        if windows:
            opens[min(w.start for w in windows)].append(weekday)
            end = max(w.end for w in windows)
            closes[time(23, 59) if end == END_OF_DAY else end].append(weekday)
    return _cron(opens, zone), _cron(closes, zone)


def campaign_day(session: Session, campaign_id: int, centre_timezone: str) -> CampaignDay:
    """The day triggers of a stored campaign, from its settings and profile."""
    campaign = session.get_one(Campaign, campaign_id)
    rules = load_rules(session, campaign_id, centre_timezone)
    weekly = weekly_intersect(effective_weekly(rules.settings, rules.profile), centre_weekly(rules.settings))
    opening, closing = day_triggers(weekly, campaign.timezone)
    mail_zone = rules.settings.centre_timezone or centre_timezone
    at = rules.settings.daily_mail_time
    mail = _cron({at: [d for d, windows in enumerate(weekly) if windows]}, mail_zone)
    return CampaignDay(campaign.id, campaign.timezone, mail_zone, rules.calendar(campaign.timezone), opening,
                       closing, mail)  # fmt: skip


def day_jobs(day: CampaignDay, set_open: Callable[[int, bool], None], dialer_id: str) -> list[JobSpec]:
    """This dialer's opening and closing of a campaign's day (not a holiday: the opening checks the calendar)."""

    def opening(fire: datetime) -> None:
        set_open(day.campaign_id, day.is_calling_day(fire))

    def closing(_fire: datetime) -> None:
        set_open(day.campaign_id, False)

    return [JobSpec(f"day_open:{day.campaign_id}:{dialer_id}", day.open, opening),
            JobSpec(f"day_close:{day.campaign_id}:{dialer_id}", day.close, closing)]  # fmt: skip


@dataclass(frozen=True)
class MailContext:
    """What the mail and maintenance jobs need: storage, the clock, the sender and the transport."""

    sessions: sessionmaker[Session]
    clock: Clock
    mail_from: str
    transport: Transport
    centre_timezone: str
    # Where the monthly standard export of each client goes (seed 002); None: no such job.
    exports_dir: Path | None = None
    # How long a dialer is seen dead before its claims are freed (setting dialer_dead_grace_seconds).
    dead_dialer_grace: timedelta = DEAD_DIALER_GRACE
    # A secret by name (`rdv.bootstrap.App.secret`): the retention job hashes do-not-call numbers with one.
    secret: Callable[[str], str] | None = None


def daily_mail_job(day: CampaignDay, ctx: MailContext) -> JobSpec:
    """The campaign's daily RDV e-mail for the calling day of the fire time, then an attempt to deliver it."""

    def send(fire: datetime) -> None:
        if not day.is_calling_day(fire):
            return
        calling_day = fire.astimezone(ZoneInfo(day.mail_zone)).date()
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            message = queue_daily_mail(session, day.campaign_id, calling_day, now, ctx.mail_from)
        if message is not None:
            log.info("daily e-mail of campaign %s for %s stored as outbox #%d", day.campaign_id, calling_day,
                     message.id)  # fmt: skip
            deliver_pending(ctx.sessions, ctx.transport, now)

    return JobSpec(f"daily_mail:{day.campaign_id}", day.mail, send)


def maintenance_jobs(ctx: MailContext) -> list[JobSpec]:
    """Outbox delivery (retries follow the mailer's backoff) and stale-claim cleanup, on the leader."""

    def outbox(_fire: datetime) -> None:
        report = deliver_pending(ctx.sessions, ctx.transport, ctx.clock.now())
        if report.delivered or report.deferred or report.failed:
            log.info("outbox: %d delivered, %d deferred, %d failed", report.delivered, report.deferred,
                     report.failed)  # fmt: skip

    def stale_claims(_fire: datetime) -> None:
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            freed = release_stale_claims(session, now - STALE_AFTER, now, centre_timezone=ctx.centre_timezone)
        if freed:
            log.warning("freed %d leads claimed for over %s by a dialer that is gone", freed, STALE_AFTER)

    return [
        # A backlog of these (a restart, or the demo's jobs thread behind its fast clock) would run one after the
        # other and hold the evening e-mail behind them: one run does what they all would.
        JobSpec("outbox", IntervalTrigger(seconds=OUTBOX_EVERY.total_seconds(), start_date=ALIGNED, timezone=UTC),
                outbox, coalesce=True),
        JobSpec("stale_claims", IntervalTrigger(seconds=STALE_CLAIMS_EVERY.total_seconds(), start_date=ALIGNED,
                                                timezone=UTC), stale_claims, coalesce=True),
        dead_dialers_job(ctx),
        weekly_billing_job(ctx),
        payment_reminders_job(ctx),
        monthly_billing_job(ctx),
        retention_job(ctx),
        fires_pruning_job(ctx),
        *([monthly_export_job(ctx, ctx.exports_dir)] if ctx.exports_dir is not None else []),
    ]  # fmt: skip


def dead_dialers_job(ctx: MailContext) -> JobSpec:
    """Free the claims of the dialers that died, once seen dead for `ctx.dead_dialer_grace` (PostgreSQL).

    A dialer is dead when the advisory lock of its id is free (`rdv.leader.dialer_is_dead`); the release runs
    in the transaction that holds that lock, so the dialer cannot restart meanwhile. The grace leaves a dialer
    restarted by its supervisor (systemd) the time to come back and reconcile its own calls, which the PBX may
    still carry; only claims older than the grace go. Who was seen dead since when is this leader's memory: a
    new leader starts counting afresh. On SQLite there is one process, so nothing is ever another's to free:
    the job does nothing (a restart frees its own claims, `dialer.recovery`).
    """
    dead_since: dict[str, datetime] = {}

    def dead_dialers(_fire: datetime) -> None:
        now, grace = ctx.clock.now(), ctx.dead_dialer_grace
        with ctx.sessions() as session:
            if session.get_bind().dialect.name != "postgresql":
                return
            holders = set(session.scalars(select(LeadClaim.dialer_id).distinct()))
        for gone in dead_since.keys() - holders:
            del dead_since[gone]
        for dialer_id in sorted(holders):
            with ctx.sessions.begin() as session:
                if not dialer_is_dead(session.connection(), dialer_id):
                    dead_since.pop(dialer_id, None)
                    continue
                since = dead_since.setdefault(dialer_id, now)
                if now - since < grace:
                    continue
                freed = release_stale_claims(session, now - grace, now, centre_timezone=ctx.centre_timezone,
                                             dialer_id=dialer_id)  # fmt: skip
            if freed:
                log.warning("dialer %s is gone (seen dead since %s): freed %d leads it held", dialer_id,
                            since.isoformat(timespec="seconds"), freed)  # fmt: skip

    return JobSpec("dead_dialers", IntervalTrigger(seconds=DEAD_DIALERS_EVERY.total_seconds(), start_date=ALIGNED,
                                                   timezone=UTC), dead_dialers, coalesce=True)


# Monday morning in the call centre's zone: the production week just ended is billed, earlier weeks
# re-billed by difference where quality control has moved their results.
BILLING_AT = {"day_of_week": "mon", "hour": 6, "minute": 0}


def weekly_billing_job(ctx: MailContext) -> JobSpec:
    """Bill the week that ended before the fire time for every client billed per RDV, then mail the invoices."""

    def bill(fire: datetime) -> None:
        week = Week.of((fire.astimezone(ZoneInfo(ctx.centre_timezone)) - timedelta(days=7)).date())
        now = ctx.clock.now()
        reports = bill_week(ctx.sessions, week, now, ctx.mail_from, keep_going=True)
        issued = sum(len(r.issued) for r in reports)
        if issued:
            log.info("weekly billing of %s: %d documents issued", week, issued)
            deliver_pending(ctx.sessions, ctx.transport, now)

    return JobSpec("weekly_billing", CronTrigger(timezone=ctx.centre_timezone, **BILLING_AT), bill)


def payment_reminders_job(ctx: MailContext) -> JobSpec:
    """Every morning, remind what is still due after its due date, at each contract's delays."""

    def remind(_fire: datetime) -> None:
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            queued = send_reminders(session, now, ctx.mail_from)
        if queued:
            log.info("%d payment reminders queued", queued)
            deliver_pending(ctx.sessions, ctx.transport, now)

    return JobSpec("payment_reminders", CronTrigger(hour=9, minute=0, timezone=ctx.centre_timezone), remind)


def monthly_billing_job(ctx: MailContext) -> JobSpec:
    """On the 1st at 06:00, bill the month just ended for the plans billed by period, then mail the invoices."""

    def bill(fire: datetime) -> None:
        last = fire.astimezone(ZoneInfo(ctx.centre_timezone)).date() - timedelta(days=1)
        now = ctx.clock.now()
        if bill_month(ctx.sessions, last.replace(day=1), last, now, ctx.mail_from):
            deliver_pending(ctx.sessions, ctx.transport, now)

    return JobSpec("monthly_billing", CronTrigger(day=1, hour=6, minute=0, timezone=ctx.centre_timezone), bill)


# Every night, in the centre's zone, when nobody calls: recordings past their campaign's retention go.
RECORDINGS_PURGE_AT = {"hour": 3, "minute": 30}


def recordings_retention_job(sessions: sessionmaker[Session], clock: Clock, data_dir: Path,
                             centre_timezone: str) -> JobSpec:
    """Delete the recordings (file and row) whose campaign's retention has run out, and say how many."""

    def purge(_fire: datetime) -> None:
        report = purge_expired(sessions, data_dir, clock.now())
        if report.rows_deleted:
            log.info("recordings retention: %d files and %d records deleted (%d files were already gone)",
                     report.files_deleted, report.rows_deleted, report.files_missing)

    return JobSpec("recordings_retention", CronTrigger(timezone=centre_timezone, **RECORDINGS_PURGE_AT), purge,
                   coalesce=True)


def fires_pruning_job(ctx: MailContext) -> JobSpec:
    """Every night at 03:45, the fire times of jobs finished long ago go (`rdv.scheduler.FIRES_KEPT`)."""

    def prune(_fire: datetime) -> None:
        with ctx.sessions.begin() as session:
            pruned = prune_fires(session, ctx.clock.now())
        if pruned:
            log.info("job history: %d fire times older than %d days deleted", pruned, FIRES_KEPT.days)

    return JobSpec("job_fires_pruning", CronTrigger(hour=3, minute=45, timezone=ctx.centre_timezone), prune,
                   coalesce=True)


def retention_job(ctx: MailContext) -> JobSpec:
    """Every night at 02:30, anonymise what each client's retention says is due, and say how much."""

    secret = ctx.secret
    if secret is None:
        raise TypeError("the retention job needs MailContext.secret, for the do-not-call numbers' key")

    def anonymise(_fire: datetime) -> None:
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            reports = apply_retention(session, now, secret(DNC_KEY))
            for report in reports:
                if report.leads or report.calls or report.appointments or report.numbers_hashed:
                    audit.record(session, "rdv", "system", "anonymise", f"client {report.client}",
                                 detail=retention_detail(report), now=now)
        log.info("retention: %d leads, %d calls, %d RDV sheets anonymised, %d do-not-call numbers hashed",
                 sum(r.leads for r in reports), sum(r.calls for r in reports), sum(r.appointments for r in reports),
                 sum(r.numbers_hashed for r in reports))

    return JobSpec("retention", CronTrigger(hour=2, minute=30, timezone=ctx.centre_timezone), anonymise,
                   coalesce=True)


def monthly_export_job(ctx: MailContext, folder: Path) -> JobSpec:
    """On the 1st at 05:00, the standard export of every client with a campaign, into `folder/<client>/<month>`."""

    def export(fire: datetime) -> None:
        month = (fire.astimezone(ZoneInfo(ctx.centre_timezone)).date() - timedelta(days=1)).strftime("%Y-%m")
        now = ctx.clock.now()
        with ctx.sessions.begin() as session:
            clients = session.scalars(select(Client).where(Client.id.in_(select(Campaign.client_id)))).all()
            for client in clients:
                out = folder / f"{client.id}-{slug(client.name)}" / month
                if out.exists() and any(out.iterdir()):
                    continue  # already made (a restart re-running a missed job)
                result = export_client(session, client, out, now, "rdv")
                audit.record(session, "rdv", "system", "export", f"client {client.name}",
                             detail=f"monthly export {month} {result.checksum[:16]}…", now=now)
                log.info("monthly export of client %d for %s: %d rows", client.id, month, sum(result.counts.values()))

    return JobSpec("monthly_export", CronTrigger(day=1, hour=5, minute=0, timezone=ctx.centre_timezone), export,
                   coalesce=True)


def slug(name: str) -> str:
    """A folder name from a client's name: ASCII letters, digits and dashes."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "client"
