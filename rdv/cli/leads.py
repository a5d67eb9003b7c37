"""`rdv leads …`: import a lead file into a campaign and read its quality report."""

from __future__ import annotations

from pathlib import Path

import typer

from campaigns import store as campaigns
from config.i18n import _
from leads import store
from leads.columns import parse_map_options
from leads.importer import ImportOptions, import_leads
from leads.report import QualityReport
from rdv.cli import lead_report
from rdv.cli.audit import noted
from rdv.cli.common import console, is_interactive, wired
from rdv.lead_targets import import_target

app = typer.Typer(no_args_is_help=True, help="Lead files: import with quality control, reports.")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="CSV or XLSX lead file."),
    campaign: str = typer.Option(..., "--campaign", help="Name of the campaign that receives the leads."),
    region: str = typer.Option("FR", "--region", help="Country of numbers written without country code."),
    mapping: list[str] = typer.Option(
        [], "--map", help='Column mapping "Header=field" (repeatable), e.g. "Tel perso=phone".'
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="XLSX sheet to read (default: the first)."),
    header_row: int | None = typer.Option(
        None, "--header-row", min=1, help="Row number of the header (default: found below any title rows)."
    ),
) -> None:
    """Import a lead file: normalise phones, remove duplicates and opted-out numbers, report quality."""
    with wired() as application:
        options = ImportOptions(region=region.upper(), mapping=parse_map_options(mapping), sheet=sheet,
                                header_row=header_row)
        now = application.clock.now()
        with application.sessions() as session:
            target = import_target(application, session, campaigns.get_campaign(session, campaign), now)
        with lead_report.progress_bar(console, is_interactive()) as progress:
            result = import_leads(application.sessions, target, file, options, now, progress, _say_waiting)
        noted(application, "import", f"campaign {campaign}", f"import {result.import_id}: "
              f"{result.report.leads_created} leads ← {file.name}")
        lead_report.render(console, result.report, result.import_id)


def _say_waiting() -> None:
    console.print(_("Another import is writing to this database: this one waits until it has finished…"))


@app.command("report")
def report(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    import_id: int | None = typer.Option(None, "--import", help="Import number (default: the latest)."),
    all_departements: bool = typer.Option(False, "--all", help="List every département."),
) -> None:
    """Show the quality report of a campaign's lead import."""
    with wired() as application, application.sessions() as session:
        found = campaigns.get_campaign(session, campaign)
        imported = store.get_import(session, found.id, import_id)
        lead_report.render(console, QualityReport.from_json(imported.report), imported.id, all_departements)
