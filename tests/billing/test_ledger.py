"""The prepaid account, pure: never below the overdraft the contract allows, every euro accounted for."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing.ledger import allocate, crosses_threshold, settle

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@given(st.lists(st.tuples(st.booleans(), money), max_size=40), st.sampled_from((Decimal(0), Decimal("500.00"))))
def test_the_balance_never_goes_below_the_overdraft_and_what_is_not_paid_stays_due(
        moves: list[tuple[bool, Decimal]], overdraft: Decimal) -> None:
    balance, dues = Decimal(0), Decimal(0)
    for is_invoice, amount in moves:
        if is_invoice:
            settled = settle(balance, amount, overdraft)
            assert settled.paid_from_account + settled.due == amount
            assert settled.paid_from_account >= 0 and settled.due >= 0
            balance, dues = settled.balance_after, dues + settled.due
        else:
            allocation = allocate(amount, [(1, dues)] if dues else [])
            assert sum(p for _i, p in allocation.to_invoices) + allocation.to_account == amount
            dues -= sum(p for _i, p in allocation.to_invoices)
            balance += allocation.to_account
        assert balance >= -overdraft
        assert dues >= 0


def test_an_invoice_the_package_covers_is_paid_in_full_from_it() -> None:
    settled = settle(Decimal("1000.00"), Decimal("960.00"))
    assert (settled.paid_from_account, settled.due, settled.balance_after) == (Decimal("960.00"), 0, Decimal("40.00"))
    short = settle(Decimal("40.00"), Decimal("160.00"))
    assert (short.paid_from_account, short.due, short.balance_after) == (Decimal("40.00"), Decimal("120.00"), 0)
    refund = settle(Decimal("40.00"), Decimal("-80.00"))
    assert refund.balance_after == Decimal("120.00")


def test_the_low_balance_alert_fires_once_when_the_threshold_is_crossed() -> None:
    assert crosses_threshold(Decimal(1000), Decimal(700), Decimal(800))
    assert not crosses_threshold(Decimal(700), Decimal(600), Decimal(800))  # already under: alerted before
    assert not crosses_threshold(Decimal(1000), Decimal(900), Decimal(800))
    assert not crosses_threshold(Decimal(1000), Decimal(0), Decimal(0))  # no threshold set
