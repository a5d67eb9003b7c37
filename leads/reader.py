"""Lead files in: CSV (delimiter and encoding detected) and XLSX, streamed row by row.

French Excel writes CSV in CP1252 with `;`; newer versions in UTF-8 with a BOM; "Unicode text" is
UTF-16 with tabs. The encoding is decided on the whole file, not a sample, since one `é` at row
900,000 is enough to make a UTF-8 guess wrong: one pass in C-speed chunks, which also yields the
file's hash and an approximate row count for the progress bar.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain
from pathlib import Path
from typing import Any

from config.i18n import _, fmt_os_error
from leads.csv_records import BrokenRow, csv_records
from leads.errors import EmptyFile, HeaderRowNotFound, SheetNotFound, UnreadableFile

__all__ = ["BrokenRow", "Source", "open_source"]

DELIMITERS = (";", ",", "\t", "|")
_CHUNK = 1 << 22
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
HEADER_SEARCH = 30  # non-blank rows looked at for the header, below title rows such as "Export CRM du …"
HeaderTest = Callable[[list[str]], bool]


@dataclass
class Source:
    """An opened lead file: its headers, how it was read, and its data rows as lists of strings."""

    path: Path
    kind: str
    headers: list[str]
    sha256: str
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    header_row: int = 1
    rows_hint: int = 0
    _rows: Iterator[tuple[int, list[str]]] = field(default_factory=lambda: iter(()), repr=False)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number as a spreadsheet shows it, cells) for each non-blank data row."""
        return self._rows


