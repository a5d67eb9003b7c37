"""`rdv client …`: the firms that buy appointments."""

from __future__ import annotations

import typer
from rich.table import Table

from campaigns import store
from config.i18n import _
from rdv.cli.common import console, wired

app = typer.Typer(no_args_is_help=True, help="Clients: the firms that receive the RDV sheets.")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Name of the client firm."),
    email: list[str] = typer.Option([], "--email", help="Address that receives the daily RDV sheets (repeatable)."),
    legal_name: str = typer.Option("", "--legal-name", help="Legal identity shown on invoices."),
) -> None:
    """Create a client."""
    with wired() as application, application.sessions.begin() as session:
        client = store.add_client(session, name, email, legal_name)
        console.print(_("Client {name} created.").format(name=client.name))


@app.command("list")
def list_() -> None:
    """List clients."""
    with wired() as application, application.sessions() as session:
        table = Table(_("Client"), _("Legal name"), _("E-mail addresses"))
        for client in store.list_clients(session):
            table.add_row(client.name, client.legal_name, ", ".join(client.emails))
        console.print(table)
