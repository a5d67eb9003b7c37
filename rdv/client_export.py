"""Reversibility (seed 002): everything a client owns, in open formats, with a manifest that proves what was given.

One CSV (UTF-8, comma-separated, formula-safe) and one JSON file per table, the client's e-mails as `.eml`
files, and `manifest.json` listing every file with its row count, size and SHA-256. The manifest's own SHA-256
is the export's checksum: it is recorded (`ClientExport`) and `rdv client erase` asks for it, so that nothing
is erased before an export the supervisor has confirmed. The folder appears complete or not at all (written
beside it, then renamed).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from billing.models import BillingContract, Invoice, LedgerEntry
from campaigns.appointments import Appointment, AppointmentEvent, CampaignScriptVersion
from campaigns.models import Attempt, Callback, Campaign, Client
from config.i18n import _
from config.orm import Base
from leads.consent_models import ConsentGrant
from leads.models import DoNotCall, Lead, LeadConsent, LeadImport, LeadPhone
from reports.exports import neutralise
from reports.outbox import OutboxMessage


class ClientExport(Base):
    """One export of a client's data: when, by whom, where, and the SHA-256 of its manifest."""

    __tablename__ = "client_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer, index=True)  # no foreign key: the record outlives erasure
    client_name: Mapped[str] = mapped_column(String(200))
    exported_at: Mapped[datetime] = mapped_column()
    exported_by: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(1000))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)


class ExportFolderNotEmpty(FileExistsError):
    """The export's folder exists and holds files: an export never mixes with anything else."""

    def __init__(self, folder: Path) -> None:
        super().__init__(_("{folder}: the folder is not empty; choose a new one").format(folder=folder))


@dataclass
class ExportResult:
    folder: Path
    checksum: str
    counts: dict[str, int] = field(default_factory=dict)


def client_tables(client_id: int) -> list[tuple[str, Any, ColumnElement[bool]]]:
    """(file name, model, which rows) of everything the client owns."""
    campaigns = select(Campaign.id).where(Campaign.client_id == client_id).scalar_subquery()
    leads = select(Lead.id).where(Lead.campaign_id.in_(campaigns)).scalar_subquery()
    appointments = select(Appointment.id).where(Appointment.campaign_id.in_(campaigns)).scalar_subquery()
    contracts = select(BillingContract.id).where(BillingContract.client_id == client_id).scalar_subquery()
    return [
        ("client", Client, Client.id == client_id),
        ("campaigns", Campaign, Campaign.client_id == client_id),
        ("scripts", CampaignScriptVersion, CampaignScriptVersion.campaign_id.in_(campaigns)),
        ("lead_imports", LeadImport, LeadImport.campaign_id.in_(campaigns)),
        ("leads", Lead, Lead.campaign_id.in_(campaigns)),
        ("lead_phones", LeadPhone, LeadPhone.campaign_id.in_(campaigns)),
        ("consent_records", ConsentGrant, ConsentGrant.client_id == client_id),
        ("consent_journal", LeadConsent, LeadConsent.lead_id.in_(leads)),
        ("calls", Attempt, Attempt.campaign_id.in_(campaigns)),
        ("callbacks", Callback, Callback.campaign_id.in_(campaigns)),
        ("appointments", Appointment, Appointment.campaign_id.in_(campaigns)),
        ("appointment_events", AppointmentEvent, AppointmentEvent.appointment_id.in_(appointments)),
        ("do_not_call", DoNotCall, DoNotCall.client_id == client_id),
        ("billing_contracts", BillingContract, BillingContract.client_id == client_id),
        ("invoices", Invoice, Invoice.contract_id.in_(contracts)),
        ("billing_ledger", LedgerEntry, LedgerEntry.contract_id.in_(contracts)),
        ("emails", OutboxMessage, OutboxMessage.campaign_id.in_(campaigns)),
    ]


def _plain(value: Any) -> Any:
    """A stored value as JSON holds it: ISO 8601 times, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _cell(value: Any) -> Any:
    """A stored value as a CSV cell: JSON for structures, formula-safe text."""
    value = _plain(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return neutralise(value)


def _rows(session: Session, model: Any, where: ColumnElement[bool], columns: list[str]) -> Iterator[list[Any]]:
    query = select(*(getattr(model, c) for c in columns)).where(where).order_by(*model.__table__.primary_key.columns)
    for row in session.execute(query.execution_options(yield_per=2000)):
        yield list(row)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_table(session: Session, folder: Path, name: str, model: Any, where: ColumnElement[bool]) -> int:
    columns = [c.key for c in model.__table__.columns if c.key != "raw"]
    count = 0
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as table, \
            (folder / f"{name}.json").open("w", encoding="utf-8") as document:
        writer = csv.writer(table)
        writer.writerow(columns)
        document.write("[")
        for row in _rows(session, model, where, columns):
            writer.writerow([_cell(v) for v in row])
            document.write(("," if count else "") + "\n" + json.dumps(dict(zip(columns, map(_plain, row),
                                                                               strict=True)), ensure_ascii=False))
            count += 1
        document.write("\n]\n")
    return count


def _write_emails(session: Session, folder: Path, where: ColumnElement[bool]) -> list[Path]:
    written = []
    (folder / "emails").mkdir()
    for message_id, raw in session.execute(select(OutboxMessage.id, OutboxMessage.raw).where(where)):
        path = folder / "emails" / f"{message_id}.eml"
        path.write_bytes(raw)
        written.append(path)
    return written


def export_client(session: Session, client: Client, out: Path, now: datetime, by: str) -> ExportResult:
    """Write the client's export into `out` (new or empty) and record it; returns its checksum and counts."""
    if out.exists() and any(out.iterdir()):
        raise ExportFolderNotEmpty(out)
    part = out.with_name(out.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    try:
        counts: dict[str, int] = {}
        files: list[dict[str, Any]] = []
        for name, model, where in client_tables(client.id):
            counts[name] = _write_table(session, part, name, model, where)
            for suffix in (".csv", ".json"):
                path = part / f"{name}{suffix}"
                files.append({"file": path.name, "rows": counts[name], "bytes": path.stat().st_size,
                              "sha256": _sha256(path)})
            if model is OutboxMessage:
                for path in _write_emails(session, part, where):
                    files.append({"file": f"emails/{path.name}", "rows": 1, "bytes": path.stat().st_size,
                                  "sha256": _sha256(path)})
        manifest = {"client": client.name, "exported_at": now.isoformat(), "exported_by": by,
                    "format": "CSV UTF-8 (comma, header row, formula-safe) and JSON, one pair per table; "
                              "times in ISO 8601 UTC", "counts": counts, "files": files}
        (part / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")
        checksum = _sha256(part / "manifest.json")
        if out.exists():
            out.rmdir()
        os.replace(part, out)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    session.add(ClientExport(client_id=client.id, client_name=client.name, exported_at=now, exported_by=by[:200],
                             folder=str(out.resolve())[:1000], manifest_sha256=checksum, rows=sum(counts.values())))
    session.flush()
    return ExportResult(out, checksum, counts)
