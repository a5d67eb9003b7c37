"""The weekly dashboard as an XLSX workbook: one sheet per subject, native Excel charts, French formats.

Number formats are written in Excel's neutral notation and shown in the reader's locale (`1 234`, `12,5 %`);
days carry the French locale tag so that Excel and LibreOffice write `lundi 7 décembre 2026` whatever the
machine's language.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from config.i18n import _
from reports.exports import keep_text
from reports.weekly_dashboard import (
    COUNT,
    DAY,
    DECIMAL,
    HOURS,
    PERCENT,
    SECONDS,
    ReportTable,
    WeeklyDashboard,
    tables,
)

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E79")
FORMATS = {
    COUNT: "#,##0",
    PERCENT: "0.0\\ %",
    HOURS: "#,##0.0",
    DECIMAL: "0.00",
    SECONDS: "[m]:ss",  # a duration: Excel stores it as a fraction of a day
    DAY: "[$-40C]dddd d mmmm yyyy",
}
FIRST_ROW = 4  # title, period, blank line, then the header row
# Which sheets get a chart: (table key, chart kind, value columns as 1-based table columns, secondary column).
CHARTS: dict[str, tuple[str, list[int], int | None]] = {
    "days": ("bar", [2], 6),
    "hours": ("bar", [4], None),
    "weekdays": ("bar", [2, 6], None),
    "departements": ("bar", [6], None),
    "attempts": ("bar", [2], None),
}


def _cell_value(value: Any, kind: str) -> Any:
    if kind == SECONDS and value is not None:
        return float(value) / 86400
    return value


def _write_table(ws: Worksheet, table: ReportTable, board: WeeklyDashboard) -> None:
    ws["A1"] = table.title
    ws["A1"].font = TITLE_FONT
    ws["A2"] = f"{board.facts.name} – {board.period_text()}"  # a campaign named "=…" stays text
    keep_text(ws["A2"])
    if table.note:
        ws["A3"] = table.note
        ws["A3"].font = Font(italic=True, color="555555")
    for column, spec in enumerate(table.columns, start=1):
        cell = ws.cell(FIRST_ROW, column, spec.header)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for r, row in enumerate(table.rows):
        for c, value in enumerate(row):
            kind = table.kind(r, c)
            cell = ws.cell(FIRST_ROW + 1 + r, c + 1, _cell_value(value, kind))
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
            keep_text(cell)
    _widths(ws, table)
    ws.freeze_panes = ws.cell(FIRST_ROW + 1, 1)
    # Printed or saved as PDF: one page wide, landscape, the chart beside its table.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _widths(ws: Worksheet, table: ReportTable) -> None:
    for c, spec in enumerate(table.columns, start=1):
        values = [len(str(row[c - 1])) for row in table.rows if table.columns[c - 1].kind == "text"]
        width = max([min(len(spec.header), 24), 12, *values])
        if table.columns[c - 1].kind == DAY:
            width = max(width, 26)
        ws.column_dimensions[get_column_letter(c)].width = min(width, 60) + 2


def _chart(ws: Worksheet, table: ReportTable, columns: list[int], secondary: int | None) -> None:
    rows = len(table.rows)
    if not rows:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = table.title
    chart.style = 10
    categories = Reference(ws, min_col=1, min_row=FIRST_ROW + 1, max_row=FIRST_ROW + rows)
    for column in columns:
        chart.add_data(Reference(ws, min_col=column, min_row=FIRST_ROW, max_row=FIRST_ROW + rows),
                       titles_from_data=True)  # fmt: skip
    chart.set_categories(categories)
    chart.y_axis.title = table.columns[columns[0] - 1].header
    if table.columns[columns[0] - 1].kind == PERCENT:
        chart.y_axis.numFmt = "0%"
    # openpyxl 3.1 marks axes deleted unless told: Excel would draw the chart without its scales.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if secondary is not None:
        line = LineChart()
        line.add_data(Reference(ws, min_col=secondary, min_row=FIRST_ROW, max_row=FIRST_ROW + rows),
                      titles_from_data=True)  # fmt: skip
        for series in line.series:
            series.smooth = False  # a day's count is a point, not a curve
        line.y_axis.axId = 200
        line.y_axis.title = table.columns[secondary - 1].header
        line.y_axis.crosses = "max"
        line.y_axis.delete = False
        chart += line
    chart.width, chart.height = 22, 10
    ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}{FIRST_ROW}")


def workbook(board: WeeklyDashboard) -> Workbook:
    """The dashboard workbook: the key figures first, then one sheet per subject."""
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    book.remove(first)
    for table in tables(board):
        ws = book.create_sheet(_sheet_name(table.title))
        _write_table(ws, table, board)
        if table.key in CHARTS:
            _kind, columns, secondary = CHARTS[table.key]
            _chart(ws, table, columns, secondary)
    book.properties.title = _("Weekly dashboard")
    book.properties.creator = "rdv"
    return book


def _sheet_name(title: str) -> str:
    # Excel's limit and forbidden characters for a sheet name.
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]


def workbook_bytes(board: WeeklyDashboard) -> bytes:
    """The dashboard workbook as bytes (an e-mail attachment)."""
    buffer = io.BytesIO()
    workbook(board).save(buffer)
    return buffer.getvalue()
