"""End of contract (seed 000): erase a client's personal data everywhere, once its export was confirmed, and issue
a signed deletion certificate.

Erased: the leads and their phones, consent records and journal, imports, calls (and their state journal),
callbacks, RDV sheets and their history, the client's do-not-call lists, the daily e-mails to it (database rows
and `.eml` copies in the outbox folder) and the exports kept in the data folder. Kept: the client and its
campaigns (names of firms, not people), invoices (the law keeps them ten years; they name no prospect) and the
audit log (ids only). The product stores no call recordings; the certificate says so.

Deleted rows still lie in the database's files until their space is reclaimed: `vacuum_erased`, once the
erasure is committed, vacuums what it emptied (SQLite rebuilds its file; PostgreSQL vacuums each table, so that no
dead row version of a prospect stays behind).

The certificate is a JSON document signed with HMAC-SHA256 under the secret `certificate_key` (see
`config.secrets`), and a PDF (WeasyPrint) that prints it with its signature: `verify_certificate` recomputes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment
from sqlalchemy import ColumnElement, Engine, Table, delete, select, text
from sqlalchemy.orm import Session

from campaigns.appointments import Appointment
from campaigns.models import Attempt, Callback, Campaign, Client, LeadClaim
from campaigns.retention import AnonymisedLead
from config.i18n import _, fmt_date
from leads.consent_models import ConsentGrant
from leads.dnc import HashedOptOut
from leads.models import DoNotCall, Lead, LeadConsent, LeadImport, LeadPhone
from rdv.client_export import ClientExport
from reports.outbox import OutboxMessage

KEY_NAME = "certificate_key"
SIGNATURE = "HMAC-SHA256"


class ExportNotConfirmed(LookupError):
    """No export of this client has that checksum: nothing is erased before a confirmed export."""

    def __init__(self, client: str, checksum: str) -> None:
        super().__init__(_("no export of {client} has the checksum {checksum}: export first (rdv client export), "
                           "then give its checksum").format(client=client, checksum=checksum or "—"))


@dataclass(frozen=True)
class Erasure:
    certificate: dict[str, Any]
    pdf: Path
    document: Path


def _tables(client_id: int) -> list[tuple[str, Any, ColumnElement[bool]]]:
    """What is deleted, in an order the foreign keys accept."""
    campaigns = select(Campaign.id).where(Campaign.client_id == client_id).scalar_subquery()
    leads = select(Lead.id).where(Lead.campaign_id.in_(campaigns)).scalar_subquery()
    return [
        ("rdv_sheets", Appointment, Appointment.campaign_id.in_(campaigns)),
        ("calls", Attempt, Attempt.campaign_id.in_(campaigns)),
        ("callbacks", Callback, Callback.campaign_id.in_(campaigns)),
        ("consent_journal", LeadConsent, LeadConsent.lead_id.in_(leads)),
        ("consent_records", ConsentGrant, ConsentGrant.lead_id.in_(leads)),
        ("anonymised_marks", AnonymisedLead, AnonymisedLead.lead_id.in_(leads)),
        ("hopper_claims", LeadClaim, LeadClaim.lead_id.in_(leads)),
        ("lead_phones", LeadPhone, LeadPhone.campaign_id.in_(campaigns)),
        ("leads", Lead, Lead.campaign_id.in_(campaigns)),
        ("lead_imports", LeadImport, LeadImport.campaign_id.in_(campaigns)),
        ("do_not_call", DoNotCall, DoNotCall.client_id == client_id),
        ("do_not_call_hashed", HashedOptOut, HashedOptOut.client_id == client_id),
        ("emails", OutboxMessage, OutboxMessage.campaign_id.in_(campaigns)),
    ]


def erased_tables() -> list[Table]:
    """The tables an erasure deletes from, and those whose rows go with theirs (ON DELETE CASCADE)."""
    import rdv.models  # noqa: F401  (every table, so that every dependent is seen)

    found = [model.__table__ for _name, model, _where in _tables(0)]
    for table in found:  # grows as dependents are found: theirs are reached too
        for other in table.metadata.sorted_tables:
            if other not in found and any(fk.column.table is table and (fk.ondelete or "").upper() == "CASCADE"
                                          for fk in other.foreign_keys):
                found.append(other)
    return found


def vacuum_erased(engine: Engine) -> None:
    """Reclaim the space of the erased rows, after the erasure's commit (VACUUM runs outside any transaction).

    SQLite: `VACUUM` rebuilds the whole file without its free pages (`secure_delete` zeroed what was freed), then
    a checkpoint empties the write-ahead log, whose frames still hold the pages as they were before the deletion
    and which the database file itself had not received yet. PostgreSQL: `VACUUM` of each erased table removes
    the dead row versions and their index entries.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        for table in erased_tables():
            conn.exec_driver_sql(f"VACUUM {conn.dialect.identifier_preparer.format_table(table)}")


