"""`rdv invoice …`: list, show and print invoices, and issue a credit note against one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from billing import store
from billing.pdf import invoice_pdf
from billing.runs import mail_issued
from billing.services import credit_invoice
from config.i18n import _, fmt_date, fmt_money
from rdv.cli.common import console, wired
from reports.mailer import deliver_pending

app = typer.Typer(no_args_is_help=True, help="Invoices and credit notes: list, show, PDF, credit.")
# Named `invoice`, not `number`: the argument's label in the usage line is its name, and NUMBER reads NOMBRE.
INVOICE = typer.Argument(..., help="Invoice or credit note number (`rdv invoice list` shows them).")


def _kind(kind: str) -> str:
    return _("invoice") if kind == "invoice" else _("credit note")


@app.command("list")
def list_(client: str | None = typer.Option(None, "--client", help="Only this client's invoices.")) -> None:
    """Every invoice and credit note, in the order issued."""
    with wired() as application, application.sessions() as session:
        contract_id = store.get_contract(session, client)[1].id if client else None
        table = Table(_("Number"), _("Kind"), _("Date"), _("Week"), _("Total"), _("Due"))
        for invoice in store.list_invoices(session, contract_id):
            table.add_row(invoice.number, _kind(invoice.kind), fmt_date(invoice.issue_date, "medium"), invoice.week,
                          fmt_money(store.from_cents(invoice.total_cents), invoice.currency),
                          fmt_money(store.from_cents(invoice.due_cents), invoice.currency))
        console.print(table)


@app.command("show")
def show(invoice: str = INVOICE) -> None:
    """One invoice: parties, lines, taxes, totals and mentions."""
    with wired() as application, application.sessions() as session:
        doc = store.get_invoice(session, invoice).document
    currency = doc["currency"]
    console.print(f"[bold]{_kind(doc['kind'])} {doc['number']}[/bold] – {doc['issue_date']}")
    console.print(f"{doc['seller']['name']} → {doc['buyer']['name']}")
    table = Table(_("Description"), _("Quantity"), _("Unit price excl. tax"), _("Amount excl. tax"))
    for line in doc["lines"]:
        table.add_row(line["name"], line["quantity"], fmt_money(Decimal(line["unit_price"]), currency),
                      fmt_money(Decimal(line["net"]), currency))
    console.print(table)
    for label, key in ((_("Total excl. tax"), "net_total"), (_("Tax"), "tax_total"),
                       (_("Total incl. tax"), "grand_total"), (_("Amount due"), "due")):
        console.print(f"{label} : {fmt_money(Decimal(doc[key]), currency)}")
    for mention in doc["mentions"]:
        console.print(mention, style="dim")


@app.command("pdf")
def pdf(invoice: str = INVOICE, out: Path = typer.Option(..., "--out", help="Where to write the PDF.")) -> None:
    """Write the invoice's PDF/A-3 with its embedded Factur-X XML."""
    with wired() as application, application.sessions() as session:
        doc = store.get_invoice(session, invoice).document
    out.write_bytes(invoice_pdf(doc))
    console.print(_("{number} written to {path}.").format(number=doc["number"], path=out))


@app.command("credit")
def credit(
    invoice: str = INVOICE, reason: str = typer.Option(..., "--reason", help="Why the invoice is cancelled.")
) -> None:
    """Issue a credit note cancelling an invoice in full (the next run bills the week afresh)."""
    with wired() as application:
        now = application.clock.now()
        with application.sessions.begin() as session:
            note = credit_invoice(session, invoice, reason, now)
        mail_issued(application.sessions, now, application.settings.mail_from)
        deliver_pending(application.sessions, application.transport(), now)
    console.print(_("Credit note {note} issued on invoice {number}.").format(note=note.number, number=invoice))
