"""Late payment, pure: the contract's penalty per day, the legal recovery indemnity, and when to remind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.money import to_cents

# Code de commerce L. 441-10 and D. 441-5: owed by a business buyer for each invoice paid late.
RECOVERY_INDEMNITY = Decimal("40.00")


@dataclass(frozen=True)
class Lateness:
    """How late an invoice is on `today`, and what that costs the buyer."""

    days: int
    penalty: Decimal
    indemnity: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.indemnity


def lateness(amount_due: Decimal, due_date: date, today: date, rate_per_day: Decimal, business_buyer: bool,
             french_seller_rules: bool = True) -> Lateness:
    """Days late, the penalty (simple interest per day, rounded once) and the 40 € indemnity once late."""
    days = max(0, (today - due_date).days)
    if not days or amount_due <= 0:
        return Lateness(0, Decimal("0.00"), Decimal("0.00"))
    indemnity = RECOVERY_INDEMNITY if business_buyer and french_seller_rules else Decimal("0.00")
    return Lateness(days, to_cents(amount_due * rate_per_day * days), indemnity)


def reminders_due(due_date: date, today: date, delays: Iterable[int], sent: Iterable[int]) -> list[int]:
    """The reminder levels (1, 2, …) whose delay after the due date has come and that were not sent yet.

    Only the latest one is kept when several came at once (after a downtime): one letter, not three.
    """
    highest = max(sent, default=0)
    due = [level for level, delay in enumerate(sorted(delays), start=1) if (today - due_date).days >= delay]
    waiting = [level for level in due if level > highest]
    return waiting[-1:] if waiting else []
