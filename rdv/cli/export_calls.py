"""`rdv export calls`: the call log of a campaign, one row per attempt (CSV or XLSX).

To be merged into the `rdv export` group (rdv/cli/export.py) once it exists.
"""

from __future__ import annotations

from pathlib import Path

import typer

from campaigns import store
from config.i18n import _
from rdv.cli.common import console, wired
from reports.calls_export import call_rows, write_calls

app = typer.Typer(no_args_is_help=True, help="Exports for supervisors and clients.")


@app.command("calls")
def calls(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    out: Path = typer.Option(..., "--out", help="File to write: .csv or .xlsx."),
) -> None:
    """Write the campaign's call log: one row per attempt, times in UTC and in the callee's zone."""
    with wired() as application, application.sessions() as session:
        found = store.get_campaign(session, campaign)
        count = write_calls(call_rows(session, found.id), out)
        console.print(_("{count} calls written to {path}.").format(count=count, path=out))
