"""The predictive model behind `lines_to_dial`: expected drops over the next ring-time horizon.

The horizon (0 … the longest answer delay) is cut into bins. For n = 0 … cap new lines it counts
  A(t): human answers by t — calls already waiting, lines answered and in AMD (a human with the measured
        share of answers that are human), ringing lines (given how long they have rung) and the n new
        lines, each a Bernoulli draw;
  F(t): agents free by t + queue timeout — available now, plus talking and wrapping agents who finish
        by then given how long they have been at it (talk log-normal fitted on the measured mean and sd).
An answer arriving in a bin is dropped when the answers before it have taken every agent free by the
end of the bin plus the queue timeout; with A - F approximated as normal, expected drops are
  drops(n) = Σ_bins E[answers arriving in the bin] × P(A(middle of bin) ≥ F(end of bin + timeout)).
Dropped calls are counted as if they had taken an agent, which errs on the side of fewer drops.
Everything is vectorised over the bins and over n, and the distributions are tabulated once, so one
call costs a few hundred microseconds at most.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from dialer.pacing_stats import QUANTILE_POINTS, DurationSummary

if TYPE_CHECKING:
    from dialer.pacing import PacingState

BINS = 12
_LEVELS = (np.arange(QUANTILE_POINTS) + 0.5) / QUANTILE_POINTS
_TABLE_S = 4 * 3600  # talk and wrap-up CDFs are tabulated per second up to four hours
_TABLE_X = np.arange(_TABLE_S + 1, dtype=float)


def expected_drop_curve(state: PacingState, cap: int, queue_timeout_s: float) -> np.ndarray:
    """Expected drops over the horizon for 0 … cap new lines (an array of cap + 1 values)."""
    m = state.measured
    p = m.answer_rate
    step = _horizon(m.answer_delay) / BINS
    edges = np.arange(BINS + 1) * step
    moments = np.concatenate((edges, edges[1:] - step / 2))  # bin edges, then bin middles
    mean_a, var_a = _answers_in_flight(state, moments)
    mean_f, var_f = _agents_freed(state, edges[1:] + queue_timeout_s)
    new_by = p * _cdf(m.answer_delay, moments)  # chance a new line is a human answered by each moment
    # Lines beyond the point where even every agent freeing in the horizon would be outnumbered
    # by their answers cannot pass the marginal test: leave them out of the arrays.
    reach = mean_f[-1] + 4.0 * math.sqrt(var_f[-1]) + 4.0
    n_max = min(cap, int(reach / max(p, 1e-3)) + 1)
    n = np.arange(n_max + 1, dtype=float)[:, None]
    k = BINS + 1
    arriving = (mean_a[1:k] - mean_a[: k - 1]) + n * (new_by[1:k] - new_by[: k - 1])
    mid_new = new_by[k:]
    before = mean_a[k:] + n * mid_new
    var_before = var_a[k:] + n * (mid_new * (1.0 - mid_new))
    # 0.5: continuity correction, an answer is dropped as soon as those before it reach the free agents.
    z = (before - mean_f + 0.5) / np.sqrt(np.maximum(var_before + var_f, 1e-9))
    drops = (arriving * _phi_cdf(z)).sum(axis=1)
    if n_max < cap:  # beyond n_max: each line adds its whole answer probability as drops
        drops = np.concatenate((drops, drops[-1] + p * np.arange(1, cap - n_max + 1)))
    return np.asarray(drops)


def _horizon(answer_delay: DurationSummary) -> float:
    if not answer_delay.points:
        return 30.0
    xp, _ = _cdf_table(answer_delay.points)
    return max(1.0, float(xp[-1]))


def _answers_in_flight(state: PacingState, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of human answers by each moment from calls waiting and lines already ringing."""
    m = state.measured
    p = m.answer_rate
    unknown = max(0, state.lines_in_progress - state.calls_waiting - state.answering - len(state.ringing_ages_s))
    # A line in AMD is a human in a few seconds with the share of answers that are human: counted from now.
    human_share = p / max(p + m.machine_rate, 1e-9)
    known = state.calls_waiting + state.answering * human_share
    known_var = state.answering * human_share * (1.0 - human_share)
    if not state.ringing_ages_s and not unknown:
        return np.full(t.shape, known), np.full(t.shape, known_var)
    ages = np.asarray(state.ringing_ages_s + (0.0,) * unknown, dtype=float)
    answered_by_now = _cdf(m.answer_delay, ages)
    alive = p * (1.0 - answered_by_now) + (1.0 - p) * (1.0 - _cdf(m.other_delay, ages))
    weight = p / np.maximum(alive, 1e-12)
    r = (_cdf(m.answer_delay, ages[:, None] + t[None, :]) - answered_by_now[:, None]) * weight[:, None]
    r = np.minimum(r, 1.0)  # never negative: the CDF only grows with t
    return known + r.sum(axis=0), known_var + (r * (1.0 - r)).sum(axis=0)


