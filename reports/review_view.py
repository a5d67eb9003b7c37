"""A review's content worded and formatted for the client's page: every text translated here, so the message
catalogue sees them all; the template only lays them out.

The tone follows the written customer-relations training of the seeds: clear, personal, courteous, positive.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from config.i18n import _, fmt_date, fmt_number, fmt_percent, locale
from reports import review_charts
from reports.kpis import Figures
from reports.labels import FIGURES
from reports.review_content import ReviewContent
from reports.service_level_table import service_level_table

MAX_AREAS = 12  # départements shown in the chart and table: the ones with the most RDVs
MAX_LISTS = 10


def hour_label(hour: object) -> str:
    """`10 h – 11 h` for the band starting at 10:00."""
    start = int(str(hour))
    return _("{start}:00–{end}:00").format(start=start, end=start + 1)


def weekday_label(weekday: object) -> str:
    """`lundi` for 0."""
    return str(locale().days["format"]["wide"][int(str(weekday))])


def departement_label(code: object) -> str:
    return str(code) if code else _("unknown")


def month_title(day: pd.Timestamp | Any) -> str:
    """`décembre 2026`."""
    return fmt_date(day, "MMMM y")


def duration(seconds: float) -> str:
    """`3 min 25 s`."""
    minutes, rest = divmod(int(round(seconds)), 60)
    return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=f"{rest:02d}")


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    previous: str
    change: str
    better: bool | None  # None: no comparison, or no direction


def _change(now: float, before: float, rate: bool, higher_is_better: bool) -> tuple[str, bool | None]:
    if rate:
        points = (now - before) * 100
        if abs(points) < 0.05:
            return "=", None
        text = _("{sign}{points} pts").format(sign="+" if points > 0 else "−", points=fmt_number(abs(points), 1))
    else:
        if not before:
            return "", None
        share = (now - before) / before
        if abs(share) < 0.0005:
            return "=", None
        text = ("+" if share > 0 else "−") + fmt_percent(abs(share))
    return text, (now > before) == higher_is_better


def _figure_rows() -> list[tuple[str, str, Callable[[float], str], bool, bool]]:
    """(label, Figures field, formatter, is a rate, higher is better) of the headline table, in order."""
    count: Callable[[float], str] = lambda v: fmt_number(int(v))  # noqa: E731
    rate: Callable[[float], str] = lambda v: fmt_percent(v)  # noqa: E731
    return [
        (FIGURES["dials"](), "dials", count, False, True),
        (FIGURES["leads_worked"](), "leads_worked", count, False, True),
        (FIGURES["answered"](), "answered", count, False, True),
        (FIGURES["answer_rate"](), "answer_rate", rate, True, True),
        (FIGURES["argued_contacts"](), "argued_contacts", count, False, True),
        (FIGURES["rdvs"](), "rdvs", count, False, True),
        (FIGURES["conversion"](), "conversion", rate, True, True),
        (FIGURES["conformity_rate"](), "conformity_rate", rate, True, True),
        (FIGURES["rdvs_per_agent_hour"](), "rdvs_per_agent_hour", lambda v: fmt_number(v, 2), False, True),
        (FIGURES["occupancy"](), "occupancy", rate, True, True),
        (FIGURES["handling_time_s"](), "handling_time_s", duration, False, False),
        (_("Abandoned calls"), "abandonment_period", rate, True, False),
        (FIGURES["list_penetration"](), "list_penetration", rate, True, True),
    ]


def headlines(figures: Figures, previous: Figures | None) -> list[Headline]:
    """The headline table: each figure, last month's and the change (in points for rates)."""
    rows = []
    for label, name, show, is_rate, higher in _figure_rows():
        now = float(getattr(figures, name))
        if previous is None:
            rows.append(Headline(label, show(now), "", "", None))
            continue
        before = float(getattr(previous, name))
        text, better = _change(now, before, is_rate, higher)
        if name == "handling_time_s":
            better = None  # a longer conversation is neither good nor bad news by itself
        rows.append(Headline(label, show(now), show(before), text, better))
    return rows


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def breakdown_rows(table: pd.DataFrame, label: Callable[[object], str]) -> list[list[str]]:
    """Rows of a breakdown: segment, dials, answer rate, argued contacts, RDVs, conversion."""
    return [[label(key), fmt_number(int(r.dials)), fmt_percent(r.answer_rate), fmt_number(int(r.argued)),
             fmt_number(int(r.rdvs)), fmt_percent(r.conversion)] for key, r in table.iterrows()]  # fmt: skip


def charts(content: ReviewContent) -> dict[str, str]:
    """The review's charts as data URIs for the page."""
    found: dict[str, str] = {}
    per_day = content.per_day
    if len(per_day) and not content.final:  # the final report shows its months instead of every day
        days = [f"{d.day}" for d in per_day.index]
        found["days"] = _png(review_charts.calls_and_rdvs(days, list(per_day["dials"]), list(per_day["rdvs"])))
    bands = content.hour_bands[content.hour_bands["dials"] > 0]
    if len(bands):
        found["hours"] = _png(review_charts.rates([hour_label(h) for h in bands.index], list(bands["answer_rate"]),
                                                  content.figures.answer_rate, _("answer rate over the period")))
    areas = content.departements[content.departements["rdvs"] > 0].head(MAX_AREAS)
    if len(areas):
        found["areas"] = _png(review_charts.counts([departement_label(a) for a in areas.index],
                                                   [int(v) for v in areas["rdvs"]]))
    if content.final and len(content.per_month):
        found["months"] = _png(review_charts.counts([month_title(m) for m in content.per_month["month"]],
                                                    [int(v) for v in content.per_month["rdvs"]]))
    return found


def service_rows(levels: pd.DataFrame, sends_as_taken: bool) -> tuple[list[dict[str, str]], str]:
    """The service levels as the weekly dashboard words them (indicator, slot, target, measured, result), with
    their note."""
    table = service_level_table(levels, sends_as_taken)
    rows = []
    for indicator, slot, target, measured, met, _count in table.rows:
        missing = measured is None
        rows.append({"indicator": str(indicator), "slot": str(slot), "target": fmt_percent(float(target)),
                     "measured": "—" if missing else fmt_percent(float(measured)), "met": str(met),
                     "class": "na" if missing else ("ok" if float(measured) >= float(target) else "ko")})
    return rows, table.note
