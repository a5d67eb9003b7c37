"""Storage of billing: contracts, gapless invoice numbers, issued documents, week items and the ledger.

Everything runs in the caller's transaction: an invoice, its number, its week items, its ledger debit and
its e-mail are committed together or not at all, which is what keeps the numbering without gaps.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from billing.ledger import Allocation
from billing.models import (
    CREDIT_NOTE,
    PAYMENT,
    TOPUP,
    BillingContract,
    Invoice,
    InvoiceCounter,
    LedgerEntry,
    WeekItem,
)
from billing.money import cents, from_cents
from billing.rules import WeekState
from campaigns.errors import ClientNotFound
from campaigns.models import Client
from config.i18n import _


class ContractNotFound(LookupError):
    """A client without a billing contract."""

    def __init__(self, client: str) -> None:
        super().__init__(_("Client {client} has no billing contract: load one with `rdv billing contract`")
                         .format(client=client))


class InvoiceNotFound(LookupError):
    """An invoice number that was never issued."""

    def __init__(self, number: str) -> None:
        super().__init__(_("No invoice numbered {number}").format(number=number))


def get_contract(session: Session, client_name: str, lock: bool = False) -> tuple[Client, BillingContract]:
    """A client and its contract; `lock` holds the contract row so that two runs for a client queue up."""
    client = session.scalar(select(Client).where(Client.name == client_name))
    if client is None:
        raise ClientNotFound(client_name)
    query = select(BillingContract).where(BillingContract.client_id == client.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    contract = session.scalar(query)
    if contract is None:
        raise ContractNotFound(client_name)
    return client, contract


def contracts(session: Session) -> list[tuple[Client, BillingContract]]:
    query = select(Client, BillingContract).join(BillingContract, BillingContract.client_id == Client.id)
    return [(client, contract) for client, contract in session.execute(query.order_by(Client.name))]


def next_number(session: Session, series: str, year: int) -> int:
    """The next number of a series and year, taken inside the caller's transaction (rolled back with it).

    The counter row is created if missing, then incremented by one UPDATE that locks it until commit:
    a concurrent issuer waits, then gets the following number, so numbers have neither gaps nor twins.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(InvoiceCounter).values(series=series, year=year, last=0).on_conflict_do_nothing())
    bumped = session.execute(
        update(InvoiceCounter).where(InvoiceCounter.series == series, InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + 1).returning(InvoiceCounter.last)
    ).scalar_one()
    return int(bumped)


def format_number(series: str, year: int, seq: int) -> str:
    return f"{series}-{year}-{seq:05d}"


def add_invoice(session: Session, invoice: Invoice) -> Invoice:
    session.add(invoice)
    session.flush()
    return invoice


def get_invoice(session: Session, number: str) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.number == number.strip()))
    if invoice is None:
        raise InvoiceNotFound(number)
    return invoice


def list_invoices(session: Session, contract_id: int | None = None) -> list[Invoice]:
    query = select(Invoice).order_by(Invoice.issued_at, Invoice.id)
    if contract_id is not None:
        query = query.where(Invoice.contract_id == contract_id)
    return list(session.scalars(query))


def credit_notes_of(session: Session, invoice_id: int) -> list[Invoice]:
    query = select(Invoice).where(Invoice.corrects_id == invoice_id, Invoice.kind == CREDIT_NOTE)
    return list(session.scalars(query))


def week_states(session: Session, contract_id: int, weeks: list[str]) -> dict[str, WeekState]:
    """What is billed so far for each week: RDVs whose items sum to one, and the top-up units."""
    billed: dict[str, list[int]] = defaultdict(list)
    top_up: dict[str, int] = defaultdict(int)
    units = func.sum(WeekItem.units)
    query = (select(WeekItem.week, WeekItem.appointment_id, units)
             .where(WeekItem.contract_id == contract_id, WeekItem.week.in_(weeks))
             .group_by(WeekItem.week, WeekItem.appointment_id).having(units != 0))
    for week, appointment_id, total in session.execute(query):
        if appointment_id is None:
            top_up[week] = int(total)
        elif total > 0:
            billed[week].append(appointment_id)
    return {week: WeekState(frozenset(billed[week]), top_up[week]) for week in weeks}