def _agents_freed(state: PacingState, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of agents free by each moment: available now plus those finishing talk or wrap-up."""
    m = state.measured
    mean = np.full(s.shape, float(state.agents_available))
    var = np.zeros(s.shape)
    wrap_mean = m.wrap.mean if m.wrap.count else 0.0
    for elapsed, dist, shift in ((state.talking_s, m.talk, wrap_mean), (state.wrapping_s, m.wrap, 0.0)):
        if not elapsed or dist.count == 0:
            continue
        table = _lognormal_table(*_lognormal_fit(dist))
        e = np.asarray(elapsed, dtype=float)
        done_now = np.interp(e, _TABLE_X, table)
        done_then = np.interp(np.maximum(e[:, None] + (s - shift)[None, :], e[:, None]), _TABLE_X, table)
        q = np.minimum((done_then - done_now[:, None]) / np.maximum(1.0 - done_now, 1e-12)[:, None], 1.0)
        mean += q.sum(axis=0)
        var += (q * (1.0 - q)).sum(axis=0)
    return mean, var


def _cdf(dist: DurationSummary, x: np.ndarray) -> np.ndarray:
    """Empirical CDF through the summary's quantile points, linear between them, 0 and 1 at the ends."""
    if not dist.points:
        return np.zeros_like(x)
    xp, fp = _cdf_table(dist.points)
    return np.interp(x, xp, fp)


@lru_cache(maxsize=256)
def _cdf_table(points: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    pts = np.asarray(points, dtype=float) + np.arange(len(points)) * 1e-6  # strictly increasing
    step = max((pts[-1] - pts[0]) / (2 * len(points) - 2), 1e-3)
    xp = np.concatenate(([max(0.0, pts[0] - step)], pts, [pts[-1] + step]))
    fp = np.concatenate(([0.0], _LEVELS[: len(points)], [1.0]))
    return xp, fp


def _lognormal_fit(dist: DurationSummary) -> tuple[float, float]:
    """Log-normal parameters from mean and sd, rounded so the tabulated CDF is rarely recomputed."""
    mean = max(dist.mean, 1e-3)
    sigma = max(math.sqrt(math.log1p((dist.sd / mean) ** 2)), 0.05)
    mu = math.log(mean) - sigma * sigma / 2
    return round(mu * 50) / 50, round(sigma * 50) / 50


@lru_cache(maxsize=64)
def _lognormal_table(mu: float, sigma: float) -> np.ndarray:
    z = (np.log(np.maximum(_TABLE_X, 1e-9)) - mu) / sigma
    return np.asarray(0.5 * np.vectorize(math.erfc)(-z / math.sqrt(2.0)))


def _phi_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF to within 2e-4 (tanh form): numpy has no erf, and this runs every second."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.7978845608 * (z + 0.044715 * z * z * z))))
