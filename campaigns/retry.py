"""The retry policy: when a lead is tried next, from its attempt history. Pure.

`next_attempt_at(history, policy, calendar, now)` is None once the lead is final or exhausted. Otherwise it
waits the delay of the last outcome, then the profile's frequency cap and refusal cool-off, then the next
callable moment; for "not reached" outcomes it prefers an hour band and weekday not tried yet, so that
someone never home at 11:00 is tried at 17:30 and on another day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from campaigns.calendar import RING, Calendar, next_open, open_intervals
from campaigns.dispositions import Disposition
from campaigns.errors import UnknownOutcome
from campaigns.profiles import Profile, cap_allows_from, cooloff_until, get_profile
from campaigns.settings import CampaignSettings

OUTCOMES = ("no_answer", "busy", "machine", "dropped", "congestion", "invalid", "failed", "connected")
FINAL_OUTCOMES = frozenset({"invalid"})
# Outcomes that say "nobody there right now": worth trying at another hour and on another day.
NOT_REACHED = frozenset({"no_answer", "machine"})
SPREAD_HORIZON = timedelta(days=7)
GRID = timedelta(minutes=30)


@dataclass(frozen=True)
class PastAttempt:
    """One earlier dial as the policy sees it."""

    at: datetime
    outcome: str = ""
    disposition: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """Everything the policy needs from a campaign: attempts, delays, spreading, dispositions and profile."""

    max_attempts: int = 20
    delays: Mapping[str, timedelta] = field(default_factory=dict)
    dispositions: Mapping[str, Disposition] = field(default_factory=dict)
    spread: bool = True
    hour_bands: tuple[time, ...] = (time(12), time(14), time(17))
    profile: Profile = field(default_factory=lambda: get_profile("fr-business"))
    # An attempt is planned only where its ring fits before the window closes (`calendar.may_ring`).
    ring: timedelta = RING

    @classmethod
    def from_settings(
        cls, settings: CampaignSettings, dispositions: Mapping[str, Disposition], profile: Profile
    ) -> RetryPolicy:
        """The policy of a campaign from its typed settings."""
        delays = {outcome: getattr(settings, f"retry_{outcome}") for outcome in OUTCOMES if outcome != "invalid"}
        return cls(
            max_attempts=settings.max_attempts,
            delays=delays,
            dispositions=dispositions,
            spread=settings.spread_attempts,
            hour_bands=settings.hour_bands,
            profile=profile,
        )


@dataclass(frozen=True)
class NextAttempt:
    """When the lead is tried next (None: never) and the rule that decided it."""

    at: datetime | None
    # fresh, delay, cap, cooloff, dropped_rule, calendar, spread, final, exhausted
    reason: str


def plan_next_attempt(
    history: Sequence[PastAttempt],
    policy: RetryPolicy,
    calendar: Calendar,
    now: datetime,
    *,
    refused_at: datetime | None = None,
    other_dials: Sequence[datetime] = (),
) -> NextAttempt:
    """The next attempt with the reason; `other_dials` are dials of the same number by the client's other campaigns."""
    past = sorted(history, key=lambda a: a.at)
    if past and _is_final(past[-1], policy):
        return NextAttempt(None, "final")
    if len(past) >= policy.max_attempts:
        return NextAttempt(None, "exhausted")
    constraints = [(now, "fresh" if not past else "delay")]
    if past:
        constraints.append((past[-1].at + _delay(past[-1], policy), "delay"))
        if past[-1].outcome == "dropped" and policy.profile.dropped_no_recall_hours:
            constraints.append((past[-1].at + timedelta(hours=policy.profile.dropped_no_recall_hours), "dropped_rule"))
    cap = cap_allows_from([a.at for a in past] + list(other_dials), policy.profile)
    if cap is not None:
        constraints.append((cap, "cap"))
    cooloff = cooloff_until(refused_at, policy.profile)
    if cooloff is not None:
        constraints.append((cooloff, "cooloff"))
    earliest, reason = max(constraints, key=lambda c: c[0])
    opening = next_open(earliest, calendar, policy.ring)
    if opening > earliest:
        reason = "calendar" if reason in {"fresh", "delay"} else reason
    if policy.spread and past and (past[-1].disposition or past[-1].outcome) in NOT_REACHED:
        spread = _spread(opening, past, policy, calendar)
        if spread != opening:
            return NextAttempt(spread.astimezone(UTC), "spread")
    return NextAttempt(opening.astimezone(UTC), reason)


def next_attempt_at(
    history: Sequence[PastAttempt],
    policy: RetryPolicy,
    calendar: Calendar,
    now: datetime,
    *,
    refused_at: datetime | None = None,
    other_dials: Sequence[datetime] = (),
) -> datetime | None:
    """When to try the lead next, or None once it is final or exhausted."""
    return plan_next_attempt(history, policy, calendar, now, refused_at=refused_at, other_dials=other_dials).at


def _is_final(attempt: PastAttempt, policy: RetryPolicy) -> bool:
    if attempt.disposition:
        disposition = policy.dispositions.get(attempt.disposition)
        return disposition is None or disposition.final
    return attempt.outcome in FINAL_OUTCOMES


def _delay(attempt: PastAttempt, policy: RetryPolicy) -> timedelta:
    if attempt.disposition:
        disposition = policy.dispositions[attempt.disposition]
        if disposition.retry is not None:
            return disposition.retry
    # A disposition recorded before the hangup event leaves the outcome empty: the call was answered.
    outcome = attempt.outcome or "connected"
    if outcome not in policy.delays:
        raise UnknownOutcome(outcome)
    return policy.delays[outcome]


def _band(moment: datetime, calendar: Calendar, bands: tuple[time, ...]) -> tuple[int, int]:
    local = moment.astimezone(calendar.callee.tz())
    return local.weekday(), bisect_right(bands, local.time().replace(tzinfo=None))


def _spread(opening: datetime, past: Sequence[PastAttempt], policy: RetryPolicy, calendar: Calendar) -> datetime:
    """The callable moment within a week of `opening` whose weekday and hour band were tried least.

    Candidates are the half-hour grid points of the open intervals; the first of the least-tried wins. All
    points of one (local day, band) stretch share a key, so only the first of each stretch is looked at.
    """
    used = [_band(a.at, calendar, policy.hour_bands) for a in past]
    pairs, days, bands = Counter(used), Counter(d for d, _b in used), Counter(b for _d, b in used)
    zone = calendar.callee.tz()
    best, best_key = opening, None
    for lo, hi in open_intervals(opening, opening + SPREAD_HORIZON, calendar):
        candidate = lo
        while candidate < hi and candidate + policy.ring <= hi:
            local = candidate.astimezone(zone)
            band = bisect_right(policy.hour_bands, local.time().replace(tzinfo=None))
            key = (pairs[(local.weekday(), band)], bands[band], days[local.weekday()])
            if best_key is None or key < best_key:
                best, best_key = candidate, key
            # The next grid point strictly after the candidate that may start another stretch.
            candidate = max(_ceil_grid(candidate + timedelta(seconds=1)), _ceil_grid(_stretch_end(local, band, policy)))
    return best


def _stretch_end(local: datetime, band: int, policy: RetryPolicy) -> datetime:
    """When the local day or hour band of `local` ends (UTC), whichever comes first."""
    bands = policy.hour_bands
    day = local.date()
    if band < len(bands):
        end = datetime.combine(day, bands[band], tzinfo=local.tzinfo)
    else:
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=local.tzinfo)
    return end.astimezone(UTC)


def _ceil_grid(moment: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -(-(moment - epoch) // GRID)
    return epoch + steps * GRID
