"""Pricing plans as data: what a client contract says about prices, minimums, rounding and payment.

A plan is read from the contract file (TOML) once and checked there; the rules never see raw text.
Each amount is rounded once: per-RDV and per-unit prices at the invoice line, hourly and package totals
at the period total, as `rounding_at` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from billing.money import mode
from config.i18n import _


class InvalidPlan(ValueError):
    """A contract's plan that is missing a field or holds a value that makes no sense."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(_("Billing plan, field {field}: {problem}").format(field=field_name, problem=problem))
        self.field = field_name


@dataclass(frozen=True)
class PerAppointment:
    """Seed 001: a price per billable RDV and a weekly minimum share of the RDVs supplied."""

    price: Decimal
    minimum_ratio: Decimal = Decimal("0.40")
    minimum_rounding: str = "up"
    kind: str = "per_appointment"


@dataclass(frozen=True)
class Hourly:
    """Seed 000: a rate per agent-hour, a minimum of hours per week or month, what counts as an hour."""

    rate: Decimal
    minimum_hours: Decimal = Decimal(0)
    minimum_period: str = "week"
    counts: str = "logged"  # or "productive": talk and wrap-up only
    unit_minutes: int = 15
    rounding: str = "up"
    kind: str = "hourly"


@dataclass(frozen=True)
class Package:
    """Seed 000: a monthly price per agent with hours included each week, extra hours at their own price."""

    price: Decimal
    hours_included_per_week: Decimal
    extra_hour_price: Decimal
    unit_minutes: int = 15
    rounding: str = "up"
    kind: str = "package"


@dataclass(frozen=True)
class Tier:
    """Units up to `upto` (inclusive, counted from the first of the period) at `price`; `None` is no limit."""

    upto: int | None
    price: Decimal


@dataclass(frozen=True)
class Usage:
    """Seed 002: per call or per minute, each call rounded to an increment, graduated tiers and a cap."""

    unit: str  # "call" or "minute"
    tiers: tuple[Tier, ...]
    increment_seconds: int = 60
    first_increment_seconds: int = 60
    rounding: str = "up"
    cap: Decimal | None = None
    kind: str = "usage"


@dataclass(frozen=True)
class Fees:
    """One-off fees: account opening, training of each new agent."""

    opening: Decimal = Decimal(0)
    training_per_agent: Decimal = Decimal(0)


Pricing = PerAppointment | Hourly | Package | Usage


@dataclass(frozen=True)
class Plan:
    """The whole commercial side of a contract."""

    pricing: Pricing
    currency: str = "EUR"
    fees: Fees = field(default_factory=Fees)
    payment_days: int = 30
    penalty_rate_per_day: Decimal | None = None  # None: the legal rate (ECB rate + 10 points)
    reminder_days: tuple[int, ...] = (1, 8, 15)
    prepaid: bool = False
    overdraft_limit: Decimal = Decimal(0)
    low_balance_threshold: Decimal = Decimal(0)


def _decimal(raw: Mapping[str, Any], name: str, default: Decimal | None = None, minimum: Decimal = Decimal(0)
             ) -> Decimal:
    if name not in raw:
        if default is None:
            raise InvalidPlan(name, _("missing"))
        return default
    try:
        value = Decimal(str(raw[name]).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise InvalidPlan(name, _("{value} is not an amount").format(value=raw[name])) from None
    if not value.is_finite() or value < minimum:
        raise InvalidPlan(name, _("{value} is below {minimum}").format(value=raw[name], minimum=minimum))
    return value


def _rounding(raw: Mapping[str, Any], name: str, default: str) -> str:
    value = str(raw.get(name, default))
    try:
        mode(value)
    except ValueError as exc:
        raise InvalidPlan(name, str(exc)) from None
    return value


def _choice(raw: Mapping[str, Any], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = str(raw.get(name, default))
    if value not in allowed:
        raise InvalidPlan(name, _("{value} is not one of {allowed}").format(value=value, allowed=", ".join(allowed)))
    return value


def _pricing(raw: Mapping[str, Any]) -> Pricing:
    kind = _choice(raw, "kind", "per_appointment", ("per_appointment", "hourly", "package", "usage"))
    if kind == "per_appointment":
        ratio = _decimal(raw, "minimum_ratio", Decimal("0.40"))
        if ratio > 1:
            raise InvalidPlan("minimum_ratio", _("a share between 0 and 1, such as 0.40"))
        return PerAppointment(_decimal(raw, "price"), ratio, _rounding(raw, "minimum_rounding", "up"))
    if kind == "hourly":
        return Hourly(_decimal(raw, "rate"), _decimal(raw, "minimum_hours", Decimal(0)),
                      _choice(raw, "minimum_period", "week", ("week", "month")),
                      _choice(raw, "counts", "logged", ("logged", "productive")),
                      int(_decimal(raw, "unit_minutes", Decimal(15), Decimal(1))), _rounding(raw, "rounding", "up"))
    if kind == "package":
        return Package(_decimal(raw, "price"), _decimal(raw, "hours_included_per_week"),
                       _decimal(raw, "extra_hour_price"), int(_decimal(raw, "unit_minutes", Decimal(15), Decimal(1))),
                       _rounding(raw, "rounding", "up"))
    tiers = tuple(
        Tier(None if t.get("upto") is None else int(_decimal(t, "upto")), _decimal(t, "price"))
        for t in raw.get("tiers", [{"price": raw.get("price")}] if "price" in raw else [])
    )
    if not tiers or any(t.upto is None for t in tiers[:-1]) or tiers[-1].upto is not None:
        raise InvalidPlan("tiers", _("tiers go up in order and the last one has no upper limit"))
    return Usage(_choice(raw, "unit", "minute", ("call", "minute")), tiers,
                 int(_decimal(raw, "increment_seconds", Decimal(60), Decimal(1))),
                 int(_decimal(raw, "first_increment_seconds", Decimal(60), Decimal(1))),
                 _rounding(raw, "rounding", "up"), _decimal(raw, "cap") if "cap" in raw else None)


def plan_from_mapping(raw: Mapping[str, Any]) -> Plan:
    """The plan of a contract file's `[plan]` table (and its `[plan.pricing]`, `[plan.fees]`)."""
    fees = raw.get("fees", {})
    currency = str(raw.get("currency", "EUR")).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidPlan("currency", _("a three-letter code such as EUR or CAD"))
    return Plan(
        pricing=_pricing(raw.get("pricing", {})),
        currency=currency,
        fees=Fees(_decimal(fees, "opening", Decimal(0)), _decimal(fees, "training_per_agent", Decimal(0))),
        payment_days=int(_decimal(raw, "payment_days", Decimal(30))),
        penalty_rate_per_day=_decimal(raw, "penalty_rate_per_day") if "penalty_rate_per_day" in raw else None,
        reminder_days=tuple(int(d) for d in raw.get("reminder_days", (1, 8, 15))),
        prepaid=bool(raw.get("prepaid", False)),
        overdraft_limit=_decimal(raw, "overdraft_limit", Decimal(0)),
        low_balance_threshold=_decimal(raw, "low_balance_threshold", Decimal(0)),
    )
