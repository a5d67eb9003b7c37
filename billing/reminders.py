"""Payment reminders: each invoice still due after its due date is reminded at the contract's delays,
with what the delay now costs (the contract's daily penalty and the 40 € indemnity)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import store
from billing.delivery import message_to, recipients
from billing.late import lateness, reminders_due
from billing.models import BillingContract, Invoice, Reminder
from billing.services import terms_of
from campaigns.models import Client
from config.i18n import _, fmt_date, fmt_money
from reports.outbox import store_message

REMINDER_KIND = "payment_reminder"


def send_reminders(session: Session, now: datetime, mail_from: str) -> int:
    """Store the reminders due today (one per invoice at most); returns how many were queued."""
    queued = 0
    for client, row in store.contracts(session):
        terms = terms_of(row)
        today = now.astimezone(ZoneInfo(terms.timezone)).date()
        for invoice_id, due in store.open_dues(session, row.id):
            invoice = session.get_one(Invoice, invoice_id)
            sent = session.scalars(select(Reminder.level).where(Reminder.invoice_id == invoice_id))
            for level in reminders_due(invoice.due_date, today, terms.plan.reminder_days, sent):
                rate = terms.plan.penalty_rate_per_day
                late = lateness(due, invoice.due_date, today, rate or Decimal(0), terms.buyer.is_business)
                _queue(session, client, row, invoice, due, late.days, late.penalty if rate else None,
                       late.indemnity, mail_from, now)
                session.add(Reminder(invoice_id=invoice_id, level=level, sent_at=now))
                queued += 1
    session.flush()
    return queued


def _queue(session: Session, client: Client, row: BillingContract, invoice: Invoice, due: Decimal, days: int,
           penalty: Decimal | None, indemnity: Decimal, mail_from: str, now: datetime) -> None:
    currency = invoice.currency
    lines = [_("Hello,"), _("Unless we are mistaken, our invoice {number} of {date} remains unpaid: {amount} was "
                            "due on {due_date}.").format(number=invoice.number,
                                                         date=fmt_date(invoice.issue_date, "long"),
                                                         amount=fmt_money(due, currency),
                                                         due_date=fmt_date(invoice.due_date, "long"))]
    if penalty is not None:
        lines.append(_("After {days} days of delay, the penalties provided by the contract come to {penalty}.")
                     .format(days=days, penalty=fmt_money(penalty, currency)))
    else:
        lines.append(_("Late payment penalties run at the European Central Bank's rate plus 10 points."))
    if indemnity:
        lines.append(_("The fixed indemnity for recovery costs of {amount} is also due.").format(
            amount=fmt_money(indemnity, "EUR")))
    lines += [_("If your payment has crossed this message, please disregard it."), _("Kind regards,"),
              str(row.seller.get("name", ""))]
    message = message_to(mail_from, recipients(client, row) + list(row.alert_emails),
                       _("Payment reminder – invoice {number}").format(number=invoice.number),
                       "\n\n".join(lines) + "\n", now)
    store_message(session, message, kind=REMINDER_KIND, now=now)
