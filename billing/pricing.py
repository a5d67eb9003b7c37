"""Prices of the plans other than per RDV, pure: agent-hours, monthly packages, calls and minutes, one-off fees.

Each function returns priced lines; every amount is rounded once, at the place its plan says: hourly and
package amounts at the period's total, per-unit prices at the line, a cap after the tiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from billing.money import round_to_unit, to_cents
from billing.plans import Fees, Hourly, Package, Usage

HOUR = Decimal(3600)


@dataclass(frozen=True)
class Priced:
    """One priced line before wording: what it is (`key`), how many, at what price, for how much."""

    key: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def agent_hours(seconds: float | int | Decimal, unit_minutes: int, rounding: str) -> Decimal:
    """One agent's time in hours, rounded to the plan's unit (a quarter-hour, rounded up, by default)."""
    unit = Decimal(unit_minutes) / 60
    return round_to_unit(Decimal(str(seconds)) / HOUR, unit, rounding)


def hourly_lines(plan: Hourly, seconds_by_agent: Mapping[str, float | int]) -> list[Priced]:
    """Agent-hours of a period at the rate, topped up to the plan's minimum of hours."""
    hours = sum((agent_hours(s, plan.unit_minutes, plan.rounding) for s in seconds_by_agent.values()), Decimal(0))
    lines = [Priced("agent_hours", hours, plan.rate, to_cents(hours * plan.rate))]
    if hours < plan.minimum_hours:
        missing = plan.minimum_hours - hours
        lines.append(Priced("minimum_hours", missing, plan.rate, to_cents(missing * plan.rate)))
    return lines


def package_lines(plan: Package, weekly_seconds_by_agent: Mapping[str, Iterable[float | int]]) -> list[Priced]:
    """The month's package per agent, plus each agent's hours beyond those included, week by week."""
    agents = Decimal(len(weekly_seconds_by_agent))
    lines = [Priced("package", agents, plan.price, to_cents(agents * plan.price))]
    extra = Decimal(0)
    for weeks in weekly_seconds_by_agent.values():
        for seconds in weeks:
            extra += max(Decimal(0), agent_hours(seconds, plan.unit_minutes, plan.rounding)
                         - plan.hours_included_per_week)
    if extra:
        lines.append(Priced("extra_hours", extra, plan.extra_hour_price, to_cents(extra * plan.extra_hour_price)))
    return lines


def billed_seconds(plan: Usage, call_seconds: Iterable[int]) -> Decimal:
    """Each call rounded: a first increment whatever its length, then increments (seed 002)."""
    seconds = Decimal(0)
    for duration in call_seconds:
        first = Decimal(plan.first_increment_seconds)
        rest = max(Decimal(0), Decimal(duration) - first)
        seconds += first + round_to_unit(rest, Decimal(plan.increment_seconds), plan.rounding)
    return seconds


def billed_units(plan: Usage, call_seconds: Iterable[int]) -> Decimal:
    """Calls counted, or the minutes of the rounded calls (a fraction when increments are not whole minutes)."""
    calls = list(call_seconds)
    return Decimal(len(calls)) if plan.unit == "call" else billed_seconds(plan, calls) / 60


def usage_lines(plan: Usage, call_seconds: Iterable[int]) -> list[Priced]:
    """Graduated tiers over the period's units (each tier's line rounded), then the cap as a deduction.

    The deduction is a negative quantity at a positive price: EN 16931 (BR-27) forbids a negative price."""
    units, lines, lower = billed_units(plan, call_seconds), [], Decimal(0)
    for index, tier in enumerate(plan.tiers):
        upper = Decimal(tier.upto) if tier.upto is not None else units
        quantity = max(Decimal(0), min(units, upper) - lower)
        if quantity:
            lines.append(Priced(f"tier_{index + 1}", quantity, tier.price, to_cents(quantity * tier.price)))
        lower = max(lower, upper)
    total = sum((line.amount for line in lines), Decimal(0))
    if plan.cap is not None and total > plan.cap:
        lines.append(Priced("cap", Decimal(-1), total - plan.cap, to_cents(plan.cap - total)))
    return lines


def fee_lines(fees: Fees, opening: bool, new_agents: int) -> list[Priced]:
    """The account opening fee (once) and the training of each new agent (seed 000)."""
    lines = []
    if opening and fees.opening:
        lines.append(Priced("opening", Decimal(1), fees.opening, to_cents(fees.opening)))
    if new_agents and fees.training_per_agent:
        count = Decimal(new_agents)
        lines.append(Priced("training", count, fees.training_per_agent, to_cents(count * fees.training_per_agent)))
    return lines
