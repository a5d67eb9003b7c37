"""What the lead-file pages show: the quality report as the CLI prints it, and the rejects made formula-safe."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.i18n import _, fmt_percent
from leads.columns import FIELDS
from leads.consent import ConsentState
from leads.models import LeadImport
from leads.report import QualityReport, label, line_type_label
from reports.exports import write_table

TOP_DEPARTEMENTS = 15
FIELD_LABELS = {
    "external_ref": "reference", "civility": "civility", "last_name": "last name", "first_name": "first name",
    "company": "company", "postcode": "postcode", "city": "city", "email": "e-mail",
    "consent_at": "consent date", "consent_source": "consent source", "consent_proof": "consent proof",
    "contract_exemption": "contract in progress", "phone": "phone", "address": "address",
    "custom": "custom field (kept as is)", "ignore": "ignore this column",
}


def field_choices() -> list[tuple[str, str]]:
    """(field, its name in the interface language), in the importer's order."""
    return [(name, _(FIELD_LABELS.get(name, name))) for name in FIELDS]


def share(count: int, total: int) -> str:
    return fmt_percent(count / total) if total else "—"


@dataclass(frozen=True)
class ReportView:
    """One import's report, with its rows ready for the template."""

    import_id: int
    report: QualityReport
    rejected: list[tuple[str, int, str]]
    phone_types: list[tuple[str, int, str]]
    departements: list[tuple[str, int, str]]
    consent: list[tuple[str, int]]
    rejects_available: bool
    already: str  # earlier imports of the same file, "#3, #5"


def report_view(imported: LeadImport) -> ReportView:
    report = QualityReport.from_json(imported.report)
    read, created = report.rows_read, report.leads_created
    departements = [(_("unknown") if code == "?" else code, n, share(n, created))
                    for code, n in report.departements.most_common(TOP_DEPARTEMENTS)]
    counts = report.consent
    # The same three lines as `rdv leads report` (rdv/cli/lead_report.py), with its messages.
    consent = [(_("Provable consent (date, source and proof)"), counts[ConsentState.PROVEN]),
               (_("No provable consent, contract in progress"), counts[ConsentState.CONTRACT]),
               (_("Neither provable consent nor contract"), counts[ConsentState.INCOMPLETE]
                + counts[ConsentState.NONE])]  # fmt: skip
    return ReportView(
        imported.id, report,
        [(label(reason), n, share(n, read)) for reason, n in report.rejected.most_common()],
        [(line_type_label(kind), n, share(n, created)) for kind, n in report.phone_types.most_common()],
        departements, consent, bool(report.rejects_file) and Path(report.rejects_file).is_file(),
        ", ".join(f"#{i}" for i in report.already_imported),
    )


def rejects_csv(report: dict[str, Any]) -> bytes:
    """The import's rejects file as French Excel reads it, every cell a spreadsheet would evaluate neutralised."""
    source = Path(report["rejects_file"])
    delimiter = report.get("delimiter") or ";"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        headers = next(rows, [])
        headers = [h[:1].upper() + h[1:] for h in headers]
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "rejets.csv"
            write_table(out, headers, rows)
            return out.read_bytes()
