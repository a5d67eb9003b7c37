"""What happens when the simulator dials a number: a seeded, configurable outcome model.

The answer probability depends on the hour in the callee's time zone and on the line type, both
derived from the E.164 number (French mobiles are +336/+337, UK mobiles +447); the rest of the
draw (busy, congestion, invalid, rejected, machine share, ring and AMD times) follows the profile.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class Outcome(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"
    BUSY = "busy"
    NOANSWER = "noanswer"
    CONGESTION = "congestion"
    INVALID = "invalid"
    REJECTED = "rejected"


@dataclass(frozen=True)
class CallPlan:
    """The callee's behaviour for one call: what happens and after how long (simulated seconds)."""

    outcome: Outcome
    ring_s: float = 8.0
    amd_s: float = 2.5


# Share of calls someone (or a machine) picks up, by local hour: evenings and lunch are better.
DEFAULT_ANSWER_BY_HOUR: tuple[float, ...] = (
    (0.05,) * 8 + (0.20, 0.25, 0.28, 0.30, 0.38, 0.36, 0.26, 0.25, 0.27, 0.30, 0.36, 0.40, 0.32) + (0.10,) * 3
)
ZONES_BY_PREFIX = {"+33": "Europe/Paris", "+32": "Europe/Brussels", "+41": "Europe/Zurich", "+44": "Europe/London",
                   "+1": "America/New_York", "+262": "Indian/Reunion", "+596": "America/Martinique"}
MOBILE_PREFIXES = ("+336", "+337", "+447", "+324", "+417")


def line_type(e164: str) -> str:
    """`mobile` or `landline`, from the number's prefix."""
    return "mobile" if e164.startswith(MOBILE_PREFIXES) else "landline"


def callee_zone(e164: str, default: str = "Europe/Paris") -> ZoneInfo:
    """The callee's time zone from the longest matching country prefix."""
    for length in (4, 3, 2):
        zone = ZONES_BY_PREFIX.get(e164[:length])
        if zone:
            return ZoneInfo(zone)
    return ZoneInfo(default)


@dataclass(frozen=True)
class OutcomeProfile:
    """The probabilities behind the draw; defaults are plausible for French consumer lists."""

    answer_by_hour: tuple[float, ...] = DEFAULT_ANSWER_BY_HOUR
    answer_factor: dict[str, float] = field(default_factory=lambda: {"mobile": 1.15, "landline": 0.85})
    machine_share: dict[str, float] = field(default_factory=lambda: {"mobile": 0.40, "landline": 0.20})
    invalid: float = 0.03
    congestion: float = 0.01
    busy: float = 0.06
    rejected: float = 0.03
    ring_mean_s: float = 12.0
    ring_sd_s: float = 6.0


class OutcomeModel:
    """Draws a CallPlan for a number at a moment, from a seeded generator."""

    def __init__(self, profile: OutcomeProfile | None = None) -> None:
        self.profile = profile or OutcomeProfile()

    def draw(self, e164: str, now: datetime, rng: random.Random) -> CallPlan:
        """One call's plan; the same seed and calls give the same plans."""
        p = self.profile
        kind = line_type(e164)
        ring = min(60.0, max(2.0, rng.gauss(p.ring_mean_s, p.ring_sd_s)))
        roll = rng.random()
        failures = ((Outcome.INVALID, p.invalid), (Outcome.CONGESTION, p.congestion), (Outcome.BUSY, p.busy))
        for outcome, share in failures:
            if roll < share:
                return CallPlan(outcome, ring_s=rng.uniform(0.3, 1.5))
            roll -= share
        hour = now.astimezone(callee_zone(e164)).hour
        answer = min(1.0, p.answer_by_hour[hour] * p.answer_factor.get(kind, 1.0))
        if rng.random() < answer:
            machine = rng.random() < p.machine_share.get(kind, 0.25)
            amd = rng.uniform(2.5, 4.0) if machine else rng.uniform(1.0, 2.5)
            return CallPlan(Outcome.MACHINE if machine else Outcome.HUMAN, ring_s=ring, amd_s=amd)
        if rng.random() < p.rejected:
            return CallPlan(Outcome.REJECTED, ring_s=ring / 2)
        return CallPlan(Outcome.NOANSWER, ring_s=3600.0)


def lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A log-normal draw with the given mean (not median) and shape."""
    mu = math.log(mean) - sigma * sigma / 2
    return rng.lognormvariate(mu, sigma)


class ScriptedOutcomes:
    """Fixed plans per number (exact match, else by the longest prefix), for tests and demos."""

    def __init__(self, plans: dict[str, CallPlan], fallback: OutcomeModel | CallPlan | None = None) -> None:
        self.plans = plans
        self.fallback = fallback if fallback is not None else CallPlan(Outcome.NOANSWER, ring_s=3600.0)

    def draw(self, e164: str, now: datetime, rng: random.Random) -> CallPlan:
        for length in range(len(e164), 0, -1):
            plan = self.plans.get(e164[:length])
            if plan is not None:
                return plan
        if isinstance(self.fallback, CallPlan):
            return self.fallback
        return self.fallback.draw(e164, now, rng)
