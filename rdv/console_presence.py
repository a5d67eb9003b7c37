"""Time in each presence state from an agent's events: logged-in time, occupancy, pauses by reason. Pure.

An event says an agent entered a state at a moment; the state lasts until the agent's next event, or `now` for
the last one. Pauses are added up by reason, and each pause longer than its reason allows counts its excess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

WORKING = ("available", "on_call", "wrap_up")
BUSY = ("on_call", "wrap_up")


@dataclass(frozen=True)
class PresenceEvent:
    login: str
    state: str
    reason: str
    at: datetime


@dataclass
class PauseTotal:
    """An agent's pauses for one reason: how many, how long in all, and how long beyond the allowed length."""

    reason: str
    count: int = 0
    seconds: float = 0.0
    over_s: float = 0.0
    # Whether the pause going on now has already lasted longer than allowed.
    over_now: bool = False


@dataclass
class PresenceTotals:
    """Seconds an agent spent in each state (since the first event given), and their pauses by reason."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pauses: dict[str, PauseTotal] = field(default_factory=dict)

    @property
    def logged_in_s(self) -> float:
        return sum(s for state, s in self.seconds.items() if state != "logged_out")

    @property
    def working_s(self) -> float:
        return sum(self.seconds.get(state, 0.0) for state in WORKING)

    @property
    def busy_s(self) -> float:
        return sum(self.seconds.get(state, 0.0) for state in BUSY)


def presence_totals(events: Iterable[PresenceEvent], now: datetime,
                    limits_min: Mapping[str, int]) -> dict[str, PresenceTotals]:
    """Totals per login; `limits_min` gives each pause reason's longest allowed length in minutes."""
    by_login: dict[str, list[PresenceEvent]] = defaultdict(list)
    for event in events:
        by_login[event.login].append(event)
    totals: dict[str, PresenceTotals] = {}
    for login, mine in by_login.items():
        mine.sort(key=lambda e: e.at)
        result = totals[login] = PresenceTotals()
        for event, following in zip(mine, [*mine[1:], None], strict=True):
            end = following.at if following is not None else now
            lasted = max(0.0, (end - event.at).total_seconds())
            result.seconds[event.state] += lasted
            if event.state == "paused":
                _add_pause(result, event.reason, lasted, limits_min.get(event.reason), ongoing=following is None)
    return totals


def _add_pause(result: PresenceTotals, reason: str, lasted: float, limit_min: int | None, ongoing: bool) -> None:
    total = result.pauses.setdefault(reason, PauseTotal(reason))
    total.count += 1
    total.seconds += lasted
    if limit_min is not None and lasted > limit_min * 60:
        total.over_s += lasted - limit_min * 60
        total.over_now = total.over_now or ongoing


def occupancy(totals: Iterable[PresenceTotals]) -> float | None:
    """Share of working time (ready, on a call, wrap-up) spent on calls and their wrap-up; None without any."""
    working = busy = 0.0
    for t in totals:
        working += t.working_s
        busy += t.busy_s
    return busy / working if working else None
