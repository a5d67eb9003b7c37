"""`rdv export calls`: the call log of a campaign, one row per attempt (CSV or XLSX)."""

from __future__ import annotations

from pathlib import Path

import typer

from campaigns import store
from config.i18n import _, fmt_number, ngettext
from rdv.cli.audit import noted
from rdv.cli.common import console, wired
from rdv.cli.export import FORMAT_HELP, ExportFormat, export_progress
from reports.calls_export import count_calls, export_calls


def calls(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    out: Path = typer.Option(..., "--out", help="File to write: .csv or .xlsx."),
    shape: ExportFormat = typer.Option(ExportFormat.client, "--format", help=FORMAT_HELP),
) -> None:
    """Write the campaign's call log: one row per attempt, start times in the callee's zone."""
    with wired() as application, application.sessions() as session:
        found = store.get_campaign(session, campaign)
        with export_progress(count_calls(session, found.id), _("Exporting calls")) as progress:
            count = export_calls(session, found.id, out, raw=shape is ExportFormat.raw, progress=progress)
        noted(application, "export", f"campaign {found.name}", f"{count} calls → {out.name}")
        console.print(ngettext("{count} call written to {path}.", "{count} calls written to {path}.", count)
                      .format(count=fmt_number(count), path=out))
