"""The pacing bench's scenarios: what callees and agents do, including what the pacing model does not assume.

The model behind `dialer.pacing` assumes an answer rate that holds all day, an AMD verdict at the answer,
a fixed wrap-up, agents who never pause and a log-normal talk time. `model` is that world; the others
each break one assumption, and `reality` breaks them all at once:
  amd       the AMD verdict comes 2–4 s after the answer (the line is answered but not yet a known human);
  hourly    the answer rate moves by hour band, from ×0.5 to ×1.5 of the campaign's mean;
  wrap      wrap-up is variable (gamma, mean 20 s, sd 15 s) and agents pause (3 % of calls are followed
            by a 2–10 minute break);
  bimodal   talk time is a mixture, not log-normal: 35 % quick refusals (exponential, mean 40 s) and 65 %
            conversations (gamma of shape 4, mean 256 s): the same 180 s mean, a heavier spread.
Draws are common random numbers: the i-th dial of a day gets the i-th draw of every quantity, whatever the
policy. Seeds 1–5 are the ones the predictive defaults were tuned on in earlier rounds; the report runs on
held-out seeds (1001 on) that no tuning has seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TALK_MEAN_S = 180.0
TALK_SIGMA = 0.6
WRAP_S = 20.0
TUNING_SEEDS = (1, 2, 3, 4, 5)
HELD_OUT_FIRST_SEED = 1001
# Answer-rate multipliers by hour band of an 8-hour day (09:00 … 17:00): a slow morning, a good late
# morning, a lunchtime dip, a steady afternoon and a strong end of day; the mean is 1.
HOURLY = (0.6, 1.2, 1.5, 0.5, 0.8, 1.0, 0.9, 1.5)


@dataclass(frozen=True)
class Scenario:
    """How one simulated world departs from the pacing model's assumptions."""

    name: str
    amd_s: tuple[float, float] | None = None  # AMD verdict delay after the answer, uniform in this range
    hourly: tuple[float, ...] | None = None  # answer-rate multiplier per hour band
    variable_wrap: bool = False
    pause_share: float = 0.0  # share of calls after which the agent takes a pause
    pause_s: tuple[float, float] = (120.0, 600.0)
    bimodal_talk: bool = False

    def answer_rate_at(self, base: float, second: float) -> float:
        """The answer rate of the hour band `second` (seconds since the day's start) falls in."""
        if self.hourly is None:
            return base
        return base * self.hourly[min(int(second // 3600), len(self.hourly) - 1)]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("model"),
        Scenario("amd", amd_s=(2.0, 4.0)),
        Scenario("hourly", hourly=HOURLY),
        Scenario("wrap", variable_wrap=True, pause_share=0.03),
        Scenario("bimodal", bimodal_talk=True),
        Scenario("reality", amd_s=(2.0, 4.0), hourly=HOURLY, variable_wrap=True, pause_share=0.03,
                 bimodal_talk=True),  # fmt: skip
    )
}


@dataclass(frozen=True)
class Draws:
    """Per-dial random numbers for one day, shared by every policy (common random numbers)."""

    ring: np.ndarray
    outcome: np.ndarray
    talk: np.ndarray
    amd: np.ndarray
    wrap: np.ndarray
    pause: np.ndarray  # uniform: a pause follows the call when below the scenario's share
    pause_s: np.ndarray

    @classmethod
    def for_day(cls, seed: int, size: int = 300_000, scenario: Scenario | None = None) -> Draws:
        """The draws of one simulated day in `scenario` (the model's world by default)."""
        s = scenario or SCENARIOS["model"]
        rng = np.random.default_rng(seed)
        ring, outcome = rng.uniform(10.0, 30.0, size), rng.random(size)
        if s.bimodal_talk:
            quick = rng.random(size) < 0.35
            talk = np.where(quick, rng.exponential(40.0, size), rng.gamma(4.0, 64.0, size))
        else:
            mu = math.log(TALK_MEAN_S) - TALK_SIGMA**2 / 2
            talk = rng.lognormal(mu, TALK_SIGMA, size)
        amd = rng.uniform(*s.amd_s, size) if s.amd_s else np.zeros(size)
        # Gamma with mean 20 s and sd 15 s: shape (20/15)², scale 15²/20.
        wrap = rng.gamma((WRAP_S / 15.0) ** 2, 15.0**2 / WRAP_S, size) if s.variable_wrap else np.full(size, WRAP_S)
        pause = rng.random(size) if s.pause_share else np.ones(size)
        pause_s = rng.uniform(*s.pause_s, size)
        return cls(ring, outcome, talk, amd, wrap, pause, pause_s)


def seeds(count: int, held_out: bool = True) -> tuple[int, ...]:
    """The days' seeds: held-out ones (never used to tune anything) or the tuning ones."""
    if held_out:
        return tuple(range(HELD_OUT_FIRST_SEED, HELD_OUT_FIRST_SEED + count))
    return TUNING_SEEDS[:count] if count <= len(TUNING_SEEDS) else tuple(range(1, count + 1))