def _outbox_files(session: Session, client_id: int, outbox_dir: Path) -> list[Path]:
    campaigns = select(Campaign.id).where(Campaign.client_id == client_id)
    ids = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.campaign_id.in_(campaigns))))
    return [path for i in ids for path in outbox_dir.glob(f"*-{i:06d}.eml*")]


def sign(content: dict[str, Any], key: str) -> str:
    """The HMAC-SHA256 of the certificate's canonical JSON."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()


def verify_certificate(document: dict[str, Any], key: str) -> bool:
    """Whether a certificate's signature matches its content."""
    content = {k: v for k, v in document.items() if k not in {"signature", "signature_algorithm"}}
    return hmac.compare_digest(sign(content, key), str(document.get("signature", "")))


def erase_client(session: Session, client: Client, checksum: str, data_dir: Path, out: Path, now: datetime,
                 by: str, key: str) -> Erasure:
    """Erase the client's personal data (see the module) and write its signed certificate into `out`."""
    export = session.scalar(select(ClientExport).where(ClientExport.client_id == client.id,
                                                       ClientExport.manifest_sha256 == checksum.strip().lower()))
    if export is None:
        raise ExportNotConfirmed(client.name, checksum.strip())
    files = _outbox_files(session, client.id, data_dir / "outbox")
    if session.get_bind().dialect.name == "sqlite":
        # Freed pages are zeroed, so the erased rows cannot be read back from the file itself.
        session.execute(text("PRAGMA secure_delete = ON"))
    counts: dict[str, int] = {}
    for name, model, where in _tables(client.id):
        result = session.execute(delete(model).where(where).execution_options(synchronize_session=False))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
    session.flush()
    for path in files:
        path.unlink(missing_ok=True)
    kept_exports = sorted((data_dir / "exports").glob(f"{client.id}-*"))
    for folder in kept_exports:
        shutil.rmtree(folder, ignore_errors=True)
    content = {
        "title": "deletion certificate", "client": client.name, "erased_at": now.isoformat(), "erased_by": by,
        "export_checksum": export.manifest_sha256, "export_made_at": export.exported_at.isoformat(),
        "rows_erased": counts, "files_erased": {"outbox_emails": len(files), "export_folders": len(kept_exports)},
        "call_recordings": 0, "kept": ["client", "campaigns", "invoices", "audit log"],
    }
    document = {**content, "signature_algorithm": SIGNATURE, "signature": sign(content, key)}
    out.mkdir(parents=True, exist_ok=True)
    stem = f"certificat-suppression-{client.id}-{now:%Y%m%d-%H%M%S}"
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    pdf_path = out / f"{stem}.pdf"
    pdf_path.write_bytes(certificate_pdf(document, now))
    return Erasure(document, pdf_path, json_path)


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body { font-family: sans-serif; font-size: 10pt; margin: 1.5cm; } h1 { font-size: 16pt; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 3px 8px; text-align: left; }
code { font-size: 8pt; word-break: break-all; }
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ intro }}</p>
<table>{% for label, value in facts %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</table>
<h2>{{ rows_title }}</h2>
<table>{% for name, count in rows %}<tr><td>{{ name }}</td><td>{{ count }}</td></tr>{% endfor %}</table>
<p>{{ kept }}</p>
<p>{{ signed }}<br><code>{{ signature }}</code></p>
</body></html>"""


def certificate_pdf(document: dict[str, Any], now: datetime) -> bytes:
    """The certificate as a PDF, in the interface language."""
    from weasyprint import HTML

    facts = [(_("Client"), document["client"]), (_("Erased on"), fmt_date(now.date())),
             (_("Erased by"), document["erased_by"]), (_("Checksum of the export given back"),
                                                       document["export_checksum"]),
             (_("E-mail copies erased"), document["files_erased"]["outbox_emails"]),
             (_("Call recordings"), _("none stored"))]
    html = Environment(autoescape=True).from_string(_PAGE).render(
        title=_("Deletion certificate"), intro=_("The personal data below was erased at the end of the contract, "
                                                 "after its export was given back to the client."),
        facts=facts, rows_title=_("Rows erased"), rows=list(document["rows_erased"].items()),
        kept=_("Kept: the client and its campaigns, invoices (legal retention), the audit log (no personal data)."),
        signed=_("Signature ({algorithm}, key of the centre):").format(algorithm=document["signature_algorithm"]),
        signature=document["signature"])
    return bytes(HTML(string=html).write_pdf())
