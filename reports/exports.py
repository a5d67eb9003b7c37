"""Tables written for people to open in a spreadsheet: CSV or XLSX, streamed, formula-safe.

CSV is written as French Excel reads it: UTF-8 with a BOM, `;`, decimal comma, `dd/mm/yyyy hh:mm:ss`.
Any text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a leading tab or carriage return,
OWASP's CSV-injection rule) gets a leading apostrophe, unless it is a plain number (`-12`, `4,5`), which
a spreadsheet reads as that number and nothing else. In XLSX, a cell typed as text is never evaluated:
text that looks like a formula is stored as text with Excel's own "quote prefix" flag, so nobody sees
an apostrophe, and the cell stays text when someone edits it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any

from config.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STARTS = frozenset(FORMULA_STARTS)
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
_CSV_DATETIME = "%d/%m/%Y %H:%M:%S"
_WIDTH_SAMPLE = 500  # rows looked at to size the columns; the rest stream straight to disk
_MAX_WIDTH = 60
_PROGRESS_EVERY = 1000

Progress = Callable[[int], None]


class UnsupportedExportFormat(ValueError):
    """An export file name whose extension is neither .csv nor .xlsx."""

    def __init__(self, path: Path) -> None:
        super().__init__(_("Cannot write {path}: use a .csv or .xlsx file name").format(path=path))
        self.path = path


@dataclass(frozen=True)
class Table:
    """What an export holds: headers (already translated), rows, and the sheet's name in a workbook."""

    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    sheet: str = "export"


def could_be_formula(value: str) -> bool:
    """Whether a spreadsheet could evaluate this text: a formula start that is not a plain number."""
    return value.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(value) is None


def neutralise(value: Any) -> Any:
    """The value, with text that a spreadsheet would evaluate turned into plain text."""
    if isinstance(value, str) and could_be_formula(value):
        return "'" + value
    return value


def keep_text(cell: Any) -> None:
    """Make an openpyxl cell whose text looks like a formula plain text, shown without an apostrophe."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
        cell.quotePrefix = True  # Excel's own flag: shown as typed, still text when someone edits it


def write_table(
    path: Path, columns: Sequence[str] | Table, rows: Iterable[Sequence[Any]] = (), progress: Progress | None = None
) -> int:
    """Write rows under a header row as CSV or XLSX (by extension); returns the number of rows.

    `progress` is called with the number of rows written so far, every thousand rows and at the end.
    """
    table = columns if isinstance(columns, Table) else Table(columns, rows)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise UnsupportedExportFormat(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    counted = _counting(table.rows, progress)
    if suffix == ".csv":
        count = _write_csv(path, table.headers, counted)
    else:
        count = _write_xlsx(path, table, counted)
    if progress is not None:
        progress(count)
    return count


def _counting(rows: Iterable[Sequence[Any]], progress: Progress | None) -> Iterator[Sequence[Any]]:
    for number, row in enumerate(rows, start=1):
        yield row
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(number)


def _csv_value(value: Any) -> Any:
    if value.__class__ is str:  # most cells: one cheap test first
        return "'" + value if value[:1] in _STARTS and _PLAIN_NUMBER.fullmatch(value) is None else value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_CSV_DATETIME)
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


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, float):
        return len(f"{value:.1f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def column_widths(headers: Sequence[str], sample: Sequence[Sequence[Any]]) -> list[float]:
    """Widths in Excel's character units that fit the header and the sampled values, within bounds."""
    widths = [len(h) for h in headers]
    for row in sample:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], _shown_length(value))
    return [min(max(w, 6), _MAX_WIDTH) + 2.0 for w in widths]


def _write_xlsx(path: Path, table: Table, rows: Iterator[Sequence[Any]]) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)  # rows go straight to disk: a large campaign fits in memory
    sheet = book.create_sheet(table.sheet[:31])  # Excel's limit for a sheet name
    sample = list(islice(rows, _WIDTH_SAMPLE))
    for i, width in enumerate(column_widths(table.headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    _print_across(sheet)
    cells = _XlsxCells(sheet)
    sheet.append([cells.header(name) for name in table.headers])
    count = 0
    for row in chain(sample, rows):
        sheet.append([cells.value(v) for v in row])
        count += 1
    if table.headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{count + 1}"
    book.save(path)
    return count


def _print_across(sheet: Any) -> None:
    """Printed, every column fits across a landscape page and the header repeats on each page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"


class _XlsxCells:
    """Cells of a write-only sheet: bold headers, date-time formats, text that looks like a formula kept text."""

    def __init__(self, sheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        self.sheet = sheet
        self.make = WriteOnlyCell
        self.bold = Font(bold=True)

    def header(self, name: str) -> Any:
        cell = self._text(name)
        cell.font = self.bold
        return cell

    def value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            cell = self.make(self.sheet, value=value.replace(tzinfo=None))  # Excel has no zones: wall-clock time
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return self._text(value)
        return value

    def _text(self, text: str) -> Any:
        cell = self.make(self.sheet, value=text)
        keep_text(cell)
        return cell
