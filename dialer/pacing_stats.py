"""Measured statistics for pacing: a per-campaign accumulator the engine feeds with call outcomes.

Pure: no clock, no I/O. The engine passes the campaign's local calendar day with every count, so the
per-day and rolling 30-day abandonment follow the campaign's day, not the server's.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

QUANTILE_POINTS = 10


class DialOutcome(StrEnum):
    """How a dial resolved, as pacing sees it."""

    HUMAN = "human"  # a person answered (whether an agent then took the call or it was dropped)
    MACHINE = "machine"  # answering machine / voicemail, hung up after AMD
    OTHER = "other"  # no answer, busy, congestion, invalid, originate failure


@dataclass(frozen=True)
class DurationSummary:
    """A duration distribution in a few numbers: count, mean, sd and equally spaced quantiles."""

    count: int = 0
    mean: float = 0.0
    sd: float = 0.0
    # Quantiles at (i + 0.5) / QUANTILE_POINTS, ascending; empty when nothing was measured.
    points: tuple[float, ...] = ()

    @classmethod
    def uniform(cls, low: float, high: float, count: int = 1000) -> DurationSummary:
        """The summary of a uniform distribution (for tests and priors)."""
        width = high - low
        points = tuple(low + width * (i + 0.5) / QUANTILE_POINTS for i in range(QUANTILE_POINTS))
        return cls(count, (low + high) / 2, width / math.sqrt(12), points)


@dataclass(frozen=True)
class MeasuredStats:
    """Rates and distributions measured on the campaign's recent calls, and its abandonment counts."""

    dials: int = 0  # resolved dials the rates below are measured on
    answer_rate: float = 0.0  # human answers ÷ resolved dials
    machine_rate: float = 0.0
    answer_delay: DurationSummary = field(default_factory=DurationSummary)  # originate → human answer
    other_delay: DurationSummary = field(default_factory=DurationSummary)  # originate → any other outcome
    talk: DurationSummary = field(default_factory=DurationSummary)
    wrap: DurationSummary = field(default_factory=DurationSummary)
    humans_today: int = 0
    dropped_today: int = 0
    humans_30d: int = 0
    dropped_30d: int = 0

    @property
    def abandon_rate_today(self) -> float:
        """Dropped ÷ human-answered today (0 before the first answer)."""
        return self.dropped_today / self.humans_today if self.humans_today else 0.0


class _Window:
    """The last `size` durations, with running sums so a summary costs one sort only when it changed."""

    def __init__(self, size: int) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._total = 0.0
        self._squares = 0.0
        self._summary: DurationSummary | None = DurationSummary()

    def add(self, value: float) -> None:
        if len(self._values) == self._values.maxlen:
            old = self._values[0]
            self._total -= old
            self._squares -= old * old
        self._values.append(value)
        self._total += value
        self._squares += value * value
        self._summary = None

    def summary(self) -> DurationSummary:
        if self._summary is None:
            n = len(self._values)
            values = sorted(self._values)
            mean = self._total / n
            sd = math.sqrt(max(0.0, self._squares / n - mean * mean))
            points = tuple(values[min(n - 1, int((i + 0.5) * n / QUANTILE_POINTS))] for i in range(QUANTILE_POINTS))
            self._summary = DurationSummary(n, mean, sd, points)
        return self._summary


class PacingStats:
    """Rolling measurements for one campaign: recent outcomes and durations, and per-day abandonment counts.

    Cheap enough to snapshot every second: counts are kept incrementally and a distribution is
    re-summarised only after it received a new value.
    """

    def __init__(self, window_calls: int = 1000, window_durations: int = 300, rolling_days: int = 30) -> None:
        self._outcomes: deque[DialOutcome] = deque(maxlen=window_calls)
        self._outcome_counts = dict.fromkeys(DialOutcome, 0)
        self._answer_delays = _Window(window_durations)
        self._other_delays = _Window(window_durations)
        self._talks = _Window(window_durations)
        self._wraps = _Window(window_durations)
        self._days: dict[date, list[int]] = {}  # day -> [humans, dropped]
        self._rolling_days = rolling_days
        self._cache: tuple[date, MeasuredStats] | None = None

    def dial_resolved(self, day: date, outcome: DialOutcome, delay_s: float) -> None:
        """A dial resolved `delay_s` after its originate (every human answer counts, dropped or not)."""
        self._remember(outcome, delay_s)
        if outcome is DialOutcome.HUMAN:
            self._day(day)[0] += 1

    def seed(self, days: Mapping[date, tuple[int, int]], dials: Iterable[tuple[DialOutcome, float]] = (),
             talks: Iterable[float] = (), wraps: Iterable[float] = ()) -> None:
        """Start from stored history, so that a restart carries the day's and the rolling window's abandonment on.

        `days` maps a campaign day to its (human answers, dropped) counts; `dials` (outcome, delay), `talks`
        and `wraps` are recent measures, oldest first, for the rates and distributions.
        """
        for day, (humans, dropped) in sorted(days.items()):
            counts = self._day(day)
            counts[0] += humans
            counts[1] += dropped
        for outcome, delay_s in dials:
            self._remember(outcome, delay_s)
        for talk_s in talks:
            self._talks.add(talk_s)
        for wrap_s in wraps:
            self._wraps.add(wrap_s)
        self._cache = None

    def _remember(self, outcome: DialOutcome, delay_s: float) -> None:
        if len(self._outcomes) == self._outcomes.maxlen:
            self._outcome_counts[self._outcomes[0]] -= 1
        self._outcomes.append(outcome)
        self._outcome_counts[outcome] += 1
        if outcome is DialOutcome.HUMAN:
            self._answer_delays.add(delay_s)
        else:
            self._other_delays.add(delay_s)
        self._cache = None

    def call_dropped(self, day: date) -> None:
        """An answered human got no agent within the queue timeout."""
        self._day(day)[1] += 1
        self._cache = None

    def talk_ended(self, talk_s: float) -> None:
        """An agent finished talking to a connected human."""
        self._talks.add(talk_s)
        self._cache = None

    def wrap_ended(self, wrap_s: float) -> None:
        """An agent finished the wrap-up that followed a call."""
        self._wraps.add(wrap_s)
        self._cache = None

    def snapshot(self, day: date) -> MeasuredStats:
        """The statistics as of `day`: recent rates and durations, today's and the rolling window's counts."""
        if self._cache is not None and self._cache[0] == day:
            return self._cache[1]
        n = len(self._outcomes)
        first = day - timedelta(days=self._rolling_days - 1)
        window = [counts for d, counts in self._days.items() if first <= d <= day]
        today = self._days.get(day, [0, 0])
        stats = MeasuredStats(
            dials=n,
            answer_rate=self._outcome_counts[DialOutcome.HUMAN] / n if n else 0.0,
            machine_rate=self._outcome_counts[DialOutcome.MACHINE] / n if n else 0.0,
            answer_delay=self._answer_delays.summary(),
            other_delay=self._other_delays.summary(),
            talk=self._talks.summary(),
            wrap=self._wraps.summary(),
            humans_today=today[0],
            dropped_today=today[1],
            humans_30d=sum(c[0] for c in window),
            dropped_30d=sum(c[1] for c in window),
        )
        self._cache = (day, stats)
        return stats

    def _day(self, day: date) -> list[int]:
        counts = self._days.get(day)
        if counts is None:
            counts = self._days[day] = [0, 0]
            # Forget days that can no longer fall inside any rolling window ending today or later.
            oldest = day - timedelta(days=self._rolling_days)
            for old in [d for d in self._days if d < oldest]:
                del self._days[old]
        return counts
