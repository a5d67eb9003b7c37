"""How many new calls to originate now: a pure rule over the campaign's live view and measured statistics.

`lines_to_dial(state, policy)` is called by the engine about every second per campaign. It reads no clock
and does no I/O: everything it needs is in `PacingState` (a snapshot the engine builds from its live view
of agents and calls plus `PacingStats.snapshot(day)`) and `PacingPolicy` (the campaign's settings).

Times are plain float seconds: `now` is the campaign clock's POSIX timestamp (`clock.now().timestamp()`),
kept in the state for logs and replays; the rule itself only uses the elapsed times the state carries.

Abandonment = dropped ÷ human-answered, per campaign, per calendar day and over a rolling 30 days.

How the engine builds the state, once a second per running campaign:
  agents_logged_in   agents logged in to the campaign (paused ones included: they count for the cap)
  agents_available   agents idle and unpaused, ready for a call now
  talking_s          for each agent on a call, seconds since AgentConnect
  wrapping_s         for each agent in wrap-up, seconds since the call ended
  lines_in_progress  attempts originated and not yet ended, connected or dropped
  ringing_ages_s     for each of those not yet answered, seconds since its originate
  calls_waiting      answered humans queued (CallerQueued, no AgentConnect or abandon yet)
  answering          answered lines whose AMD verdict is pending (2–4 s on a real PBX)
  measured           stats.snapshot(local_day), where the engine feeds one PacingStats per campaign:
                     dial_resolved(day, HUMAN | MACHINE | OTHER, seconds from originate) when the AMD
                     verdict or the failure arrives, call_dropped(day) on CallerAbandoned,
                     talk_ended(talk_s) on AgentCompleted and wrap_ended(wrap_s) when the agent is ready.
Predictive mode: see `_predictive` and `dialer/pacing_model.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from dialer.pacing_model import expected_drop_curve
from dialer.pacing_stats import DialOutcome, DurationSummary, MeasuredStats, PacingStats

__all__ = [
    "DialOutcome",
    "DurationSummary",
    "MeasuredStats",
    "PacingMode",
    "PacingPolicy",
    "PacingState",
    "PacingStats",
    "drop_slack",
    "line_cap",
    "lines_to_dial",
    "must_fall_back",
]


class PacingMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    RATIO = "ratio"
    PREDICTIVE = "predictive"


@dataclass(frozen=True)
class PacingPolicy:
    """A campaign's pacing settings."""

    mode: PacingMode = PacingMode.PREDICTIVE
    # Ratio mode: keep `ratio` lines in progress per available agent.
    ratio: float = 2.0
    abandon_target: float = 0.03
    # Hard cap on lines in progress: max_lines_per_agent × agents logged in.
    max_lines_per_agent: float = 4.0
    # Predictive needs this many measured dials and finished talks before it trusts its estimates.
    min_calls_for_estimate: int = 100
    min_talks_for_estimate: int = 10
    # The queue's wait limit before an answered human is dropped (the dialplan's 2 s).
    queue_timeout_s: float = 2.0
    # Drops the day may spend before any human answered: without it the first drop of the morning
    # would exceed the target and pin the campaign to progressive for an hour.
    start_of_day_drop_credit: float = 1.0
    # Predictive aims this fraction of the target, a margin against day-to-day noise.
    target_margin: float = 0.9
    # Drops under (over) the aimed count, per agent logged in, that double (cancel) the predictive
    # allowance: small teams see few answers a day, so their budget must be spent with a quicker hand.
    feedback_drops_per_agent: float = 0.25
    max_feedback_gain: float = 4.0


