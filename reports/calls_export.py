"""The call log of a campaign ("journal d'appels"): one row per attempt, as CSV or XLSX, for proof to a client."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Attempt
from config.i18n import _
from reports.rdv_xlsx import safe_text

COLUMNS = (
    "attempt_id", "lead_id", "attempt_no", "phone_e164", "callee_tz", "started_at_utc", "started_at_local",
    "outcome", "ring_s", "wait_s", "talk_s", "agent", "disposition",
)


class UnknownExportFormat(ValueError):
    """An export file whose extension is neither .csv nor .xlsx."""

    def __init__(self, path: Path) -> None:
        super().__init__(_("Cannot write {path}: use a .csv or .xlsx file name").format(path=path))
        self.path = path


def _local(moment: datetime, zone: str) -> str:
    try:
        return moment.astimezone(ZoneInfo(zone)).isoformat()
    except (ValueError, KeyError):
        return ""


def call_rows(session: Session, campaign_id: int) -> Iterator[dict[str, Any]]:
    """Every attempt of a campaign in dialling order, times in UTC and in the callee's zone."""
    query = select(Attempt).where(Attempt.campaign_id == campaign_id).order_by(Attempt.created_at, Attempt.id)
    for attempt in session.scalars(query.execution_options(yield_per=1000)):
        started = attempt.originated_at or attempt.created_at
        yield {
            "attempt_id": attempt.id, "lead_id": attempt.lead_id, "attempt_no": attempt.attempt_no,
            "phone_e164": attempt.phone_e164, "callee_tz": attempt.callee_tz,
            "started_at_utc": started.isoformat(), "started_at_local": _local(started, attempt.callee_tz),
            "outcome": attempt.outcome, "ring_s": attempt.ring_s, "wait_s": attempt.wait_s,
            "talk_s": attempt.talk_s, "agent": attempt.agent, "disposition": attempt.disposition,
        }


def write_calls(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Write the rows as CSV or XLSX (by extension), text cells formula-safe; returns the row count."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise UnknownExportFormat(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = ([safe_text(v) if isinstance(v, str) else v for v in (row[c] for c in COLUMNS)] for row in rows)
    count = 0
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for values in safe:
                writer.writerow(["" if v is None else v for v in values])
                count += 1
        return count
    book = Workbook(write_only=True)
    ws = book.create_sheet("calls")
    ws.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLM", (12, 10, 8, 16, 16, 27, 27, 12, 8, 8, 8, 14, 16), strict=True):
        ws.column_dimensions[column].width = width
    header = [WriteOnlyCell(ws, value=name) for name in COLUMNS]
    for cell in header:
        cell.font = Font(bold=True)
    ws.append(header)
    for values in safe:
        ws.append(values)
        count += 1
    book.save(path)
    return count
