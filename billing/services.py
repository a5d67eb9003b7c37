"""Billing services: load a contract, bill a week (idempotent), credit an invoice, record a transfer.

Each function works in the caller's transaction; the invoice, its number, its week items and its ledger
entries are committed together. PDFs are made afterwards (`billing.delivery`), from the stored document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import store
from billing.contract import Contract, parse_contract
from billing.document import Draft, build, draft_line, line_text
from billing.ledger import Settlement, allocate, crosses_threshold, settle
from billing.models import CREDIT, CREDIT_NOTE, DEBIT, INVOICE, PAYMENT, BillingContract, Invoice
from billing.money import cents
from billing.parties import Party
from billing.plans import PerAppointment, plan_from_mapping
from billing.rules import Facts, Week, change_lines, week_change
from billing.tax import breakdown, regime
from campaigns.appointments import Appointment
from campaigns.models import Campaign, Client
from config.i18n import _, fmt_date

# Results of a week keep moving for months (visits, quality control, disputes): weeks billed in this many
# weeks before the one being billed are looked at again by each run.
LOOKBACK_WEEKS = 26


class WeekNotOver(ValueError):
    """A week billed before its last day has ended in the contract's time zone."""

    def __init__(self, week: Week) -> None:
        super().__init__(_("Week {week} is not over yet: it can be billed from {day}").format(
            week=week, day=fmt_date(week.sunday() + timedelta(days=1), "long")))


class NotWeeklyPlan(ValueError):
    """A weekly run asked for a contract that is not priced per appointment."""

    def __init__(self, client: str, kind: str) -> None:
        super().__init__(_("Client {client} is billed {kind}, not per appointment each week").format(
            client=client, kind=kind))


class InvalidAmount(ValueError):
    """A transfer amount that is not a positive number of euros and cents."""

    def __init__(self, text: str) -> None:
        super().__init__(_("Invalid amount {text}: write a positive amount such as 1500 or 1500,00").format(
            text=text))


class AlreadyCredited(ValueError):
    """A credit note asked for an invoice that one already cancels, or for a credit note."""

    def __init__(self, number: str) -> None:
        super().__init__(_("Invoice {number} cannot be credited: it is a credit note or is already credited")
                         .format(number=number))


def _buyer_defaults(client: Client) -> dict[str, str]:
    return {"name": client.legal_name or client.name, "siren": client.siren,
            "email": client.emails[0] if client.emails else ""}


def save_contract(session: Session, client: Client, raw: dict[str, Any], now: datetime) -> BillingContract:
    """Create or replace a client's contract from a contract file's mapping (checked first)."""
    terms = parse_contract(raw, _buyer_defaults(client))
    row = session.scalar(select(BillingContract).where(BillingContract.client_id == client.id))
    if row is None:
        row = BillingContract(client_id=client.id)
        session.add(row)
    row.timezone, row.regime, row.plan = terms.timezone, terms.regime.name, dict(raw.get("plan", {}))
    row.seller, row.buyer = terms.seller.as_json(), terms.buyer.as_json()
    row.alert_emails = list(terms.alert_emails)
    row.series, row.credit_series, row.updated_at = terms.series, terms.credit_series, now
    session.flush()
    return row


def terms_of(row: BillingContract) -> Contract:
    return Contract(Party.from_json(row.seller), Party.from_json(row.buyer), plan_from_mapping(row.plan),
                    regime(row.regime), row.timezone, tuple(row.alert_emails), row.series, row.credit_series)


def facts_by_week(session: Session, client_id: int, weeks: list[Week], zone: str) -> dict[Week, list[Facts]]:
    """The RDVs a client was supplied in each week (taken in it, in the contract's zone).

    One query per week on the client's campaigns: the database does the date comparisons, so no
    timestamp is carried back and parsed for each of the (many) RDVs.
    """
    campaign_ids = list(session.scalars(select(Campaign.id).where(Campaign.client_id == client_id)))
    found: dict[Week, list[Facts]] = {}
    for week in weeks:
        start, end = week.bounds(zone)
        query = select(Appointment.id, Appointment.state, Appointment.conform).where(
            Appointment.campaign_id.in_(campaign_ids), Appointment.taken_at >= start, Appointment.taken_at < end)
        found[week] = [Facts(*row) for row in session.execute(query)]
    return found


