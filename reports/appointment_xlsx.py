"""The RDV sheets as an XLSX file (openpyxl): one row per appointment, every field and answer.

Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return) is stored as a
text cell with Excel's quote-prefix flag, so a prospect's answer can never run in the client's Excel and
reads as it was typed, without an apostrophe.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, time

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from config.i18n import _
from reports.appointment_sheet import AppointmentSheet, DailyAppointments
from reports.exports import keep_text

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MAX_WIDTH = 60


def _local(moment: datetime) -> datetime:
    # Excel has no time zones: the wall-clock time of the prospect's zone is what the client needs.
    return moment.replace(tzinfo=None)


def _headers(answer_labels: Sequence[str]) -> list[str]:
    return [
        _("Reference"), _("Visit date"), _("Start"), _("End"), _("Civility"), _("Last name"), _("First name"),
        _("Phone"), _("E-mail"), _("Address"), _("Postcode"), _("City"), *answer_labels,
        _("Comments"), _("Agent"), _("Taken on"), _("Criteria met"), _("Unmet criteria"), _("Call"),
    ]


def _row(sheet: AppointmentSheet, answer_labels: Sequence[str]) -> list[object]:
    answers = {a.label: a.text for a in sheet.answers}
    return [
        sheet.reference, sheet.visit_start.date(), sheet.visit_start.time().replace(tzinfo=None),
        sheet.visit_end.time().replace(tzinfo=None), sheet.civility, sheet.last_name, sheet.first_name,
        sheet.phone, sheet.email, sheet.address, sheet.postcode, sheet.city,
        *(answers.get(label, "") for label in answer_labels),
        sheet.comments, sheet.agent, _local(sheet.taken_at), _("Yes") if sheet.conform else _("No"),
        "; ".join(sheet.unmet), sheet.call_id if sheet.call_id is not None else "",
    ]


def answer_columns(sheets: Sequence[AppointmentSheet]) -> list[str]:
    """Question labels in the order they first appear (sheets of older script versions may differ)."""
    labels: dict[str, None] = {}
    for sheet in sheets:
        for answer in sheet.answers:
            labels.setdefault(answer.label, None)
    return list(labels)


def workbook_bytes(content: DailyAppointments) -> bytes:
    """The XLSX file of a daily e-mail's RDV sheets."""
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)
    ws.title = _("RDV sheets")[:31]
    labels = answer_columns(content.sheets)
    ws.append(_headers(labels))
    for sheet in content.sheets:
        ws.append(_row(sheet, labels))
    _style(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _style(ws: Worksheet) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            keep_text(cell)
            if cell.row == 1:
                cell.font, cell.fill = HEADER_FONT, HEADER_FILL
                cell.alignment = Alignment(vertical="center", wrap_text=True)
            elif isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(cell.value, time):
                cell.number_format = "hh:mm"
            text = str(cell.value) if cell.value is not None else ""
            column = cell.column or 1
            widths[column] = max(widths.get(column, 8), min(MAX_WIDTH, len(text) + 2))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
