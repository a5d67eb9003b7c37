"""The service levels as the client reads them: indicator, slot, target, measured, met."""

from __future__ import annotations

import pandas as pd

from config.i18n import _
from reports.service_levels import ANSWER_RATE, COMPLETENESS, CONFORMITY, TRANSMISSION
from reports.weekly_dashboard import COUNT, PERCENT, TEXT, Column, ReportTable

INDICATORS = {
    ANSWER_RATE: lambda: _("Answer rate"),
    TRANSMISSION: lambda: _("Appointments received within the delay (business hours)"),
    COMPLETENESS: lambda: _("Appointment sheets complete"),
    CONFORMITY: lambda: _("Appointments meeting every criterion"),
}


def _slot(indicator: str, slot: str) -> str:
    if indicator == ANSWER_RATE:
        first, _sep, last = slot.partition("-")
        if not first:
            return _("before {time}").format(time=last)
        if not last:
            return _("from {time}").format(time=first)
        return _("{start} – {end}").format(start=first, end=last)
    return slot


def met_text(met: object) -> str:
    """`Atteint`, `Non atteint`, or why nothing was measured."""
    if met is None or (isinstance(met, float) and pd.isna(met)):
        return _("Not measured")
    return _("Met") if bool(met) else _("Not met")


def service_level_table(levels: pd.DataFrame, sends_as_taken: bool) -> ReportTable:
    """The rows of `reports.service_levels.service_levels` with their labels."""
    columns = (Column(_("Indicator"), TEXT), Column(_("Slot"), TEXT), Column(_("Target"), PERCENT),
               Column(_("Measured"), PERCENT), Column(_("Result"), TEXT), Column(_("Measured on"), COUNT))
    rows = []
    for line in levels.itertuples():
        measured = None if pd.isna(line.measured) else float(line.measured)
        rows.append([INDICATORS[line.indicator](), _slot(line.indicator, line.slot), float(line.target), measured,
                     met_text(line.met), int(line.count)])
    note = ""
    if not sends_as_taken:
        note = _("The delay of transmission applies when appointments are sent as soon as they are taken; "
                 "this campaign sends them in the daily e-mail.")
    return ReportTable("service_levels", _("Service levels"), columns, rows, note)
