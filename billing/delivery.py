"""E-mails of billing through the outbox: each new invoice with its PDF, and the low-balance alert."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.models import BillingContract, Invoice, InvoiceMail
from billing.pdf import invoice_pdf
from campaigns.models import Client
from config.i18n import _, fmt_date, fmt_money
from reports.outbox import store_message

INVOICE_KIND = "invoice"
ALERT_KIND = "low_balance"


def message_to(mail_from: str, to: list[str], subject: str, body: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("rdv", domain=mail_from.rpartition("@")[2].strip("> ") or "localhost")
    message.set_content(body)
    return message


def recipients(client: Client, contract: BillingContract) -> list[str]:
    buyer_email = contract.buyer.get("email", "")
    return [buyer_email] if buyer_email else list(client.emails)


def unmailed(session: Session) -> list[int]:
    """Issued invoices whose e-mail has not been stored yet, oldest first."""
    query = select(Invoice.id).outerjoin(InvoiceMail, InvoiceMail.invoice_id == Invoice.id).where(
        InvoiceMail.invoice_id.is_(None)).order_by(Invoice.id)
    return list(session.scalars(query))


def queue_invoice_mail(session: Session, invoice_id: int, mail_from: str, now: datetime) -> int | None:
    """Render the PDF and store the invoice's e-mail; once per invoice (None if it went already)."""
    if session.get(InvoiceMail, invoice_id) is not None:
        return None
    invoice = session.get_one(Invoice, invoice_id)
    contract = session.get_one(BillingContract, invoice.contract_id)
    client = session.get_one(Client, contract.client_id)
    doc = invoice.document
    title = _("Invoice") if invoice.kind == "invoice" else _("Credit note")
    total = fmt_money(Decimal(doc["grand_total"]), doc["currency"])
    lines = [_("Hello,"), _("Please find attached our {title} {number} of {date}, for {total}.").format(
        title=title.lower(), number=invoice.number, date=fmt_date(invoice.issue_date, "long"), total=total)]
    if doc.get("balance_after") is not None:
        lines.append(_("Your prepaid package now stands at {balance}.").format(
            balance=fmt_money(Decimal(doc["balance_after"]), doc["currency"])))
    if invoice.due_cents > 0:
        lines.append(_("Amount to pay by {date}: {amount}.").format(
            date=fmt_date(invoice.due_date, "long"), amount=fmt_money(Decimal(doc["due"]), doc["currency"])))
    lines += [_("We remain at your disposal for any question."), _("Kind regards,"), doc["seller"]["name"]]
    message = message_to(mail_from, recipients(client, contract),
                       _("{title} {number} – {seller}").format(title=title, number=invoice.number,
                                                               seller=doc["seller"]["name"]),
                       "\n\n".join(lines) + "\n", now)
    message.add_attachment(invoice_pdf(doc), maintype="application", subtype="pdf",
                           filename=f"{invoice.number}.pdf")
    row = store_message(session, message, kind=INVOICE_KIND, now=now)
    session.add(InvoiceMail(invoice_id=invoice.id, outbox_id=row.id, at=now))
    session.flush()
    return row.id


def queue_low_balance_alert(session: Session, contract: BillingContract, before: Decimal, after: Decimal,
                            mail_from: str, now: datetime) -> int:
    """Tell the client and the supervisor that the prepaid package has fallen under its threshold."""
    client = session.get_one(Client, contract.client_id)
    currency = str(contract.plan.get("currency", "EUR"))
    threshold = Decimal(str(contract.plan.get("low_balance_threshold", 0)))
    body = "\n\n".join([
        _("Hello,"),
        _("The prepaid package of {client} has fallen from {before} to {after}, under the alert threshold of "
          "{threshold}.").format(client=contract.buyer.get("name", client.name), before=fmt_money(before, currency),
                                 after=fmt_money(after, currency), threshold=fmt_money(threshold, currency)),
        _("To keep the appointments coming without interruption, please top it up by bank transfer."),
        _("Kind regards,"), contract.seller.get("name", ""),
    ]) + "\n"
    to = recipients(client, contract) + list(contract.alert_emails)
    message = message_to(mail_from, to, _("Prepaid package running low – {client}").format(client=client.name),
                       body, now)
    return store_message(session, message, kind=ALERT_KIND, now=now).id