@dataclass(frozen=True)
class PacingState:
    """What the engine sees now, for one campaign."""

    now: float
    agents_logged_in: int
    agents_available: int
    # Seconds each on-call agent has been talking, and each wrap-up agent wrapping up.
    talking_s: tuple[float, ...] = ()
    wrapping_s: tuple[float, ...] = ()
    # Originated and not yet resolved (ringing, in AMD, queued for an agent).
    lines_in_progress: int = 0
    # Age (seconds since originate) of each line still waiting to be answered: a subset of the lines
    # in progress. Lines in progress without an age here are treated as just dialled.
    ringing_ages_s: tuple[float, ...] = ()
    # Answered humans waiting in the queue for an agent.
    calls_waiting: int = 0
    # Lines answered whose AMD verdict is still pending (a subset of the lines in progress): each is a
    # human within seconds with the measured share of answers that are human.
    answering: int = 0
    measured: MeasuredStats = field(default_factory=MeasuredStats)

    @property
    def ringing(self) -> int:
        """Lines known to be ringing."""
        return len(self.ringing_ages_s)


def line_cap(state: PacingState, policy: PacingPolicy) -> int:
    """The most new lines any mode may send now: the per-agent cap minus the lines already in progress."""
    limit = math.floor(policy.max_lines_per_agent * state.agents_logged_in + 1e-9)
    return max(0, limit - state.lines_in_progress)


def drop_slack(measured: MeasuredStats, policy: PacingPolicy) -> float:
    """Drops today can still absorb before the day's abandonment passes the target (negative: passed)."""
    allowed = policy.abandon_target * measured.humans_today + policy.start_of_day_drop_credit
    return allowed - measured.dropped_today


def must_fall_back(measured: MeasuredStats, policy: PacingPolicy) -> bool:
    """Whether predictive must dial progressively: too few measurements, or the target is exceeded."""
    if measured.dials < policy.min_calls_for_estimate or measured.talk.count < policy.min_talks_for_estimate:
        return True
    if measured.answer_rate <= 0.0:
        return True
    if drop_slack(measured, policy) < 0:
        return True
    return measured.dropped_30d > policy.abandon_target * measured.humans_30d + policy.start_of_day_drop_credit


def _progressive(state: PacingState) -> int:
    return state.agents_available - state.lines_in_progress


def _ratio(state: PacingState, policy: PacingPolicy) -> int:
    return math.floor(policy.ratio * state.agents_available + 1e-9) - state.lines_in_progress


def lines_to_dial(state: PacingState, policy: PacingPolicy) -> int:
    """How many NEW calls to originate now (never negative, never above `line_cap`)."""
    if state.agents_logged_in <= 0 or policy.mode is PacingMode.PREVIEW:
        return 0
    cap = line_cap(state, policy)
    if policy.mode is PacingMode.PROGRESSIVE:
        wanted = _progressive(state)
    elif policy.mode is PacingMode.RATIO:
        wanted = _ratio(state, policy)
    elif must_fall_back(state.measured, policy):
        wanted = _progressive(state)
    else:
        wanted = _predictive(state, policy, cap)
    return max(0, min(cap, wanted))


def _predictive(state: PacingState, policy: PacingPolicy, cap: int) -> int:
    """The most new lines whose marginal expected drops stay within the day's allowance per human."""
    m = state.measured
    budget = _marginal_drop_budget(m, policy, state.agents_logged_in)
    curve = expected_drop_curve(state, cap, policy.queue_timeout_s)
    # curve[n] = expected drops over the horizon with n new lines; stop at the first line whose
    # extra drops per extra human answer exceed the budget.
    too_many = np.diff(curve) > budget * m.answer_rate
    n = int(np.argmax(too_many)) if too_many.any() else cap
    return max(n, _progressive(state))


def _marginal_drop_budget(m: MeasuredStats, policy: PacingPolicy, agents: int) -> float:
    """The drop probability allowed to the last line's human answer, raised while the day is under target.

    With a constant allowance, maximising talk time under an average-abandonment constraint is a
    Lagrangian problem whose answer is exactly this marginal test; the constant is the multiplier. The
    model's drops are close to calibrated, so the nominal allowance is the aimed rate itself, and
    proportional feedback on the day's unused drops corrects the rest.
    """
    aim = policy.abandon_target * policy.target_margin
    unused = aim * m.humans_today - m.dropped_today
    gain = 1.0 + unused / max(1.0, policy.feedback_drops_per_agent * agents)
    return aim * min(max(gain, 0.2), policy.max_feedback_gain)