def open_source(
    path: Path, sheet: str | None = None, header_row: int | None = None, is_header: HeaderTest | None = None
) -> Source:
    """Open a CSV or XLSX lead file; raises a LeadFileError naming the file and the problem.

    The header is row `header_row` when given, else the first of the first rows that `is_header` accepts
    (title rows above it are skipped), else the first non-blank row.
    """
    finder = _HeaderFinder(str(path), header_row, is_header)
    name = str(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise UnreadableFile(name, fmt_os_error(exc)) from None
    if head == _ZIP:
        return _open_xlsx(path, sheet, finder)
    if head == _OLE:
        raise UnreadableFile(name, _("old Excel (.xls) or protected workbook: save it as .xlsx or CSV"))
    return _open_csv(path, finder)


def _scan(path: Path) -> tuple[str, str, int]:
    """(encoding, sha256, line count) from one pass over the bytes."""
    digest = hashlib.sha256()
    lines = 0
    encoding = ""
    utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        first = True
        while chunk := handle.read(_CHUNK):
            if first:
                first = False
                encoding = next((enc for bom, enc in _BOMS if chunk.startswith(bom)), "")
                if not encoding and b"\x00" in chunk[:65536]:
                    raise UnreadableFile(str(path), _("binary data, not a CSV or XLSX file"))
            digest.update(chunk)
            lines += chunk.count(b"\n")
            if not encoding and utf8 is not None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = None
    if not encoding and utf8 is not None:
        try:
            utf8.decode(b"", final=True)  # a sequence cut off at the very end
        except UnicodeDecodeError:
            utf8 = None
    if not encoding:
        encoding = "utf-8" if utf8 is not None else "cp1252"
    if encoding == "cp1252" and _undefined_in_cp1252(path):
        encoding = "latin-1"
    return encoding, digest.hexdigest(), lines


def _undefined_in_cp1252(path: Path) -> bool:
    # Five bytes have no CP1252 character; Latin-1 reads every byte.
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if any(b in chunk for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
                return True
    return False


def _sniff(sample: str) -> str:
    """The delimiter that splits the lines into most columns, consistently over the first lines.

    The usual width is what counts, not the first line's: title rows above the header have one cell.
    """
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ";"
    text = "\n".join(lines)

    def score(delimiter: str) -> tuple[bool, float, int]:
        widths = Counter(len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter))
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
        return width > 1, count / len(lines), width

    return max(DELIMITERS, key=score)


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > max(2, len(text) // 100)


def _open_csv(path: Path, finder: _HeaderFinder) -> Source:
    name = str(path)
    encoding, sha256, lines = _scan(path)
    with path.open(encoding=encoding, newline="", errors="replace") as handle:
        sample = handle.read(65536)
    if not sample.strip():
        raise EmptyFile(name, _("the file is empty"))
    if _looks_binary(sample):
        raise UnreadableFile(name, _("binary data, not a CSV or XLSX file"))
    # Excel understands (and some tools write) a first line `sep=;` naming the delimiter.
    declared = sample[4] if sample.startswith("sep=") and len(sample) > 4 else ""
    delimiter = declared if declared in DELIMITERS else _sniff(sample)
    rows = _decoded(name, encoding, csv_records(path, encoding, delimiter, skip_first=bool(declared)))
    header_row, headers, rest = finder.find(rows)
    return Source(path, "csv", headers, sha256, encoding=encoding.replace("-sig", ""), delimiter=delimiter,
                  header_row=header_row, rows_hint=max(lines - header_row, 0), _rows=_data(rest, len(headers)))


def _decoded(name: str, encoding: str, rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """The rows, with bytes that are not text in the file's encoding (after a BOM saying otherwise, or a cut
    UTF-16 file) turned into one clear refusal; the import's transaction then stores nothing."""
    try:
        yield from rows
    except UnicodeDecodeError:
        raise UnreadableFile(name, _("bytes that are not {encoding} text: save the file again as UTF-8 CSV")
                             .format(encoding=encoding.replace("-sig", "").upper())) from None


class _HeaderFinder:
    """Where the header is: a forced row number, or the first row that looks like one below any title rows."""

    def __init__(self, name: str, header_row: int | None, is_header: HeaderTest | None) -> None:
        self.name = name
        self.header_row = header_row
        self.is_header = is_header

    def find(self, rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str], Iterator[tuple[int, list[str]]]]:
        """(header row number, header cells, the rows below it)."""
        if self.header_row is not None:
            for number, row in rows:
                if number == self.header_row:
                    if not any(cell.strip() for cell in row):
                        raise HeaderRowNotFound(self.name, self.header_row, blank=True)
                    return number, [cell.strip() for cell in row], rows
            raise HeaderRowNotFound(self.name, self.header_row)
        seen: list[tuple[int, list[str]]] = []
        for number, row in rows:
            if not any(cell.strip() for cell in row):
                continue
            seen.append((number, row))
            if self.is_header is None or self.is_header(row) or len(seen) >= HEADER_SEARCH:
                break
        if not seen:
            raise EmptyFile(self.name, _("the file is empty"))
        at = next((i for i, (_n, row) in enumerate(seen) if self.is_header and self.is_header(row)), 0)
        number, row = seen[at]
        return number, [cell.strip() for cell in row], chain(seen[at + 1:], rows)


def _data(rows: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    for number, row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))  # in place: a BrokenRow stays one
        if any(row):
            yield number, row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# What a damaged workbook raises from the zip, deflate and XML layers under openpyxl.
_BROKEN_WORKBOOK: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError,
                                                 ValueError, TypeError, IndexError, AttributeError, SyntaxError)


def _open_xlsx(path: Path, sheet: str | None, finder: _HeaderFinder) -> Source:
    from openpyxl import load_workbook  # only XLSX imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    name = str(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    # A file object, so that a workbook saved under another extension (".csv") still opens.
    handle = path.open("rb")
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except (*_BROKEN_WORKBOOK, InvalidFileException) as exc:
        handle.close()
        raise UnreadableFile(name, _("not a readable XLSX workbook ({reason})").format(reason=exc)) from None
    names = book.sheetnames
    if sheet is not None:
        wanted = next((s for s in names if s.strip().lower() == sheet.strip().lower()), None)
        if wanted is None:
            book.close()
            handle.close()
            raise SheetNotFound(name, sheet, names)
    else:
        wanted = names[0]
    worksheet = book[wanted]

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, [_cell(v) for v in values]
        except _BROKEN_WORKBOOK as exc:
            # The sheet is read lazily: a damaged part shows only now (found by tests/leads/test_importer_fuzz.py).
            raise UnreadableFile(name, _("not a readable XLSX workbook ({reason})").format(
                reason=type(exc).__name__)) from None
        finally:
            book.close()
            handle.close()

    header_row, headers, rest = finder.find(rows())
    while headers and not headers[-1]:
        headers.pop()
    hint = max((worksheet.max_row or 0) - header_row, 0)
    return Source(path, "xlsx", headers, digest, sheet=wanted, header_row=header_row, rows_hint=hint,
                  _rows=_data(rest, len(headers)))
