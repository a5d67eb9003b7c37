"""The `rdv` command: one Typer app; each command group lives in its own module."""

from __future__ import annotations

from rdv.cli import campaigns, clients, database, lead_details
from rdv.cli.common import app, run_app

app.add_typer(clients.app, name="client")
app.add_typer(campaigns.app, name="campaign")
app.add_typer(database.app, name="db")
app.add_typer(lead_details.app, name="leads")  # until a leads group exists: then register lead_details.show there


def main() -> None:
    """Console-script entry point."""
    run_app()