def weeks_billed(session: Session, contract_id: int, since: str) -> list[str]:
    """Weeks of a contract that have been billed, from `since` on (their results may still move)."""
    query = select(WeekItem.week).where(WeekItem.contract_id == contract_id, WeekItem.week >= since).distinct()
    return sorted(session.scalars(query))


def add_items(session: Session, contract_id: int, week: str, items: list[tuple[int | None, int]],
              invoice_id: int | None, now: datetime) -> None:
    rows = [{"contract_id": contract_id, "week": week, "appointment_id": appointment_id, "units": units,
             "invoice_id": invoice_id, "at": now} for appointment_id, units in items if units]
    if rows:  # one executemany: a first run names thousands of RDVs
        session.execute(insert(WeekItem), rows)


def items_of(session: Session, invoice_id: int) -> list[WeekItem]:
    return list(session.scalars(select(WeekItem).where(WeekItem.invoice_id == invoice_id).order_by(WeekItem.id)))


def balance(session: Session, contract_id: int) -> Decimal:
    """The prepaid account's balance: the last entry's balance after it (zero before any)."""
    last = session.scalar(select(LedgerEntry.balance_after_cents).where(LedgerEntry.contract_id == contract_id)
                          .order_by(LedgerEntry.id.desc()).limit(1))
    return from_cents(last or 0)


def record(session: Session, contract_id: int, kind: str, amount: Decimal, now: datetime, *, reference: str = "",
           invoice_id: int | None = None, moves_balance: bool = True) -> LedgerEntry:
    """One ledger entry; payments of an invoice's due amount leave the prepaid balance as it is."""
    before = balance(session, contract_id)
    after = before + amount if moves_balance else before
    entry = LedgerEntry(contract_id=contract_id, kind=kind, amount_cents=cents(amount), reference=reference,
                        invoice_id=invoice_id, at=now, balance_after_cents=cents(after))
    session.add(entry)
    session.flush()
    return entry


def open_dues(session: Session, contract_id: int) -> list[tuple[int, Decimal]]:
    """Invoices with an amount still due after their payments, oldest first."""
    paid = dict(session.execute(
        select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.contract_id == contract_id, LedgerEntry.kind == PAYMENT).group_by(LedgerEntry.invoice_id)
    ).all())
    query = select(Invoice.id, Invoice.due_cents).where(Invoice.contract_id == contract_id, Invoice.due_cents > 0)
    dues = [(invoice_id, from_cents(due - int(paid.get(invoice_id) or 0)))
            for invoice_id, due in session.execute(query.order_by(Invoice.id))]
    return [(invoice_id, due) for invoice_id, due in dues if due > 0]


def apply_transfer(session: Session, contract_id: int, allocation: Allocation, reference: str, now: datetime
                   ) -> None:
    for invoice_id, amount in allocation.to_invoices:
        record(session, contract_id, PAYMENT, amount, now, reference=reference, invoice_id=invoice_id,
               moves_balance=False)
    if allocation.to_account:
        record(session, contract_id, TOPUP, allocation.to_account, now, reference=reference)


def paid_on(session: Session, invoice_id: int) -> date | None:
    """The day an invoice's due amount was fully paid (None while some remains due)."""
    invoice = session.get_one(Invoice, invoice_id)
    if invoice.due_cents <= 0:
        return invoice.issue_date
    total = 0
    for at, amount in session.execute(select(LedgerEntry.at, LedgerEntry.amount_cents).where(
            LedgerEntry.invoice_id == invoice_id, LedgerEntry.kind == PAYMENT).order_by(LedgerEntry.id)):
        total += amount
        if total >= invoice.due_cents:
            return at.date()
    return None


def ledger_entries(session: Session, contract_id: int) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.contract_id == contract_id).order_by(LedgerEntry.id)
    return list(session.scalars(query))
