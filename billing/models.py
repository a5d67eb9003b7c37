"""Tables of billing: contracts, invoice numbering, invoices (never changed once issued), week items, ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.appointments import Appointment
from config.i18n import _
from config.orm import Base

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class InvoiceImmutable(ValueError):
    """An attempt to change or delete an issued invoice: corrections are credit notes."""

    def __init__(self, number: str) -> None:
        super().__init__(_("Invoice {number} is issued and cannot be changed or deleted: issue a credit note")
                         .format(number=number))


class BillingContract(Base):
    """A client's billing terms: the parties, the plan, the tax regime and the alerts, as loaded from its file."""

    __tablename__ = "billing_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    regime: Mapped[str] = mapped_column(String(40))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSON)
    alert_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    series: Mapped[str] = mapped_column(String(10), default="F")
    credit_series: Mapped[str] = mapped_column(String(10), default="AV")
    updated_at: Mapped[datetime] = mapped_column(default=_utcnow)


class InvoiceCounter(Base):
    """The last number given in a series and year: incremented in the transaction that issues the invoice."""

    __tablename__ = "invoice_counters"

    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    """An issued invoice or credit note: its number, amounts in cents, and a frozen copy of what it says."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("series", "year", "seq", name="uq_invoices_series_year_seq"),
        Index("ix_invoices_contract_issued", "contract_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    contract_id: Mapped[int] = mapped_column(ForeignKey("billing_contracts.id"))
    # The production week (2026-W49), or the period of a plan billed by period (2026-12-01/2026-12-31).
    week: Mapped[str] = mapped_column(String(30), default="")
    issued_at: Mapped[datetime] = mapped_column()
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    net_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    prepaid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    due_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_before_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    balance_after_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    # Everything printed: parties, lines, taxes, mentions; the PDF and Factur-X XML are made from it alone.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


@event.listens_for(Invoice, "before_update")
@event.listens_for(Invoice, "before_delete")
def _refuse_change(_mapper: object, _connection: object, target: Invoice) -> None:
    raise InvoiceImmutable(target.number)


class WeekItem(Base):
    """One move of a week's billing: an RDV billed (+1) or credited (-1), or top-up units; summed per week."""

    __tablename__ = "billing_week_items"
    __table_args__ = (Index("ix_billing_week_items_contract_week", "contract_id", "week"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("billing_contracts.id"))
    week: Mapped[str] = mapped_column(String(10))
    appointment_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=None)
    units: Mapped[int] = mapped_column(Integer)
    # None when the move changed no money (a late RDV absorbed by the top-up already invoiced).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    at: Mapped[datetime] = mapped_column()


TOPUP = "topup"
DEBIT = "invoice"
CREDIT = "credit_note"
PAYMENT = "payment"


class LedgerEntry(Base):
    """A move of the client's account: a transfer received, an invoice debited, a credit note, a payment."""

    __tablename__ = "billing_ledger"
    __table_args__ = (Index("ix_billing_ledger_contract_id", "contract_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("billing_contracts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(200), default="")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    at: Mapped[datetime] = mapped_column()
    balance_after_cents: Mapped[int] = mapped_column(BigInteger)


class Reminder(Base):
    """A payment reminder sent for an invoice, at one of the contract's delays."""

    __tablename__ = "billing_reminders"
    __table_args__ = (UniqueConstraint("invoice_id", "level", name="uq_billing_reminders_invoice_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    level: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column()


class InvoiceMail(Base):
    """The outbox message that carried an invoice's PDF to the client (made after the invoice is committed)."""

    __tablename__ = "billing_invoice_mails"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()


# Billing reads a client's RDVs by campaign and week taken; this index is billing's own, on the RDV table
# (whose other index leads with the state). With the state and verdict fields it answers from the index.
Index("ix_appointments_billing", Appointment.campaign_id, Appointment.taken_at, Appointment.state,
      Appointment.conform)
