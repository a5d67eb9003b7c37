"""`rdv billing …`: load a client's contract, run a week's billing, record transfers, show the balance."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from billing import store
from billing.contract import read_contract
from billing.periods import bill_period, month_bounds
from billing.rules import Week
from billing.runs import bill_week, mail_issued
from billing.services import open_due_total, parse_amount, record_transfer, save_contract, terms_of
from campaigns import store as campaigns
from config.i18n import _, fmt_money, ngettext
from rdv.cli.common import UserError, console, wired
from reports.mailer import deliver_pending

app = typer.Typer(no_args_is_help=True, help="Billing: contracts, weekly runs, the prepaid package.")
CLIENT = typer.Argument(..., help="Name of an existing client.")
AMOUNT = typer.Argument(..., help="Amount received, in the contract's currency: 1500, 1 500,00 or 1500.00.")


@app.command("contract")
def contract(
    client: str = CLIENT, path: Path = typer.Argument(..., help="Contract file (TOML): seller, buyer, plan.")
) -> None:
    """Load or replace a client's billing contract from its file."""
    with wired() as application, application.sessions.begin() as session:
        row = campaigns.get_client(session, client)
        raw, _terms = read_contract(path, {"name": row.legal_name or row.name, "siren": row.siren})
        saved = save_contract(session, row, raw, application.clock.now())
        console.print(_("Contract of {client} loaded: {regime}, {kind} plan.").format(
            client=row.name, regime=saved.regime, kind=terms_of(saved).plan.pricing.kind))


@app.command("run")
def run(
    week: str = typer.Option("", "--week", help="Production week, ISO: 2026-W49 (plans per RDV)."),
    month: str = typer.Option("", "--month", help="Month, 2026-12 (plans by hour, package, call or minute; "
                              "needs --client)."),
    client: str | None = typer.Option(None, "--client", help="Only this client (default: every client)."),
) -> None:
    """Bill a production week (earlier weeks whose results moved are re-billed by difference) or a client's
    month. Idempotent."""
    if month:
        _run_month(month, client)
        return
    with wired() as application:
        if not week:
            raise UserError(_("Give --week 2026-W49, or --month 2026-12 with --client"))
        wanted = Week.parse(week)
        now = application.clock.now()
        reports = bill_week(application.sessions, wanted, now, application.settings.mail_from, client)
        deliver_pending(application.sessions, application.transport(), now)
    for report in reports:
        if not report.issued:
            console.print(_("{client}: nothing new to bill for {week}.").format(client=report.client, week=wanted))
        for invoice in report.issued:
            console.print(_("{client}: {kind} {number} issued, {total}.").format(
                client=report.client, kind=_("invoice") if invoice.kind == "invoice" else _("credit note"),
                number=invoice.number, total=fmt_money(store.from_cents(invoice.total_cents), invoice.currency)))
    issued = sum(len(r.issued) for r in reports)
    console.print(ngettext("{count} document issued.", "{count} documents issued.", issued).format(count=issued))


def _run_month(month: str, client: str | None) -> None:
    with wired() as application:
        if not client:
            raise UserError(_("A month is billed for one client: add --client NAME"))
        first, last = month_bounds(month)
        now = application.clock.now()
        with application.sessions.begin() as session:
            invoice = bill_period(session, client, first, last, now)
        mail_issued(application.sessions, now, application.settings.mail_from)
        deliver_pending(application.sessions, application.transport(), now)
    if invoice is None:
        console.print(_("{client}: nothing new to bill for {week}.").format(client=client, week=month))
    else:
        console.print(_("{client}: {kind} {number} issued, {total}.").format(
            client=client, kind=_("invoice"), number=invoice.number,
            total=fmt_money(store.from_cents(invoice.total_cents), invoice.currency)))


@app.command("topup")
def topup(
    client: str = CLIENT,
    amount: str = AMOUNT,
    ref: str = typer.Option(..., "--ref", help="Bank reference of the transfer."),
) -> None:
    """Record a transfer received: it settles what is due, the rest tops up the prepaid package."""
    with wired() as application, application.sessions.begin() as session:
        value = parse_amount(amount)
        before, after = record_transfer(session, client, value, ref, application.clock.now())
        currency = terms_of(store.get_contract(session, client)[1]).plan.currency
    console.print(_("Transfer {ref} of {amount} recorded for {client}: balance {before} → {after}.").format(
        ref=ref.strip(), amount=fmt_money(value, currency), client=client, before=fmt_money(before, currency),
        after=fmt_money(after, currency)))


@app.command("balance")
def balance(client: str = CLIENT) -> None:
    """The prepaid package's balance, what is still due, and the latest moves."""
    with wired() as application, application.sessions() as session:
        _client, row = store.get_contract(session, client)
        currency = terms_of(row).plan.currency
        table = Table(_("Date"), _("Move"), _("Reference"), _("Amount"), _("Balance"))
        for entry in store.ledger_entries(session, row.id)[-20:]:
            table.add_row(entry.at.date().isoformat(), _(entry.kind), entry.reference,
                          fmt_money(store.from_cents(entry.amount_cents), currency),
                          fmt_money(store.from_cents(entry.balance_after_cents), currency))
        console.print(table)
        console.print(_("Balance of {client}: {balance}; still due on invoices: {due}.").format(
            client=client, balance=fmt_money(store.balance(session, row.id), currency),
            due=fmt_money(open_due_total(session, row.id) or Decimal(0), currency)))
