"""`rdv export …`: files for supervisors and clients (CSV or XLSX, formula-safe, streamed)."""

from __future__ import annotations

from pathlib import Path

import typer

from campaigns import store as campaigns
from config.i18n import _, fmt_number
from leads import store as leads
from rdv.cli.common import console, wired
from reports.exports import write_table

app = typer.Typer(no_args_is_help=True, help="Exports for supervisors and clients.")


@app.command("leads")
def export_leads(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    out: Path = typer.Option(..., "--out", help="File to write: .csv or .xlsx."),
) -> None:
    """Write one row per lead: identity, main phone, status, attempts, next attempt, then custom fields."""
    with wired() as application, application.sessions() as session:
        found = campaigns.get_campaign(session, campaign)
        columns, rows = leads.export_rows(session, found.id)
        count = write_table(out, columns, rows)
        console.print(_("{count} leads written to {path}.").format(count=fmt_number(count), path=out))
