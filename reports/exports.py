"""Tables written for people to open in a spreadsheet: CSV or XLSX, streamed, formula-safe.

Any text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a leading tab or carriage
return, OWASP's CSV-injection rule) gets a leading apostrophe, so that a prospect's "=HYPERLINK(…)"
typed into a web form can never run in a client's Excel. CSV is written as French Excel reads it:
UTF-8 with a BOM and `;`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from config.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UnsupportedExportFormat(ValueError):
    """An export file name whose extension is neither .csv nor .xlsx."""

    def __init__(self, path: Path) -> None:
        super().__init__(_("Cannot write {path}: use a .csv or .xlsx file name").format(path=path))
        self.path = path


def neutralise(value: Any) -> Any:
    """The value, with text that a spreadsheet would evaluate turned into plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_table(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows under a header row as CSV or XLSX (by extension); returns the number of rows."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise UnsupportedExportFormat(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        return _write_csv(path, columns, rows)
    return _write_xlsx(path, columns, rows)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value).replace(".", ",")  # the decimal comma French Excel expects beside `;`
    return neutralise(value)


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow([neutralise(c) for c in columns])
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: the wall-clock time the caller chose to show is kept.
        return value.replace(tzinfo=None)
    return neutralise(value)


def _write_xlsx(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)  # rows go straight to disk: a large campaign fits in memory
    sheet = book.create_sheet("export")
    sheet.freeze_panes = "A2"
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=neutralise(name))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        count += 1
    book.save(path)
    return count
