"""The predictive model behind `lines_to_dial`: expected drops over the next ring-time horizon.

Over a grid of moments t in the horizon (0 … the longest answer delay) it counts
  A(t): human answers by t — calls already waiting, ringing lines (given how long they have rung) and
        n new lines, each a Bernoulli draw;
  F(t): agents free by t + queue timeout — available now, plus talking and wrapping agents who finish
        by then given how long they have been at it (talk log-normal fitted on measured mean and sd).
An answer finds no agent when answers outrun agents, so the drops up to t are at least (A(t) - F(t))+;
we approximate A - F as normal and take the worst moment: drops(n) ≈ max_t E[(A(t) - F(t))+].
Everything is vectorised over the moments and over n = 0 … cap, so one call costs tens of microseconds.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from dialer.pacing_stats import QUANTILE_POINTS, DurationSummary

if TYPE_CHECKING:
    from dialer.pacing import PacingState

MOMENTS = 12
_LEVELS = (np.arange(QUANTILE_POINTS) + 0.5) / QUANTILE_POINTS
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def expected_drop_curve(state: PacingState, cap: int, queue_timeout_s: float) -> np.ndarray:
    """Expected drops over the horizon for 0 … cap new lines (an array of cap + 1 values)."""
    m = state.measured
    p = m.answer_rate
    horizon = _horizon(m.answer_delay)
    t = np.linspace(0.0, horizon, MOMENTS)
    mean_a, var_a = _answers_in_flight(state, t)
    mean_f, var_f = _agents_freed(state, t + queue_timeout_s)
    per_line = p * _cdf(m.answer_delay, t)  # chance a new line is a human answered by t
    n = np.arange(cap + 1, dtype=float)[:, None]
    mu = (mean_a - mean_f)[None, :] + n * per_line[None, :] - 0.5  # 0.5: continuity correction
    var = (var_a + var_f)[None, :] + n * (per_line * (1.0 - per_line))[None, :]
    sd = np.sqrt(np.maximum(var, 1e-9))
    z = mu / sd
    positive_part = mu * _phi_cdf(z) + sd * _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return np.asarray(np.maximum(positive_part, 0.0).max(axis=1))


def _horizon(answer_delay: DurationSummary) -> float:
    if not answer_delay.points:
        return 30.0
    spread = answer_delay.points[-1] - answer_delay.points[0]
    return max(1.0, answer_delay.points[-1] + spread / (2 * QUANTILE_POINTS - 2))


def _answers_in_flight(state: PacingState, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of human answers by each moment from calls waiting and lines already ringing."""
    m = state.measured
    p = m.answer_rate
    unknown = max(0, state.lines_in_progress - state.calls_waiting - len(state.ringing_ages_s))
    ages = np.asarray(state.ringing_ages_s + (0.0,) * unknown, dtype=float)[:, None]
    if ages.size == 0:
        return np.full(t.shape, float(state.calls_waiting)), np.zeros(t.shape)
    human_left = p * (1.0 - _cdf(m.answer_delay, ages))
    other_left = (1.0 - p) * (1.0 - _cdf(m.other_delay, ages))
    alive = np.maximum(human_left + other_left, 1e-12)
    r = p * (_cdf(m.answer_delay, ages + t[None, :]) - _cdf(m.answer_delay, ages)) / alive
    r = np.clip(r, 0.0, 1.0)
    return state.calls_waiting + r.sum(axis=0), (r * (1.0 - r)).sum(axis=0)


def _agents_freed(state: PacingState, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of agents free by each moment: available now plus those finishing talk or wrap-up."""
    m = state.measured
    mean = np.full(s.shape, float(state.agents_available))
    var = np.zeros(s.shape)
    wrap_mean = m.wrap.mean if m.wrap.count else 0.0
    for elapsed, dist, shift in ((state.talking_s, m.talk, wrap_mean), (state.wrapping_s, m.wrap, 0.0)):
        if not elapsed or dist.count == 0:
            continue
        e = np.asarray(elapsed, dtype=float)[:, None]
        mu, sigma = _lognormal_fit(dist)
        done_now = _lognormal_cdf(e, mu, sigma)
        done_then = _lognormal_cdf(np.maximum(e + s[None, :] - shift, e), mu, sigma)
        q = np.clip((done_then - done_now) / np.maximum(1.0 - done_now, 1e-12), 0.0, 1.0)
        mean += q.sum(axis=0)
        var += (q * (1.0 - q)).sum(axis=0)
    return mean, var


def _cdf(dist: DurationSummary, x: np.ndarray) -> np.ndarray:
    """Empirical CDF through the summary's quantile points, linear between them, 0 and 1 at the ends."""
    if not dist.points:
        return np.zeros_like(x)
    pts = np.asarray(dist.points, dtype=float) + np.arange(QUANTILE_POINTS) * 1e-6
    step = max((pts[-1] - pts[0]) / (2 * QUANTILE_POINTS - 2), 1e-3)
    xp = np.concatenate(([max(0.0, pts[0] - step)], pts, [pts[-1] + step]))
    fp = np.concatenate(([0.0], _LEVELS, [1.0]))
    return np.asarray(np.interp(x, xp, fp))


def _lognormal_fit(dist: DurationSummary) -> tuple[float, float]:
    mean = max(dist.mean, 1e-3)
    cv2 = (dist.sd / mean) ** 2
    sigma = max(math.sqrt(math.log1p(cv2)), 0.05)
    return math.log(mean) - sigma * sigma / 2, sigma


def _lognormal_cdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return _phi_cdf((np.log(np.maximum(x, 1e-9)) - mu) / sigma)


def _phi_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error below 2e-7), numpy has no erf."""
    x = np.abs(z) / _SQRT2
    k = 1.0 / (1.0 + 0.3275911 * x)
    poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return np.asarray(0.5 * (1.0 + np.sign(z) * erf))
