"""Time in each presence state from an agent's events: logged-in time, occupancy, pauses by reason. Pure.

An event says an agent entered a state at a moment; the state lasts until the agent's next event, or `now` for
the last one. Pauses are added up by reason, and each pause longer than its reason allows counts its excess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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
    return PresenceLedger().totals(events, now, limits_min)


class PresenceLedger:
    """Presence totals kept up to date cheaply: intervals that are over are added once (`settle`), and only the
    recent events are read again at each `totals`, so a screen refreshed every second does not re-read the day.

    A login's last settled event stays open (its interval ends with the next event, or now).
    """

    def __init__(self) -> None:
        self.settled: dict[str, PresenceTotals] = {}
        self.open: dict[str, PresenceEvent] = {}

    def totals(self, recent: Iterable[PresenceEvent], now: datetime,
               limits_min: Mapping[str, int]) -> dict[str, PresenceTotals]:
        """The totals at `now`: the settled ones plus the open event and the `recent` ones not settled yet."""
        result = {login: _copy(t) for login, t in self.settled.items()}
        for login, mine in self._tails(recent).items():
            totals = result.setdefault(login, PresenceTotals())
            for event, following in zip(mine, [*mine[1:], None], strict=True):
                end = following.at if following is not None else now
                _fold(totals, event, end, limits_min, ongoing=following is None)
        return result

    def settle(self, events: Iterable[PresenceEvent], limits_min: Mapping[str, int]) -> None:
        """Add for good the intervals the given events close: each event but every login's last becomes history."""
        for login, mine in self._tails(events).items():
            totals = self.settled.setdefault(login, PresenceTotals())
            for event, following in zip(mine, mine[1:], strict=False):
                _fold(totals, event, following.at, limits_min, ongoing=False)
            self.open[login] = mine[-1]

    def _tails(self, events: Iterable[PresenceEvent]) -> dict[str, list[PresenceEvent]]:
        by_login: dict[str, list[PresenceEvent]] = defaultdict(list)
        for event in events:
            by_login[event.login].append(event)
        for login, event in self.open.items():
            by_login[login].append(event)
        for mine in by_login.values():
            mine.sort(key=lambda e: e.at)
        return by_login


def _fold(totals: PresenceTotals, event: PresenceEvent, end: datetime, limits_min: Mapping[str, int],
          ongoing: bool) -> None:
    lasted = max(0.0, (end - event.at).total_seconds())
    totals.seconds[event.state] += lasted
    if event.state == "paused":
        _add_pause(totals, event.reason, lasted, limits_min.get(event.reason), ongoing)


def _copy(totals: PresenceTotals) -> PresenceTotals:
    seconds: dict[str, float] = defaultdict(float, totals.seconds)
    return PresenceTotals(seconds, {r: replace(p) for r, p in totals.pauses.items()})


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
