"""The daily e-mails an outbox folder holds, read back as a client would: the calls behind each RDV row."""

from __future__ import annotations

import email
import email.policy
import io
from pathlib import Path

from openpyxl import load_workbook


def appointment_calls_by_mail(folder: Path) -> dict[str, list[int]]:
    """For each daily RDV e-mail, the call (attempt id, last column) of every RDV row of its XLSX attachment.

    Invoices, balance alerts and reminders share the outbox folder; only the daily e-mails carry RDVs.
    """
    found: dict[str, list[int]] = {}
    for path in sorted(folder.glob("*daily_rdv-*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        calls: list[int] = []
        for part in message.iter_attachments():  # type: ignore[attr-defined]
            if str(part.get_filename() or "").endswith(".xlsx"):
                sheet = load_workbook(io.BytesIO(part.get_content()), read_only=True).active
                rows = list(sheet.iter_rows(values_only=True))
                calls += [int(row[-1]) for row in rows[1:] if row and row[-1] not in (None, "")]
        found[path.name] = calls
    return found