@dataclass
class RunReport:
    """What one billing run did for one client."""

    client: str
    issued: list[Invoice] = field(default_factory=list)
    weeks_looked_at: int = 0
    moved_without_money: int = 0
    alerts: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # balance before, after


def run_week(session: Session, client_name: str, week: Week, now: datetime) -> RunReport:
    """Bill `week` for a client and re-bill, by difference, the earlier weeks whose results have moved."""
    client, row = store.get_contract(session, client_name, lock=True)
    terms = terms_of(row)
    plan = terms.plan.pricing
    if not isinstance(plan, PerAppointment):
        raise NotWeeklyPlan(client.name, plan.kind)
    if now < week.bounds(terms.timezone)[1]:
        raise WeekNotOver(week)
    since = Week.of(week.monday() - timedelta(weeks=LOOKBACK_WEEKS))
    weeks = sorted({*store.weeks_billed(session, row.id, str(since)), str(week)})
    weeks = [w for w in weeks if w <= str(week)]
    states = store.week_states(session, row.id, weeks)
    facts = facts_by_week(session, client.id, [Week.parse(name) for name in weeks], terms.timezone)
    report = RunReport(client.name, weeks_looked_at=len(weeks))
    for name in weeks:
        current = Week.parse(name)
        change = week_change(current, facts[current], states[name], plan)
        if change.empty:
            continue
        items: list[tuple[int | None, int]] = [(i, 1) for i in change.added]
        items += [(i, -1) for i in change.removed] + [(None, change.top_up_delta)]
        if change.units == 0:
            store.add_items(session, row.id, name, items, None, now)
            report.moved_without_money += 1
            continue
        sign = 1 if change.units > 0 else -1
        lines = []
        for line in change_lines(change, plan):
            text, description = line_text(line, change.supplied, change.minimum)
            lines.append(draft_line(text, description, line.quantity * sign, line.unit_price, line.amount * sign))
        corrects = None if sign > 0 else _first_invoice_of(session, row.id, name)
        draft = Draft(INVOICE if sign > 0 else CREDIT_NOTE, current, tuple(lines), corrects,
                      _("Results of the week updated by quality control") if sign < 0 else "")
        invoice = issue(session, row, terms, draft, now, report)
        store.add_items(session, row.id, name, items, invoice.id, now)
        report.issued.append(invoice)
    return report


def _first_invoice_of(session: Session, contract_id: int, week: str) -> tuple[str, str] | None:
    first = session.scalar(select(Invoice).where(Invoice.contract_id == contract_id, Invoice.week == week,
                                                 Invoice.kind == INVOICE).order_by(Invoice.id).limit(1))
    return (first.number, first.issue_date.isoformat()) if first else None


