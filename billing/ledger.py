"""The prepaid account, pure: how an invoice is paid from it, and when its balance calls for an alert."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Settlement:
    """How one invoice meets the account: what the account pays, what stays due, the balance after."""

    balance_before: Decimal
    paid_from_account: Decimal
    due: Decimal
    balance_after: Decimal


def settle(balance: Decimal, total: Decimal, overdraft_limit: Decimal = Decimal(0)) -> Settlement:
    """Pay `total` from the account down to `-overdraft_limit` at most; the rest is due by transfer.

    A credit note (negative total) refunds the account in full.
    """
    if total <= 0:
        return Settlement(balance, total, Decimal(0), balance - total)
    room = max(balance + overdraft_limit, Decimal(0))
    paid = min(total, room)
    return Settlement(balance, paid, total - paid, balance - paid)


@dataclass(frozen=True)
class Allocation:
    """A transfer received: what settles open invoices (oldest first) and what goes to the account."""

    to_invoices: tuple[tuple[int, Decimal], ...]
    to_account: Decimal


def allocate(amount: Decimal, open_dues: list[tuple[int, Decimal]]) -> Allocation:
    """Settle the dues of open invoices in order, then credit the rest to the prepaid account."""
    left, paid = amount, []
    for invoice_id, due in open_dues:
        if left <= 0:
            break
        part = min(left, due)
        if part > 0:
            paid.append((invoice_id, part))
            left -= part
    return Allocation(tuple(paid), left)


def crosses_threshold(before: Decimal, after: Decimal, threshold: Decimal) -> bool:
    """Whether the balance has just gone below the low-balance threshold (alert once, not at every invoice)."""
    return threshold > 0 and before >= threshold > after
