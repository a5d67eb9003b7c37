"""What is billable in a production week, and what a billing run adds or takes back: pure, Decimal, no clock.

A week's money is `price × max(billable, minimum)`: the RDVs established as billable, topped up to the
minimum share of the RDVs supplied that week. A week is billed as soon as it is over and billed again,
by difference, whenever its results move (a fausse chute proven weeks later, a dispute accepted): the
RDVs named on invoices are those billable, the rest up to the minimum is a top-up line, so an RDV that
turns billable later is paid only beyond what the minimum already covered, and one credited back is
replaced by the top-up when the week falls under its minimum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from billing.money import to_cents, whole
from billing.plans import PerAppointment
from campaigns.appointment_rules import (
    CANCELLED,
    CANCELLED_BY_CLIENT,
    CONFIRMED,
    FALSE_CANCELLATION,
    SENT_TO_CLIENT,
    TAKEN,
    VALIDATED,
    VISITED,
)
from config.i18n import _

BILLABLE = "billable"
NOT_BILLABLE = "not_billable"
# The client reported the RDV failed and quality control has not ruled: what was billed stays billed,
# what was not stays unbilled, until the ruling (a "chute" credits it, a "fausse chute" bills it).
PENDING = "pending"
_WORKED = frozenset({TAKEN, SENT_TO_CLIENT, CONFIRMED, VISITED})


class InvalidWeek(ValueError):
    """A production week written other than as an ISO week such as 2026-W49."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Invalid week {text}: write an ISO week such as 2026-W49").format(text=text))


@dataclass(frozen=True, order=True)
class Week:
    """An ISO production week, Monday to Sunday."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        try:
            year, number = text.strip().upper().split("-W")
            week = cls(int(year), int(number))
            week.monday()
        except ValueError:
            raise InvalidWeek(text) from None
        return week

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    def sunday(self) -> date:
        return self.monday() + timedelta(days=6)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The first moment of the week and of the next one in `zone`."""
        tz = ZoneInfo(zone)
        start = datetime.combine(self.monday(), time(0), tz)
        return start, datetime.combine(self.monday() + timedelta(days=7), time(0), tz)

    def previous(self) -> Week:
        return Week.of(self.monday() - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


class Facts(NamedTuple):
    """What billing needs of one RDV: its id, where it stands, and whether it met the agreed criteria.

    A named tuple rather than a dataclass: a run builds one per RDV of every week it looks at again."""

    id: int
    state: str
    conform: bool


def verdict(state: str, conform: bool) -> str:
    """Billable, not billable, or pending a quality-control ruling (seed 001 §5)."""
    if state in (FALSE_CANCELLATION, VALIDATED):
        return BILLABLE
    if state == CANCELLED_BY_CLIENT:
        return PENDING
    if state == CANCELLED:
        return NOT_BILLABLE
    return BILLABLE if conform and state in _WORKED else NOT_BILLABLE


def minimum_units(supplied: int, plan: PerAppointment) -> int:
    """The least number of RDVs billed for a week that supplied `supplied` of them."""
    return whole(Decimal(supplied) * plan.minimum_ratio, plan.minimum_rounding)


@dataclass(frozen=True)
class WeekState:
    """What has been billed for a week so far: the RDVs named, and the top-up units to the minimum."""

    billed: frozenset[int] = frozenset()
    top_up: int = 0

    @property
    def units(self) -> int:
        return len(self.billed) + self.top_up


@dataclass(frozen=True)
class WeekChange:
    """What one billing run changes for one week; empty when nothing moved (the run is idempotent)."""

    week: Week
    supplied: int
    minimum: int
    added: tuple[int, ...]
    removed: tuple[int, ...]
    before: WeekState
    after: WeekState

    @property
    def units(self) -> int:
        """Units billed (positive) or credited (negative) by this change."""
        return self.after.units - self.before.units

    @property
    def top_up_delta(self) -> int:
        return self.after.top_up - self.before.top_up

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed and not self.top_up_delta


def target(facts: Iterable[Facts], billed: frozenset[int]) -> frozenset[int]:
    """The RDVs that should stand billed now, given what is billed already (pending ones keep their status)."""
    wanted = set()
    for fact in facts:
        status = verdict(fact.state, fact.conform)
        if status == BILLABLE or (status == PENDING and fact.id in billed):
            wanted.add(fact.id)
    return frozenset(wanted)


def week_change(week: Week, facts: Iterable[Facts], before: WeekState, plan: PerAppointment) -> WeekChange:
    """The lines a run owes for `week`: RDVs newly billable, RDVs to credit, and the top-up's move."""
    facts = list(facts)
    minimum = minimum_units(len(facts), plan)
    billed = target(facts, before.billed)
    after = WeekState(billed, max(0, minimum - len(billed)))
    return WeekChange(week, len(facts), minimum, tuple(sorted(billed - before.billed)),
                      tuple(sorted(before.billed - billed)), before, after)


@dataclass(frozen=True)
class Line:
    """One priced line: a signed quantity of a unit price, rounded at the line."""

    key: str  # "billable", "credited" or "top_up": the renderer words it
    week: Week
    quantity: int
    unit_price: Decimal
    appointment_ids: tuple[int, ...] = ()

    @property
    def amount(self) -> Decimal:
        return to_cents(self.unit_price * self.quantity)


def change_lines(change: WeekChange, plan: PerAppointment) -> list[Line]:
    """The change as invoice lines (quantities signed: positive bills, negative credits)."""
    lines = []
    if change.added:
        lines.append(Line("billable", change.week, len(change.added), plan.price, change.added))
    if change.removed:
        lines.append(Line("credited", change.week, -len(change.removed), plan.price, change.removed))
    if change.top_up_delta:
        lines.append(Line("top_up", change.week, change.top_up_delta, plan.price))
    return lines


@dataclass(frozen=True)
class BillableWeek:
    """A week billed from nothing: its lines and their total (the first invoice of the week)."""

    change: WeekChange
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def billable_appointments(week: Week, appointments: Iterable[Facts], plan: PerAppointment) -> BillableWeek:
    """The first bill of a week: the billable RDVs and the top-up to the minimum."""
    change = week_change(week, appointments, WeekState(), plan)
    return BillableWeek(change, tuple(change_lines(change, plan)))


def week_amount(facts: Iterable[Facts], billed: frozenset[int], plan: PerAppointment) -> Decimal:
    """What a week is worth in total once its results are what `facts` say."""
    facts = list(facts)
    units = max(len(target(facts, billed)), minimum_units(len(facts), plan))
    return to_cents(plan.price * units)
