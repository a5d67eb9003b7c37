"""`rdv client retention NAME` and `rdv retention run`: how long a client's personal data is kept, and applying it.

Registered in the `client` group and at the top (see rdv/cli/__init__.py); the daily job (rdv/jobs.py) runs
the same `apply_retention` every night.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

from campaigns import store as campaigns
from campaigns.retention import Retention, apply_retention, retention_detail, retention_of, set_retention
from config.i18n import _, fmt_number
from leads.dnc import KEY_NAME as DNC_KEY
from rdv.cli.audit import note
from rdv.cli.common import console, wired
from rdv.client_export import export_client
from rdv.erasure import KEY_NAME as CERTIFICATE_KEY
from rdv.erasure import erase_client, vacuum_erased


def retention(
    name: str = typer.Argument(..., help="Name of the client firm."),
    prospects: int | None = typer.Option(None, "--prospects", min=1, max=30,
                                         help="Years after the last contact before prospects are anonymised."),
    records: int | None = typer.Option(None, "--records", min=1, max=30,
                                       help="Years the call records and RDV sheets are kept (the contract's)."),
) -> None:
    """Show or set how long the client's personal data is kept."""
    with wired() as application, application.sessions.begin() as session:
        client = campaigns.get_client(session, name)
        current = retention_of(session, client.id)
        if prospects is not None or records is not None:
            current = Retention(prospects or current.prospect_years,
                                records if records is not None else current.records_years)
            set_retention(session, client.id, current)
            note(session, "change", f"client {client.name}", f"retention: prospects {current.prospect_years} y, "
                 f"records {current.records} y", application.clock.now())
        console.print(_("{client}: prospects anonymised {years} years after the last contact; call records and "
                        "RDV sheets kept {records} years.").format(client=client.name, years=current.prospect_years,
                                                                   records=current.records))


def run_retention(
    at: str | None = typer.Option(None, "--at", help="Pretend the command runs at this moment (ISO 8601)."),
) -> None:
    """Anonymise now what every client's retention says is due (the nightly job does the same)."""
    with wired() as application, application.sessions.begin() as session:
        now = datetime.fromisoformat(at) if at else application.clock.now()
        reports = apply_retention(session, now, application.secret(DNC_KEY))
        table = Table(_("Client"), _("Leads anonymised"), _("Calls anonymised"), _("RDV sheets anonymised"),
                      _("Do-not-call numbers hashed"))
        for report in reports:
            table.add_row(report.client, fmt_number(report.leads), fmt_number(report.calls),
                          fmt_number(report.appointments), fmt_number(report.numbers_hashed))
            if report.leads or report.calls or report.appointments or report.numbers_hashed:
                note(session, "anonymise", f"client {report.client}", retention_detail(report), now)
        console.print(table)


def export(
    name: str = typer.Argument(..., help="Name of the client firm."),
    out: Path = typer.Option(..., "--out", help="New (or empty) folder to write the export into."),
) -> None:
    """Export everything the client owns (CSV and JSON, e-mails, manifest with SHA-256 sums)."""
    with wired() as application, application.sessions.begin() as session:
        now = application.clock.now()
        client = campaigns.get_client(session, name)
        result = export_client(session, client, out, now, getpass.getuser())
        note(session, "export", f"client {client.name}", f"reversibility export {result.checksum[:16]}… "
             f"({sum(result.counts.values())} rows) → {out.name}", now)
    table = Table(_("File"), _("Rows"))
    for table_name, count in result.counts.items():
        table.add_row(table_name, fmt_number(count))
    console.print(table)
    console.print(_("Export written to {folder}; its checksum (manifest SHA-256): {checksum}").format(
        folder=out, checksum=result.checksum), markup=False)


def erase(
    name: str = typer.Argument(..., help="Name of the client firm."),
    export_checksum: str = typer.Option(..., "--export-checksum",
                                        help="Checksum printed by rdv client export: proof the data was given back."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the certificate (default: DATA/certificates)."),
) -> None:
    """Erase the client's personal data everywhere after its export, and issue a signed deletion certificate."""
    with wired() as application:
        folder = out or application.settings.data_dir / "certificates"
        key = application.secret(CERTIFICATE_KEY)
        with application.sessions.begin() as session:
            now = application.clock.now()
            client = campaigns.get_client(session, name)
            done = erase_client(session, client, export_checksum, application.settings.data_dir, folder, now,
                                getpass.getuser(), key)
            rows = sum(done.certificate["rows_erased"].values())
            note(session, "erase", f"client {client.name}", f"{rows} rows, "
                 f"{done.certificate['files_erased']['outbox_emails']} e-mail files; export "
                 f"{done.certificate['export_checksum'][:16]}…; certificate {done.document.name}", now)
        vacuum_erased(application.engine)  # committed: now the space the erased rows held can be reclaimed
    console.print(_("Personal data of {client} erased: {rows} rows and {files} files.").format(
        client=name, rows=fmt_number(rows), files=fmt_number(sum(done.certificate["files_erased"].values()))))
    console.print(_("Deletion certificate: {pdf} (signed {algorithm}: {signature})").format(
        pdf=done.pdf, algorithm=done.certificate["signature_algorithm"], signature=done.certificate["signature"]),
        markup=False)
