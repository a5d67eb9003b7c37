"""`rdv export …`: files for supervisors and clients (CSV or XLSX, formula-safe, streamed).

`--format client` (the default) is what a French client opens in Excel; `--format raw` is for integrations:
English codes, E.164 numbers and ISO 8601 times, under column names that never change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from campaigns import store as campaigns
from config.i18n import _, fmt_number, ngettext
from leads import store as leads
from rdv.cli.audit import noted
from rdv.cli.common import console, is_interactive, wired
from reports.exports import Progress as ProgressCallback
from reports.leads_export import export_leads as write_leads

app = typer.Typer(no_args_is_help=True, help="Exports for supervisors and clients.")


class ExportFormat(StrEnum):
    client = "client"
    raw = "raw"


FORMAT_HELP = "client: French headers and labels, dates as Excel reads them; raw: codes and ISO times."


@contextmanager
def export_progress(total: int, description: str) -> Iterator[ProgressCallback]:
    """A rich progress bar on a terminal for a long export; nothing otherwise (the count comes at the end)."""
    if not is_interactive():
        yield lambda _done: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total or None)
        yield lambda done: bar.update(task, completed=done)


@app.command("leads")
def export_leads(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    out: Path = typer.Option(..., "--out", help="File to write: .csv or .xlsx."),
    shape: ExportFormat = typer.Option(ExportFormat.client, "--format", help=FORMAT_HELP),
) -> None:
    """Write one row per lead: identity, main phone, status, attempts, next attempt, then custom fields."""
    with wired() as application, application.sessions() as session:
        found = campaigns.get_campaign(session, campaign)
        with export_progress(leads.count_leads(session, found.id), _("Exporting leads")) as progress:
            count = write_leads(session, found.id, out, raw=shape is ExportFormat.raw, progress=progress)
        noted(application, "export", f"campaign {found.name}", f"{count} leads → {out.name}")
        console.print(ngettext("{count} lead written to {path}.", "{count} leads written to {path}.", count)
                      .format(count=fmt_number(count), path=out))
