"""The policies the pacing bench compares, each a callable from `PacingState` to new lines to dial."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bench.pacing_sim import Policy
from dialer.pacing import PacingMode, PacingPolicy, PacingState, lines_to_dial

DAY_START_HHMM = 900  # the simulated day runs 09:00–17:00 server time


def engine_policy(policy: PacingPolicy) -> Policy:
    """The engine's own rule with the given campaign settings."""
    return lambda state: lines_to_dial(state, policy)


def progressive() -> Policy:
    """One line per available agent not already covered."""
    return engine_policy(PacingPolicy(mode=PacingMode.PROGRESSIVE))


def ratio(r: float) -> Policy:
    """Fixed ratio: `r` lines in progress per available agent."""
    return engine_policy(PacingPolicy(mode=PacingMode.RATIO, ratio=r, max_lines_per_agent=100.0))


def predictive() -> Policy:
    """Ours, with the default campaign settings."""
    return engine_policy(PacingPolicy())


def dial_level(level: float) -> Policy:
    """VICIdial's RATIO dialing at a fixed level (AST_VDauto_dial.pl's goal-calls formula).

    goal = round(level × (ready + in-call agents)); new lines = goal − active calls, where active calls
    count ringing, waiting and connected calls. Agents in wrap-up are paused in VICIdial and not counted.
    """

    def decide(state: PacingState) -> int:
        talking = len(state.talking_s)
        goal = round(level * (state.agents_available + talking))
        return max(0, goal - state.lines_in_progress - talking)

    return decide


@dataclass
class VicidialAdaptTapered:
    """VICIdial's ADAPT_TAPERED controller as AST_VDadapt.pl computes it, driving `dial_level` dialing.

    Followed from AST_VDadapt.pl (count_agents_lines, calculate_drops, calculate_dial_level):
    - every second a sample of ready agents, waiting (answered, unconnected) calls and all logged-in agents;
      the differential is the 15-sample average of ready minus waiting, over the average agent count;
    - every 15 s: level ×= 1 + differential (adaptive_intensity 0 and dl_diff_target 0, the defaults),
      clamped to [1, adaptive_maximum_level = 3.0];
    - drop counts refresh every 60 s; if the last minute had more than 20 answers and over 50 % dropped,
      the level is halved; if today has more than 50 answers and its drop % exceeds the target
      (adaptive_dropped_percentage = 3), ADAPT_TAPERED multiplies the level by (latest time − now) / 1000
      in HHMM arithmetic (1 when more than 10 hours are left, 1.0 flat after the latest time), and the
      level is raised back to 1.0 if below;
    - adaptive_latest_server_time is set to the day's end (17:00), as VICIdial's documentation advises.
    Drop % is dropped ÷ answered, the measure VICIdial uses since 2006 (and ours). Not modelled: the
    hopper, multiple servers, the dial_level_threshold options and AST_VDauto_dial.pl's per-second
    calls-per-second limits; auto_dial_level starts at 1.0, the value VICIdial's admin sets for ADAPT_TAPERED.
    """

    drop_target_pct: float = 3.0
    max_level: float = 3.0
    latest_hhmm: int = 1700
    level: float = 1.0
    _samples: deque[tuple[int, int, int]] = field(default_factory=lambda: deque(maxlen=15))
    _minute_marks: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=2))
    _drops_today_pct: float = 0.0
    _answers_today: int = 0
    _answers_one: int = 0
    _drops_one_pct: float = 0.0
    _day_second: int = 0

    def __call__(self, state: PacingState) -> int:
        """The number of new lines this second, adjusting the dial level on VICIdial's schedule."""
        second = int(state.now)
        if second == 0:
            self._minute_marks.clear()
        self._samples.append((state.agents_available, state.calls_waiting, state.agents_logged_in))
        if second % 60 == 0:
            self._calculate_drops(state)
        if second % 15 == 14:
            self._calculate_dial_level(second)
        return dial_level(self.level)(state)

    def _calculate_drops(self, state: PacingState) -> None:
        m = state.measured
        self._answers_today = m.humans_today
        self._drops_today_pct = 100.0 * m.dropped_today / m.humans_today if m.humans_today else 0.0
        previous = self._minute_marks[-1] if self._minute_marks else (0, 0)
        self._answers_one = m.humans_today - previous[0]
        drops_one = m.dropped_today - previous[1]
        self._drops_one_pct = 100.0 * drops_one / self._answers_one if self._answers_one else 0.0
        self._minute_marks.append((m.humans_today, m.dropped_today))

    def _calculate_dial_level(self, second: int) -> None:
        n = len(self._samples)
        ready = sum(s[0] for s in self._samples) / n
        waiting = sum(s[1] for s in self._samples) / n
        agents = sum(s[2] for s in self._samples) / n
        if agents <= 0:
            return
        level = self.level * (1.0 + (ready - waiting) / agents)
        level = min(max(level, 1.0), self.max_level)
        if self._answers_one > 20 and self._drops_one_pct > 50:
            level /= 2
        if self._answers_today > 50 and self._drops_today_pct > self.drop_target_pct:
            left = self.latest_hhmm - _hhmm(second)
            level = 1.0 if left < 0 else level * (1.0 if left > 1000 else left / 1000)
        self.level = max(level, 1.0)


def _hhmm(second_of_day: int) -> int:
    minutes = DAY_START_HHMM // 100 * 60 + DAY_START_HHMM % 100 + second_of_day // 60
    return minutes // 60 * 100 + minutes % 60
