"""The frozen content of an invoice or credit note: parties, lines, taxes, totals and mentions, as plain data.

Built once when the document is issued, worded in the interface language of that moment, and stored with
it: the PDF and the Factur-X XML are made from this alone, so they say the same thing years later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billing.ledger import Settlement
from billing.parties import Party
from billing.plans import Plan
from billing.rules import Line, Week
from billing.tax import Regime, breakdown
from config.i18n import _, current_lang, fmt_date, fmt_money, fmt_percent

INVOICE_CODE = "380"
CREDIT_NOTE_CODE = "381"


@dataclass(frozen=True)
class Draft:
    """What an invoice will say, before it has a number."""

    kind: str  # billing.models.INVOICE or CREDIT_NOTE
    week: Week | None
    lines: tuple[dict[str, Any], ...]
    corrects: tuple[str, str] | None = None  # number and issue date of the invoice a credit note corrects
    reason: str = ""
    manual: bool = False  # a credit note asked for by a person, cancelling the whole invoice
    period_label: str = ""  # for plans billed by period rather than by production week
    period: tuple[date, date] | None = None

    @property
    def label(self) -> str:
        return str(self.week) if self.week else self.period_label

    @property
    def dates(self) -> tuple[date, date] | None:
        return (self.week.monday(), self.week.sunday()) if self.week else self.period

    @property
    def net(self) -> Decimal:
        return sum((Decimal(line["net"]) for line in self.lines), Decimal(0))


def rdv_refs(ids: tuple[int, ...]) -> str:
    return ", ".join(f"RDV-{i:06d}" for i in ids)


def line_text(line: Line, supplied: int, minimum: int) -> tuple[str, str]:
    """The name and description of a weekly line, as the client reads them."""
    period = _("week {week}, {start} to {end}").format(week=line.week, start=fmt_date(line.week.monday(), "long"),
                                                      end=fmt_date(line.week.sunday(), "long"))
    if line.key == "billable":
        return _("Billable appointments, {period}").format(period=period), rdv_refs(line.appointment_ids)
    if line.key == "credited":
        return (_("Appointments no longer billable (cancellation established by quality control), {period}")
                .format(period=period), rdv_refs(line.appointment_ids))
    return (_("Top-up to the weekly minimum, {period}").format(period=period),
            _("Minimum: {minimum} of the {supplied} appointments supplied").format(minimum=minimum,
                                                                                  supplied=supplied))


def draft_line(name: str, description: str, quantity: Decimal | int, unit_price: Decimal, net: Decimal
               ) -> dict[str, Any]:
    return {"name": name, "description": description, "quantity": str(quantity), "unit_price": str(unit_price),
            "net": str(net)}


def _money(amount: Decimal, currency: str) -> str:
    return fmt_money(amount, currency)


def mentions(plan: Plan, seller: Party, buyer: Party, chosen: Regime, due_date: date, kind: str = "invoice"
             ) -> list[str]:
    """The legal mentions of a business invoice: regime, payment terms, penalties, indemnity, no discount.

    A credit note asks for no payment: it keeps the tax mentions only."""
    lines = [_(text) for text in chosen.mentions]
    # French law's mentions (the e-invoicing reform's category, the 40 € indemnity, the discount terms)
    # apply when either party is French; a Québec provider billing a Québec client shows its own terms only.
    french = "FR" in (seller.country, buyer.country)
    if french:
        lines.append(_("Category of operation: provision of services."))
    if seller.country == "FR" and seller.vat_on_debits:
        lines.append(_("VAT paid on debits (option)."))
    if kind != "invoice":
        return lines
    lines.append(_("Payment due by {date}.").format(date=fmt_date(due_date, "long")))
    if plan.penalty_rate_per_day is not None:
        rate = fmt_percent(plan.penalty_rate_per_day, 1)
        lines.append(_("Late payment penalties: {rate} of the amount due per day of delay.").format(rate=rate))
    else:
        lines.append(_("Late payment penalties: the European Central Bank's rate plus 10 points."))
    if buyer.is_business and french:
        lines.append(_("Fixed indemnity for recovery costs in case of late payment: {amount} (articles L. 441-10 "
                       "and D. 441-5 of the French commercial code).").format(amount=_money(Decimal(40), "EUR")))
    if french:
        lines.append(_("No discount for early payment."))
    return lines


def build(draft: Draft, *, number: str, issue_date: date, due_date: date, plan: Plan, seller: Party, buyer: Party,
          chosen: Regime, settlement: Settlement | None) -> dict[str, Any]:
    """The document as stored: every amount a string of a Decimal, every text already worded."""
    net = draft.net
    taxes = breakdown([net], chosen)
    tax_total = sum((t.amount for t in taxes), Decimal(0))
    grand = net + tax_total
    lines = [{**line, "id": index, "category": chosen.taxes[0].category, "rate": str(chosen.taxes[0].rate)}
             for index, line in enumerate(draft.lines, start=1)]
    document: dict[str, Any] = {
        "number": number, "kind": draft.kind, "lang": current_lang(),
        "type_code": INVOICE_CODE if draft.kind == "invoice" else CREDIT_NOTE_CODE,
        "issue_date": issue_date.isoformat(), "due_date": due_date.isoformat(), "currency": plan.currency,
        "week": draft.label,
        "period": [d.isoformat() for d in draft.dates] if draft.dates else None,
        "seller": seller.as_json(), "buyer": buyer.as_json(), "regime": chosen.name, "factur_x": chosen.factur_x,
        "lines": lines,
        "taxes": [{"scheme": t.tax.scheme, "label": _(t.tax.label), "category": t.tax.category,
                   "rate": str(t.tax.rate), "basis": str(t.basis), "amount": str(t.amount),
                   "exemption_code": t.tax.exemption_code,
                   "exemption_reason": _(t.tax.exemption_reason) if t.tax.exemption_reason else ""}
                  for t in taxes],
        "net_total": str(net), "tax_total": str(tax_total), "grand_total": str(grand),
        "prepaid": "0.00", "due": str(grand), "balance_before": None, "balance_after": None,
        "mentions": mentions(plan, seller, buyer, chosen, due_date, draft.kind),
        "corrects": {"number": draft.corrects[0], "issue_date": draft.corrects[1]} if draft.corrects else None,
        "reason": draft.reason, "manual": draft.manual,
    }
    if settlement is not None:
        document.update(prepaid=str(abs(settlement.paid_from_account)), due=str(settlement.due),
                        balance_before=str(settlement.balance_before), balance_after=str(settlement.balance_after))
    return document