def issue(session: Session, row: BillingContract, terms: Contract, draft: Draft, now: datetime,
          report: RunReport | None = None) -> Invoice:
    """Number and store an invoice or credit note, and move the prepaid account with it."""
    issue_date = now.astimezone(ZoneInfo(terms.timezone)).date()
    series = terms.series if draft.kind == INVOICE else terms.credit_series
    seq = store.next_number(session, series, issue_date.year)
    number = store.format_number(series, issue_date.year, seq)
    grand = draft.net + sum((t.amount for t in breakdown([draft.net], terms.regime)), Decimal(0))
    due_date = issue_date + timedelta(days=terms.plan.payment_days)
    corrected = store.get_invoice(session, draft.corrects[0]) if draft.corrects else None
    # A credit note first cancels what its invoice still has due; only the rest goes back to the package.
    cancels = Decimal(0)
    if corrected is not None and draft.kind == CREDIT_NOTE:
        cancels = min(grand, dict(store.open_dues(session, row.id)).get(corrected.id, Decimal(0)))
    settlement: Settlement | None = None
    if terms.plan.prepaid:
        signed = grand if draft.kind == INVOICE else -(grand - cancels)
        settlement = settle(store.balance(session, row.id), signed, terms.plan.overdraft_limit)
    document = build(draft, number=number, issue_date=issue_date, due_date=due_date, plan=terms.plan,
                     seller=terms.seller, buyer=terms.buyer, chosen=terms.regime, settlement=settlement)
    document["cancels_due"] = str(cancels)
    corrects_id = corrected.id if corrected is not None else None
    due = Decimal(document["due"]) if draft.kind == INVOICE else Decimal(0)
    invoice = store.add_invoice(session, Invoice(
        number=number, kind=draft.kind, series=series, year=issue_date.year, seq=seq, contract_id=row.id,
        week=draft.label, issued_at=now, issue_date=issue_date, due_date=due_date,
        currency=terms.plan.currency, net_cents=cents(draft.net), tax_cents=cents(grand - draft.net),
        total_cents=cents(grand), prepaid_cents=cents(Decimal(document["prepaid"])), due_cents=cents(due),
        balance_before_cents=cents(settlement.balance_before) if settlement else None,
        balance_after_cents=cents(settlement.balance_after) if settlement else None,
        corrects_id=corrects_id, reason=draft.reason, document=document,
    ))
    if cancels:
        store.record(session, row.id, PAYMENT, cancels, now, reference=number, invoice_id=corrected.id if corrected
                     else None, moves_balance=False)
    if settlement is not None and settlement.paid_from_account:
        kind = DEBIT if draft.kind == INVOICE else CREDIT
        store.record(session, row.id, kind, -settlement.paid_from_account, now, reference=number,
                     invoice_id=invoice.id)
        if report is not None and crosses_threshold(settlement.balance_before, settlement.balance_after,
                                                    terms.plan.low_balance_threshold):
            report.alerts.append((settlement.balance_before, settlement.balance_after))
    return invoice


def credit_invoice(session: Session, number: str, reason: str, now: datetime) -> Invoice:
    """A credit note cancelling an invoice in full; its RDVs are unbilled, so the next run bills them afresh."""
    if not reason.strip():
        raise ValueError(_("A credit note needs its reason (--reason)"))
    original = store.get_invoice(session, number)
    if original.kind != INVOICE or any(n.document.get("manual") for n in store.credit_notes_of(session, original.id)):
        raise AlreadyCredited(original.number)
    row = session.get_one(BillingContract, original.contract_id)
    session.refresh(row, with_for_update=True)
    terms = terms_of(row)
    lines = tuple({k: line[k] for k in ("name", "description", "quantity", "unit_price", "net")}
                  for line in original.document["lines"])
    weekly = "-W" in original.week
    period = original.document.get("period")
    draft = Draft(CREDIT_NOTE, Week.parse(original.week) if weekly else None, lines,
                  (original.number, original.issue_date.isoformat()), reason.strip(), manual=True,
                  period_label="" if weekly else original.week,
                  period=(date.fromisoformat(period[0]), date.fromisoformat(period[1])) if period and not weekly
                  else None)
    note = issue(session, row, terms, draft, now)
    if weekly:  # the week's RDVs are unbilled: the next run bills the week afresh
        reversed_items = [(item.appointment_id, -item.units) for item in store.items_of(session, original.id)]
        store.add_items(session, row.id, original.week, reversed_items, note.id, now)
    return note


def parse_amount(text: str) -> Decimal:
    """A transfer amount typed by a person: `1500`, `1 500,00`, `1500.00`."""
    from decimal import InvalidOperation

    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidAmount(text) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount(text)
    return amount


def record_transfer(session: Session, client_name: str, amount: Decimal, reference: str, now: datetime
                    ) -> tuple[Decimal, Decimal]:
    """A bank transfer received: it settles open invoices first, the rest goes to the prepaid account."""
    if not reference.strip():
        raise ValueError(_("A transfer needs its bank reference (--ref)"))
    _client, row = store.get_contract(session, client_name, lock=True)
    before = store.balance(session, row.id)
    allocation = allocate(amount, store.open_dues(session, row.id))
    store.apply_transfer(session, row.id, allocation, reference.strip(), now)
    return before, store.balance(session, row.id)


def open_due_total(session: Session, contract_id: int) -> Decimal:
    return sum((due for _id, due in store.open_dues(session, contract_id)), Decimal(0))

