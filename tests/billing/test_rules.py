"""The weekly RDV billing rules: the 40 % minimum, late results billed by difference, nothing paid twice."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.plans import PerAppointment
from billing.rules import (
    BILLABLE,
    NOT_BILLABLE,
    PENDING,
    Facts,
    InvalidWeek,
    Week,
    WeekState,
    billable_appointments,
    change_lines,
    minimum_units,
    verdict,
    week_amount,
    week_change,
)
from campaigns.appointment_rules import STATES, TRANSITIONS

PLAN = PerAppointment(Decimal("80.00"))
W49 = Week(2026, 49)


def test_a_week_reads_and_prints_as_an_iso_week() -> None:
    assert Week.parse("2026-w49") == W49 and str(W49) == "2026-W49"
    start, end = W49.bounds("Europe/Paris")
    assert start.isoformat() == "2026-11-30T00:00:00+01:00" and end.isoformat() == "2026-12-07T00:00:00+01:00"
    assert str(Week(2027, 1).previous()) == "2026-W53"
    for bad in ("2026-49", "2026-W54", "W49", ""):
        with pytest.raises(InvalidWeek, match="2026-W49"):
            Week.parse(bad)


def test_what_is_billable_follows_the_contract() -> None:
    assert verdict("confirmed", True) == BILLABLE
    assert verdict("confirmed", False) == NOT_BILLABLE  # does not meet the agreed criteria
    assert verdict("false_cancellation", False) == BILLABLE  # a proven fausse chute is billed
    assert verdict("validated", True) == BILLABLE
    assert verdict("cancelled", True) == NOT_BILLABLE  # chute established by quality control
    assert verdict("cancelled_by_client", True) == PENDING
    assert {verdict(s, c) for s in STATES for c in (True, False)} == {BILLABLE, NOT_BILLABLE, PENDING}


def test_the_minimum_is_forty_percent_of_the_rdvs_supplied_rounded_up_by_default() -> None:
    assert [minimum_units(n, PLAN) for n in (0, 1, 2, 3, 10, 11)] == [0, 1, 1, 2, 4, 5]
    assert minimum_units(11, PerAppointment(Decimal(80), minimum_rounding="down")) == 4


def test_lines_sum_to_the_total_and_the_minimum_tops_up_a_poor_week() -> None:
    facts = [Facts(i, "confirmed", i < 3) for i in range(20)]  # 3 billable of 20 supplied: minimum is 8
    week = billable_appointments(W49, facts, PLAN)
    assert [(line.key, line.quantity, line.amount) for line in week.lines] == [
        ("billable", 3, Decimal("240.00")), ("top_up", 5, Decimal("400.00"))]
    assert week.total == sum(line.amount for line in week.lines) == Decimal("640.00")
    assert week.lines[0].appointment_ids == (0, 1, 2)


def test_a_late_fausse_chute_is_billed_only_beyond_what_the_minimum_covered() -> None:
    facts = [Facts(i, "cancelled_by_client" if i >= 3 else "confirmed", True) for i in range(10)]
    first = week_change(W49, facts, WeekState(), PLAN)
    assert first.after == WeekState(frozenset({0, 1, 2}), 1) and first.units == 4
    facts[5] = Facts(5, "false_cancellation", True)  # proven in January: covered by the top-up already
    second = week_change(W49, facts, first.after, PLAN)
    assert second.units == 0 and second.added == (5,) and second.top_up_delta == -1
    facts[6] = Facts(6, "false_cancellation", True)
    third = week_change(W49, facts, second.after, PLAN)
    assert third.units == 1 and [line.key for line in change_lines(third, PLAN)] == ["billable"]


def test_a_dispute_accepted_is_credited_net_of_the_minimum() -> None:
    facts = [Facts(i, "confirmed", True) for i in range(5)]  # all 5 billed, minimum 2
    first = week_change(W49, facts, WeekState(), PLAN)
    for i in (0, 1, 2, 3):
        facts[i] = Facts(i, "cancelled", True)
    second = week_change(W49, facts, first.after, PLAN)
    assert second.removed == (0, 1, 2, 3) and second.top_up_delta == 1 and second.units == -3
    assert sum(line.amount for line in change_lines(second, PLAN)) == Decimal("-240.00")


def test_a_second_run_with_nothing_new_changes_nothing() -> None:
    facts = [Facts(i, "confirmed", i % 2 == 0) for i in range(7)]
    first = week_change(W49, facts, WeekState(), PLAN)
    assert week_change(W49, facts, first.after, PLAN).empty


def _moves(draw: st.DrawFn, count: int) -> list[tuple[int, str | None]]:
    """A random history: RDVs moved along the lifecycle, with billing runs (None) in between."""
    steps: list[tuple[int, str | None]] = []
    for _ in range(draw(st.integers(0, 60))):
        if draw(st.booleans()):
            steps.append((-1, None))
        else:
            steps.append((draw(st.integers(0, count - 1)), draw(st.sampled_from(STATES))))
    return steps


@st.composite
def _histories(draw: st.DrawFn) -> tuple[list[Facts], list[tuple[int, str | None]], PerAppointment]:
    count = draw(st.integers(1, 25))
    facts = [Facts(i, draw(st.sampled_from(("taken", "sent_to_client"))), draw(st.booleans())) for i in range(count)]
    ratio = draw(st.sampled_from((Decimal("0.40"), Decimal("0"), Decimal("0.25"), Decimal("1"))))
    plan = PerAppointment(Decimal(draw(st.sampled_from(("80", "79.99", "12.5")))), ratio,
                          draw(st.sampled_from(("up", "down", "half_up"))))
    return facts, _moves(draw, count), plan


@settings(max_examples=300, deadline=None)
@given(_histories())
def test_over_any_history_nothing_is_paid_twice_and_each_week_stays_at_its_minimum(
    history: tuple[list[Facts], list[tuple[int, str | None]], PerAppointment],
) -> None:
    facts, steps, plan = history
    state, paid, named = WeekState(), Decimal(0), Counter[int]()
    for index, target_state in [*steps, (-1, None)]:
        if target_state is not None:
            current = facts[index]
            if target_state in TRANSITIONS[current.state]:  # only moves the lifecycle allows
                facts[index] = Facts(index, target_state, current.conform)
            continue
        change = week_change(W49, facts, state, plan)
        for line in change_lines(change, plan):
            paid += line.amount
            for appointment_id in line.appointment_ids:
                named[appointment_id] += 1 if line.quantity > 0 else -1
        state = change.after
        assert all(count in (0, 1) for count in named.values()), "an RDV is paid at most once"
        assert state.units >= minimum_units(len(facts), plan), "a week never falls below its minimum"
        assert paid == state.units * plan.price
        assert {i for i, count in named.items() if count} == set(state.billed)
    # The money of all runs together is what the final state of the week is worth.
    assert paid == week_amount(facts, state.billed, plan)


def test_an_rdv_awaiting_the_quality_control_ruling_keeps_its_billing_status() -> None:
    facts = [Facts(1, "cancelled_by_client", True), Facts(2, "cancelled_by_client", True), Facts(3, "confirmed", True),
             Facts(4, "taken", False), Facts(5, "taken", False)]
    change = week_change(W49, facts, WeekState(frozenset({1, 3}), 0), PLAN)
    assert change.after.billed == {1, 3}  # 1 was billed before the client's report, 2 was not
    assert change.empty
