"""Other plans as data (seeds 000 and 002): agent-hours, packages, calls and minutes, fees, late payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.late import lateness, reminders_due
from billing.plans import Fees, Hourly, InvalidPlan, Package, Tier, Usage, plan_from_mapping
from billing.pricing import (
    agent_hours,
    billed_seconds,
    billed_units,
    fee_lines,
    hourly_lines,
    package_lines,
    usage_lines,
)


def test_seed_000_hourly_rate_with_its_fifteen_hour_minimum() -> None:
    plan = Hourly(Decimal("9.00"), minimum_hours=Decimal(15))
    lines = hourly_lines(plan, {"a1": 4 * 3600 + 60, "a2": 6 * 3600})  # 4 h 01 rounds up to 4 h 15
    assert [(line.key, line.quantity, line.amount) for line in lines] == [
        ("agent_hours", Decimal("10.25"), Decimal("92.25")), ("minimum_hours", Decimal("4.75"), Decimal("42.75"))]
    assert agent_hours(3599, 15, "down") == Decimal("0.75")


def test_seed_000_package_bills_hours_beyond_those_included_each_week() -> None:
    plan = Package(Decimal("699.95"), Decimal(25), Decimal("12.00"))
    lines = package_lines(plan, {"a1": [25 * 3600, 27 * 3600 + 1], "a2": [20 * 3600]})
    assert [(line.key, line.quantity, line.amount) for line in lines] == [
        ("package", Decimal(2), Decimal("1399.90")), ("extra_hours", Decimal("2.25"), Decimal("27.00"))]


def test_seed_002_minutes_with_increments_tiers_and_a_cap() -> None:
    plan = Usage("minute", (Tier(100, Decimal("0.50")), Tier(None, Decimal("0.40"))), increment_seconds=30,
                 first_increment_seconds=60, cap=Decimal("60.00"))
    assert billed_units(plan, [10, 61, 95]) == Decimal("4.5")  # 1 min + 1,5 min + 2 min
    lines = usage_lines(plan, [600] * 12)  # 120 minutes: 100 at 0,50 + 20 at 0,40 = 58 €, under the cap
    assert sum(line.amount for line in lines) == Decimal("58.00")
    capped = usage_lines(plan, [600] * 20)  # 200 minutes: 90 € before the cap
    assert capped[-1].key == "cap" and sum(line.amount for line in capped) == Decimal("60.00")
    assert billed_units(Usage("call", (Tier(None, Decimal(1)),)), [5, 500]) == 2


@given(st.lists(st.integers(0, 4000), max_size=60), st.integers(1, 120), st.integers(1, 120),
       st.sampled_from((None, Decimal("25.00"), Decimal("0"))))
def test_minutes_are_never_billed_below_the_time_talked_nor_above_the_cap(
        calls: list[int], increment: int, first: int, cap: Decimal | None) -> None:
    plan = Usage("minute", (Tier(50, Decimal("0.30")), Tier(None, Decimal("0.20"))), increment, first, "up", cap)
    assert billed_seconds(plan, calls) >= sum(calls)
    total = sum((line.amount for line in usage_lines(plan, calls)), Decimal(0))
    assert total >= 0 and (cap is None or total <= cap)
    more = sum((line.amount for line in usage_lines(plan, [*calls, 60])), Decimal(0))
    assert more >= total  # one more call never costs less


def test_one_off_fees_of_seed_000() -> None:
    lines = fee_lines(Fees(Decimal("199.95"), Decimal("299.90")), opening=True, new_agents=2)
    assert [(line.key, line.amount) for line in lines] == [("opening", Decimal("199.95")),
                                                           ("training", Decimal("599.80"))]


def test_late_payment_costs_the_contract_rate_per_day_and_the_40_euro_indemnity() -> None:
    late = lateness(Decimal("1000.00"), date(2026, 12, 7), date(2026, 12, 17), Decimal("0.005"), True)
    assert (late.days, late.penalty, late.indemnity, late.total) == (10, Decimal("50.00"), Decimal("40.00"),
                                                                      Decimal("90.00"))
    assert lateness(Decimal("1000.00"), date(2026, 12, 7), date(2026, 12, 7), Decimal("0.005"), True).total == 0


def test_reminders_go_at_their_delays_once_and_only_the_latest_after_a_gap() -> None:
    due = date(2026, 12, 7)
    assert reminders_due(due, date(2026, 12, 7), (1, 8, 15), []) == []
    assert reminders_due(due, date(2026, 12, 8), (1, 8, 15), []) == [1]
    assert reminders_due(due, date(2026, 12, 9), (1, 8, 15), [1]) == []
    assert reminders_due(due, date(2026, 12, 30), (1, 8, 15), [1]) == [3]
    assert reminders_due(due, date(2026, 12, 16), (1, 8, 15), [2]) == []  # never an earlier level afterwards


def test_a_plan_file_with_a_bad_value_names_the_field() -> None:
    with pytest.raises(InvalidPlan, match="price"):
        plan_from_mapping({"pricing": {"kind": "per_appointment", "price": "quatre-vingts"}})
    with pytest.raises(InvalidPlan, match="minimum_ratio"):
        plan_from_mapping({"pricing": {"kind": "per_appointment", "price": 80, "minimum_ratio": 40}})
    with pytest.raises(InvalidPlan, match="tiers"):
        plan_from_mapping({"pricing": {"kind": "usage", "tiers": [{"upto": None, "price": 1}, {"price": 2}]}})
    plan = plan_from_mapping({"pricing": {"kind": "hourly", "rate": "9,00", "minimum_hours": 15},
                              "currency": "cad", "penalty_rate_per_day": "0.005"})
    assert plan.currency == "CAD" and plan.penalty_rate_per_day == Decimal("0.005")
    assert isinstance(plan.pricing, Hourly) and plan.pricing.rate == Decimal("9.00")
