"""Personal callback moments the agent may offer a prospect: only those the callee's calendar allows.

Pure. The calendar is the lead's effective one (campaign hours ∩ legal profile ∩ public holidays of the
callee's zone ∩ centre hours); a moment is offered when a call placed then may ring whole inside an open
span (`campaigns.calendar.may_ring`), and not before `earliest` (the end of a refusal's cool-off or the
frequency cap). The booked callback waits for its agent during the campaign's grace period, then anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from campaigns.calendar import RING, Calendar, open_intervals

STEP = timedelta(minutes=15)
# A callback this close to now is a call the agent should keep going, not book.
MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class CallbackDay:
    """The moments offered on one day of the callee's calendar, in the callee's zone."""

    day: date
    moments: tuple[datetime, ...]


def callback_moments(calendar: Calendar, now: datetime, *, days: int = 7, step: timedelta = STEP,
                     ring: timedelta = RING, earliest: datetime | None = None) -> tuple[CallbackDay, ...]:
    """Step-aligned moments, in the callee's zone, over the next `days` open days of the calendar."""
    tz = calendar.callee.tz()
    start = max(now + MARGIN, earliest or now)
    horizon = start + timedelta(days=days * 3 + 14)  # enough calendar to find `days` open days
    offered: dict[date, list[datetime]] = {}
    # The spans are merged: a moment whose whole ring fits in one of them is one `may_ring` accepts.
    for lo, hi in open_intervals(start, horizon, calendar):
        moment = _align(max(lo, start).astimezone(tz), step)
        while moment + ring <= hi:
            day = moment.date()
            if day not in offered and len(offered) == days:
                return _days(offered)
            offered.setdefault(day, []).append(moment)
            moment = _align((moment + step).astimezone(tz), step)
    return _days(offered)


def _align(moment: datetime, step: timedelta) -> datetime:
    """The first wall-clock multiple of `step` at or after `moment` (in its zone)."""
    minutes = int(step.total_seconds() // 60) or 1
    floor = moment.replace(minute=(moment.minute // minutes) * minutes % 60, second=0, microsecond=0)
    return floor if floor >= moment else floor + timedelta(minutes=minutes)


def _days(offered: dict[date, list[datetime]]) -> tuple[CallbackDay, ...]:
    return tuple(CallbackDay(day, tuple(moments)) for day, moments in sorted(offered.items()))


def kept_for_agent_until(due: datetime, grace: timedelta) -> datetime:
    """Until when a due callback waits for the agent who booked it (`campaigns.candidates.waiting_for`)."""
    return due + grace


def is_offered(moment: datetime, offer: tuple[CallbackDay, ...]) -> bool:
    """Whether a moment sent back by the form is one of those offered."""
    return any(moment == m for day in offer for m in day.moments)
