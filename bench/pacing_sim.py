"""A lean discrete-event simulation of one calling day, driving a pacing policy every simulated second.

No sockets, no wall clock: a heapq of events on a simulated clock. The policy sees what the engine
would see — a `PacingState` built from the live view (agents, lines in flight, calls waiting) and the
campaign's `PacingStats` snapshot — and answers how many new lines to originate.

Call model: ring time uniform 10–30 s for every dial; the dial then resolves as a human answer
(probability `answer_rate`, by hour band in some scenarios), an answering machine (10 %) or no answer /
busy (the rest); in some scenarios the AMD verdict comes seconds after the answer, and until then the line
is answered but not a known human, as the engine sees it. A human waits at most 2 s in the queue for a
free agent, else is dropped. Talk time, wrap-up and agents' pauses follow the scenario
(`bench/pacing_scenarios.py`: the model's own world is log-normal talk with mean 180 s and sigma 0.6, then
20 s of wrap-up, no pause). Common random numbers: the i-th dial of the day gets the i-th draw of every
quantity whatever the policy, so policies differ only by their decisions.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bench.pacing_scenarios import SCENARIOS, Draws, Scenario
from dialer.pacing import DialOutcome, MeasuredStats, PacingState, PacingStats

Policy = Callable[[PacingState], int]

__all__ = ["DAY_S", "FIRST_DAY", "DayResult", "DaySimulation", "Draws", "Policy", "simulate_days"]

DAY_S = 8 * 3600.0
QUEUE_TIMEOUT_S = 2.0
MACHINE_RATE = 0.10
FIRST_DAY = date(2026, 1, 5)

_RESOLVE, _DROP_CHECK, _AGENT_FREE, _AMD_DONE, _PAUSE_END = 0, 1, 2, 3, 4


@dataclass
class DayResult:
    """What one simulated day produced."""

    dials: int = 0
    humans: int = 0
    machines: int = 0
    others: int = 0
    dropped: int = 0
    connected: int = 0
    busy_s: float = 0.0  # agents' talk + wrap-up inside the day
    talk_s: float = 0.0
    ringing_at_end: int = 0  # calls the day's end found still ringing, waiting or with an agent
    waiting_at_end: int = 0
    talking_at_end: int = 0

    @property
    def abandon_rate(self) -> float:
        """Dropped ÷ human-answered."""
        return self.dropped / self.humans if self.humans else 0.0


class DaySimulation:
    """One campaign day: `agents` logged in all day, `policy` asked every second how many lines to dial."""

    def __init__(
        self,
        agents: int,
        answer_rate: float,
        draws: Draws,
        stats: PacingStats,
        day: date,
        detail: bool = True,
        day_s: float = DAY_S,
        scenario: Scenario | None = None,
    ) -> None:
        self.scenario = scenario or SCENARIOS["model"]
        self.agents = agents
        self.day_s = day_s
        self.detail = detail
        self.answer_rate = answer_rate
        self.draws = draws
        self.stats = stats
        self.day = day
        self.result = DayResult()
        self._events: list[tuple[float, int, int, int]] = []
        self._seq = 0
        self._free: deque[int] = deque(range(agents))  # agent ids, longest idle first
        self._connected_at = [0.0] * agents
        self._talk_end = [0.0] * agents
        self._busy: set[int] = set()
        self._ringing: dict[int, float] = {}  # call index -> dial time
        self._answering: dict[int, float] = {}  # answered, AMD verdict pending: call index -> dial time
        self._wrap_of = [0.0] * agents
        self._call_of = [0] * agents
        self._waiting: deque[tuple[int, float]] = deque()  # (call index, answered at)

    def run(self, policy: Policy) -> DayResult:
        """Simulate the whole day and return its counts."""
        end = self.day_s
        for tick in range(int(end)):
            now = float(tick)
            self._advance(now)
            n = policy(self.state(now))
            for _ in range(n):
                self._dial(now)
        self._advance(end)
        for agent in self._busy:  # calls still going at the end of the day count up to the end only
            self.result.busy_s += end - self._connected_at[agent]
        self.result.ringing_at_end = len(self._ringing) + len(self._answering)
        self.result.waiting_at_end = len(self._waiting)
        self.result.talking_at_end = len(self._busy)
        return self.result

    def state(self, now: float) -> PacingState:
        """What the engine would see now (counts only, without `detail`: enough for the fixed policies)."""
        if not self.detail:
            return self._counts(now)
        talking: list[float] = []
        wrapping: list[float] = []
        for agent in self._busy:
            if now < self._talk_end[agent]:
                talking.append(now - self._connected_at[agent])
            else:
                wrapping.append(now - self._talk_end[agent])
        return PacingState(
            now=now,
            agents_logged_in=self.agents,
            agents_available=len(self._free),
            talking_s=tuple(talking),
            wrapping_s=tuple(wrapping),
            lines_in_progress=len(self._ringing) + len(self._answering) + len(self._waiting),
            ringing_ages_s=tuple(now - at for at in self._ringing.values()),
            calls_waiting=len(self._waiting),
            answering=len(self._answering),
            measured=self.stats.snapshot(self.day),
        )

    def _counts(self, now: float) -> PacingState:
        talking = sum(1 for agent in self._busy if now < self._talk_end[agent])
        r = self.result
        return PacingState(
            now=now,
            agents_logged_in=self.agents,
            agents_available=len(self._free),
            talking_s=(0.0,) * talking,
            wrapping_s=(0.0,) * (len(self._busy) - talking),
            lines_in_progress=len(self._ringing) + len(self._answering) + len(self._waiting),
            calls_waiting=len(self._waiting),
            measured=MeasuredStats(humans_today=r.humans, dropped_today=r.dropped),
        )

    def _push(self, at: float, kind: int, ref: int) -> None:
        self._seq += 1
        heapq.heappush(self._events, (at, self._seq, kind, ref))

    def _dial(self, now: float) -> None:
        i = self.result.dials
        self.result.dials += 1
        self._ringing[i] = now
        self._push(now + float(self.draws.ring[i]), _RESOLVE, i)

    def _advance(self, until: float) -> None:
        events = self._events
        while events and events[0][0] <= until:
            at, _, kind, ref = heapq.heappop(events)
            if kind == _RESOLVE:
                self._resolve(at, ref)
            elif kind == _DROP_CHECK:
                self._drop_if_still_waiting(ref)
            elif kind == _AMD_DONE:
                self._verdict(at, ref, self._answering.pop(ref))
            elif kind == _PAUSE_END:
                self._take_next(at, ref)
            else:
                self._agent_freed(at, ref)

    def _resolve(self, at: float, call: int) -> None:
        dialled_at = self._ringing.pop(call)
        u = self.draws.outcome[call]
        if u < self.scenario.answer_rate_at(self.answer_rate, dialled_at) + MACHINE_RATE:
            amd = float(self.draws.amd[call])
            if amd > 0:  # answered: a known human (or machine) only once AMD has spoken
                self._answering[call] = dialled_at
                self._push(at + amd, _AMD_DONE, call)
            else:
                self._verdict(at, call, dialled_at)
        else:
            self.result.others += 1
            self.stats.dial_resolved(self.day, DialOutcome.OTHER, at - dialled_at)

    def _verdict(self, at: float, call: int, dialled_at: float) -> None:
        """The AMD verdict: a human goes to the queue, a machine is hung up on."""
        if self.draws.outcome[call] < self.scenario.answer_rate_at(self.answer_rate, dialled_at):
            self.result.humans += 1
            self.stats.dial_resolved(self.day, DialOutcome.HUMAN, at - dialled_at)
            if self._free:
                self._connect(at, self._free.popleft(), call)
            else:
                self._waiting.append((call, at))
                self._push(at + QUEUE_TIMEOUT_S, _DROP_CHECK, call)
        else:
            self.result.machines += 1
            self.stats.dial_resolved(self.day, DialOutcome.MACHINE, at - dialled_at)

    def _drop_if_still_waiting(self, call: int) -> None:
        # FIFO queue with one timeout: the caller that times out is always at the head if still waiting.
        if self._waiting and self._waiting[0][0] == call:
            self._waiting.popleft()
            self.result.dropped += 1
            self.stats.call_dropped(self.day)

    def _connect(self, at: float, agent: int, call: int) -> None:
        talk = float(self.draws.talk[call])
        self._busy.add(agent)
        self._connected_at[agent] = at
        self._talk_end[agent] = at + talk
        self.result.connected += 1
        self._wrap_of[agent] = float(self.draws.wrap[call])
        self._call_of[agent] = call
        self._push(at + talk + self._wrap_of[agent], _AGENT_FREE, agent)

    def _agent_freed(self, at: float, agent: int) -> None:
        self._busy.discard(agent)
        talk = self._talk_end[agent] - self._connected_at[agent]
        self.result.busy_s += at - self._connected_at[agent]
        self.result.talk_s += talk
        self.stats.talk_ended(talk)
        self.stats.wrap_ended(self._wrap_of[agent])
        call = self._call_of[agent]
        if self.draws.pause[call] < self.scenario.pause_share:  # a break: logged in, neither free nor busy
            self._push(at + float(self.draws.pause_s[call]), _PAUSE_END, agent)
            return
        self._take_next(at, agent)

    def _take_next(self, at: float, agent: int) -> None:
        """The agent is ready: the caller waiting longest, or the free list."""
        if self._waiting:
            call, _ = self._waiting.popleft()
            self._connect(at, agent, call)
        else:
            self._free.append(agent)


def simulate_days(
    agents: int, answer_rate: float, policy: Policy, draws: list[Draws], detail: bool = True, day_s: float = DAY_S,
    scenario: Scenario | None = None,
) -> list[DayResult]:
    """Consecutive days of one campaign: the pacing statistics carry over from day to day, as in service."""
    stats = PacingStats()
    results = []
    for offset, day_draws in enumerate(draws):
        day = FIRST_DAY + timedelta(days=offset)
        simulation = DaySimulation(agents, answer_rate, day_draws, stats, day, detail, day_s, scenario)
        results.append(simulation.run(policy))
    return results
