"""The accelerated campaign of `rdv demo`: the service's parts on a scaled clock that jumps over closed hours.

The same Runtime as `rdv run` (engine, AMI adapter, embedded simulator over loopback TCP, job runners with
the same triggers); only the waking differs: this loop asks the triggers for their next fire time on the
scaled clock and, when no call is live and nothing can be dialled, jumps the clock to the next opening, the
next lead due or the next job, whichever comes first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from campaigns.calendar import RING, holiday_dates, next_open
from campaigns.hopper import DIALABLE
from campaigns.store import load_rules
from leads.models import Lead
from rdv.bootstrap import App
from rdv.demo_clock import IdleClock
from rdv.demo_jobs import DemoJobs
from rdv.jobs import CampaignDay
from rdv.runtime import Runtime, RuntimeOptions

log = logging.getLogger(__name__)
# A jump shorter than this is not worth it: the scaled clock gets there by itself.
MIN_JUMP = timedelta(minutes=2)
# How often the loop asks when the next lead is due (a retry is never due sooner than 15 minutes after a call).
RECHECK = timedelta(minutes=5)
# Without live calls for this long, the engine had its ticks to dial and found nothing.
IDLE_FOR = timedelta(seconds=45)
# When due leads cannot be dialled yet (frequency cap, cool-off), look again this much later.
IDLE_STEP = timedelta(minutes=10)


@dataclass(frozen=True)
class DemoPace:
    """How fast the demo runs: clock scale (simulated seconds per second the loop waits), engine tick and the
    demo loop's period (simulated seconds)."""

    scale: float = 8000.0
    tick_s: float = 2.0
    period_s: float = 20.0
    drain_s: float = 600.0


def calling_days(day: CampaignDay, first: date, count: int) -> list[date]:
    """The first `count` calling days of the campaign from `first` on (weekends and holidays skipped)."""
    zone = ZoneInfo(day.zone)
    found: list[date] = []
    current = first
    while len(found) < count:
        if day.is_calling_day(datetime.combine(current, time(12), zone)):
            found.append(current)
        current += timedelta(days=1)
        if current > first + timedelta(days=count * 7 + 30):
            raise ValueError(f"no calling day after {first}")
    return found


def next_dial_time(app: App, campaign_id: int, now: datetime) -> datetime:
    """When a lead may next be dialled: per callee zone, its first due lead at the zone's first open hour.

    An estimate (the hopper also weighs consent, the frequency cap and refusals): the loop only uses it to
    know how far it may jump, and re-checks. Zones that differ only by a département with the same public
    holidays share one calendar question.
    """
    with app.sessions() as session:
        rows = session.execute(
            select(Lead.timezone, Lead.country, Lead.subdivision, func.min(Lead.next_attempt_at),
                   func.count(Lead.id) - func.count(Lead.next_attempt_at))
            .where(Lead.campaign_id == campaign_id, Lead.status.in_(DIALABLE), Lead.claimed_by == "")
            .group_by(Lead.timezone, Lead.country, Lead.subdivision)
        ).all()
        rules = load_rules(session, campaign_id, app.settings.centre_timezone)
    earliest: dict[tuple[str, str, frozenset[date]], tuple[datetime, tuple[str, str, str]]] = {}
    for timezone, country, subdivision, first_due, fresh in rows:
        due = now if fresh or first_due is None else max(now, first_due)
        key = (timezone, country, holiday_dates(country, subdivision, due.year))
        if key not in earliest or due < earliest[key][0]:
            earliest[key] = (due, (timezone, country, subdivision))
    candidates = []
    for due, zone in earliest.values():
        calendar = rules.calendar(*zone)
        candidates.append(next_open(due, calendar, RING))  # as the hopper claims: with room for a ring
    return min(candidates, default=now + timedelta(days=365))


async def run_campaign(app: App, campaign_id: int, days: list[date], options: RuntimeOptions, pace: DemoPace,
                       on_day_done: Callable[[date], None] | None = None) -> Runtime:
    """Run the campaign over its calling days until the last day's e-mail job has run; returns the stopped runtime.

    `on_day_done(day)` is called once per calling day, after its evening e-mail job: when the next day opens,
    and for the last day when the run ends.
    """
    clock = app.clock
    assert isinstance(clock, IdleClock), "the demo needs its idle-time clock"
    runtime = Runtime(app, [campaign_id], options)
    await runtime.start()
    assert runtime.engine is not None
    day = runtime.days[campaign_id]
    last = datetime.combine(days[-1], time(0), ZoneInfo(day.mail_zone))
    end = day.mail.get_next_fire_time(None, last)
    assert end is not None
    next_fire = runtime.next_fire(clock.now())
    shown: date | None = None
    dial_at: datetime | None = None
    checked: datetime | None = None
    idle_since: datetime | None = None
    jobs = DemoJobs(runtime, clock)
    try:
        while True:
            now = clock.now()
            if next_fire is None or now >= next_fire:
                await jobs.wake(now)
                next_fire = runtime.next_fire(now)
                if now >= end:
                    await jobs.finish(now)
                    if shown is not None and on_day_done is not None:
                        on_day_done(shown)
                    break
            else:
                jobs.poll()
                await runtime.staffing.apply(now)
            local_day = now.astimezone(ZoneInfo(day.zone)).date()
            if local_day != shown and runtime.staffing.any_open():
                if shown is not None and on_day_done is not None:
                    on_day_done(shown)
                shown = local_day
            if not runtime.staffing.any_open():
                dial_at = checked = None
            elif checked is None or now - checked >= RECHECK or (dial_at is not None and checked < dial_at <= now):
                dial_at, checked = next_dial_time(app, campaign_id, now), now
                runtime.staffing.nothing_due_until[campaign_id] = dial_at
            if runtime.engine.calls or idle_since is None:
                idle_since = None if runtime.engine.calls else now
            elif now - idle_since >= IDLE_FOR and not jobs.busy():
                # No call live for a while: the day is closed or the hopper has nothing to give now.
                # Outbox and stale-claim jobs do not stop a jump: they catch up when the clock lands.
                # The weekly dashboard too: it goes the evening its week ends, not when the clock next lands.
                weekly = runtime.shared.specs[f"weekly_dashboard:{campaign_id}"].trigger
                milestones = (runtime.local.next_fire(now), day.mail.get_next_fire_time(None, now),
                              weekly.get_next_fire_time(None, now), end)  # fmt: skip
                target = min(t for t in milestones if t is not None)
                if runtime.staffing.any_open():
                    soonest = next_dial_time(app, campaign_id, now)
                    target = min(target, soonest if soonest > now + MIN_JUMP else now + IDLE_STEP)
                if target - now > MIN_JUMP:
                    clock.jump_to(target)
                    idle_since = None
            await clock.sleep(pace.period_s)
    finally:
        await jobs.finish(None)
        await runtime.stop(pace.drain_s)
    return runtime
