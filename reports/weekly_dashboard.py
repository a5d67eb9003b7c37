"""The weekly dashboard ("tableau de bord") of a campaign: its figures, and the tables the e-mail, the charts and
the XLSX show, each table defined once with its French headers and the kind of each column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from campaigns.appointment_services import day_bounds
from campaigns.models import Campaign
from config.i18n import _, fmt_date
from reports import kpis
from reports.agent_time import ESTIMATE
from reports.kpi_frames import DEFAULT_CENTRE_TIMEZONE, CampaignFacts, campaign_facts, load_frames
from reports.labels import FIGURES
from reports.service_levels import Targets, service_levels

# Column kinds: how a value is written in the e-mail (config.i18n) and formatted in the XLSX.
TEXT, COUNT, PERCENT, HOURS, SECONDS, DAY, DECIMAL = "text", "count", "percent", "hours", "seconds", "day", "decimal"
BY_ROW = "by_row"
WEEKDAYS = (lambda: _("Monday"), lambda: _("Tuesday"), lambda: _("Wednesday"), lambda: _("Thursday"),
            lambda: _("Friday"), lambda: _("Saturday"), lambda: _("Sunday"))  # fmt: skip


@dataclass(frozen=True)
class Column:
    header: str
    kind: str


@dataclass(frozen=True)
class ReportTable:
    """One subject of the dashboard: a title, typed columns, rows of plain values (ratios as 0.25)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Any]]
    note: str = ""
    # For a table of mixed figures (the key figures): the kind of every value column, row by row.
    row_kinds: tuple[str, ...] = ()

    def kind(self, row: int, column: int) -> str:
        """How the value at (row, column) is written."""
        if self.row_kinds and self.columns[column].kind == BY_ROW:
            return self.row_kinds[row]
        return self.columns[column].kind


@dataclass(frozen=True)
class WeeklyDashboard:
    """Everything a week's dashboard shows: the campaign, the week, its figures and the week before's."""

    facts: CampaignFacts
    client: str
    first: date
    last: date
    week: kpis.Figures
    previous: kpis.Figures
    frames: kpis.KpiFrames = field(repr=False)
    levels: pd.DataFrame = field(repr=False)

    @property
    def week_name(self) -> str:
        iso = self.first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    def period_text(self) -> str:
        """`du 7 au 13 décembre 2026`, `du 30 novembre au 6 décembre 2026`."""
        first, last = self.first, self.last
        if (first.year, first.month) == (last.year, last.month):
            start = fmt_date(first, "d")
        else:
            start = fmt_date(first, "d MMMM" if first.year == last.year else "d MMMM y")
        return _("from {first} to {last}").format(first=start, last=fmt_date(last, "d MMMM y"))

    def _week(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return (kpis.in_period(self.frames.attempts, self.first, self.last),
                kpis.in_period(self.frames.appointments, self.first, self.last))  # fmt: skip

    def by_day(self) -> pd.DataFrame:
        attempts, appointments = self._week()
        days = pd.date_range(self.first, self.last, freq="D", name="day")
        frame = kpis.by_day(attempts, appointments, self.facts.argued)
        return _reindexed(frame, days)

    def by_hour(self) -> pd.DataFrame:
        attempts, appointments = self._week()
        return kpis.by_hour_band(attempts, appointments, self.facts.argued)

    def by_weekday(self) -> pd.DataFrame:
        attempts, appointments = self._week()
        return kpis.by_weekday(attempts, appointments, self.facts.argued)

    def by_departement(self) -> pd.DataFrame:
        attempts, appointments = self._week()
        return kpis.by_departement(attempts, appointments, self.frames.leads, self.facts.argued)


def _reindexed(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    counts = ["dials", "answered", "argued", "rdvs"]
    result = frame.reindex(index)
    result[counts] = result[counts].fillna(0).astype("int64")
    return result.fillna(0.0)


def build_dashboard(session: Session, campaign_id: int, first: date, last: date,
                    centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> WeeklyDashboard:
    """The dashboard of the days `first` … `last` (a week, Monday to Sunday) and of the 7 days before."""
    facts = campaign_facts(session, campaign_id)
    campaign = session.get_one(Campaign, campaign_id)
    since, _end = day_bounds(first - timedelta(days=7), facts.timezone)
    _start, until = day_bounds(last, facts.timezone)
    frames = load_frames(session, facts, since, until, centre_timezone)
    week = kpis.figures(frames, first, last, facts.argued)
    previous = kpis.figures(frames, first - timedelta(days=7), last - timedelta(days=7), facts.argued)
    levels = service_levels(kpis.in_period(frames.attempts, first, last),
                            kpis.in_period(frames.appointments, first, last),
                            boundaries=facts.settings.hour_bands, sends_as_taken=sends_as_taken(facts),
                            targets=Targets.of(facts.settings))  # fmt: skip
    return WeeklyDashboard(facts, campaign.client.name, first, last, week, previous, frames, levels)


def sends_as_taken(facts: CampaignFacts) -> bool:
    """Whether the campaign e-mails each RDV as soon as it is taken (the transmission service level applies)."""
    return facts.settings.send_rdv_as_taken


HEADLINE: tuple[tuple[str, Any, str], ...] = (
    ("dials", FIGURES["dials"], COUNT),
    ("leads_worked", FIGURES["leads_worked"], COUNT),
    ("answered", FIGURES["answered"], COUNT),
    ("answer_rate", FIGURES["answer_rate"], PERCENT),
    ("right_party_contacts", FIGURES["right_party_contacts"], COUNT),
    ("argued_contacts", FIGURES["argued_contacts"], COUNT),
    ("rdvs", FIGURES["rdvs"], COUNT),
    ("conversion", FIGURES["conversion"], PERCENT),
    ("conformity_rate", FIGURES["conformity_rate"], PERCENT),
    ("agent_hours", FIGURES["agent_hours"], HOURS),
    ("occupancy", FIGURES["occupancy"], PERCENT),
    ("rdvs_per_agent_hour", FIGURES["rdvs_per_agent_hour"], DECIMAL),
    ("handling_time_s", FIGURES["handling_time_s"], SECONDS),
    ("abandonment_period", lambda: _("Abandoned calls over the week"), PERCENT),
    ("abandonment_rolling", lambda: _("Abandoned calls over 30 rolling days"), PERCENT),
    ("list_penetration", FIGURES["list_penetration"], PERCENT),
)


AS_OF_NOW = frozenset({"list_penetration"})


def headline_table(board: WeeklyDashboard) -> ReportTable:
    """The week's figures beside the week before's."""
    columns = (Column(_("Indicator"), TEXT), Column(_("This week"), BY_ROW), Column(_("Week before"), BY_ROW))
    # Lead statuses have no history: list penetration is today's, so the week before has none to show.
    # A week before without any call (the campaign's first week) shows dashes, not rates of nothing.
    rows = [[label(), getattr(board.week, key),
             None if key in AS_OF_NOW or not board.previous.dials else getattr(board.previous, key)]
            for key, label, _kind in HEADLINE]  # fmt: skip
    return ReportTable("headline", _("Key figures"), columns, rows, hours_note(board),
                       row_kinds=tuple(k for _k, _l, k in HEADLINE))  # fmt: skip


def hours_note(board: WeeklyDashboard) -> str:
    """Where the week's teleoperator hours come from: the presence history, or the calls where it is missing."""
    states = kpis.in_period(board.frames.agent_states, board.first, board.last)
    if "source" in states and (states["source"] == ESTIMATE).any():
        return _("Teleoperator hours are the time logged in; where no presence was recorded, from each one's "
                 "first call of the day to the end of their last.")
    return _("Teleoperator hours are the time logged in, from the presence history.")


def _result_columns(first: Column) -> tuple[Column, ...]:
    return (first, Column(_("Calls"), COUNT), Column(_("Answered"), COUNT), Column(_("Answer rate"), PERCENT),
            Column(_("Argued contacts"), COUNT), Column(_("Appointments"), COUNT),
            Column(_("Conversion"), PERCENT))  # fmt: skip


def _result_rows(frame: pd.DataFrame, keys: list[Any]) -> list[list[Any]]:
    return [[key, int(r.dials), int(r.answered), float(r.answer_rate), int(r.argued), int(r.rdvs),
             float(r.conversion)] for key, r in zip(keys, frame.itertuples(), strict=True)]  # fmt: skip


def day_table(board: WeeklyDashboard) -> ReportTable:
    frame = board.by_day()
    return ReportTable("days", _("Day by day"), _result_columns(Column(_("Day"), DAY)),
                       _result_rows(frame, [d.date() for d in frame.index]))  # fmt: skip


def hour_table(board: WeeklyDashboard) -> ReportTable:
    frame = board.by_hour()
    keys = [_("{start} h – {end} h").format(start=int(h), end=int(h) + 1) for h in frame.index]
    return ReportTable("hours", _("By hour of the day"), _result_columns(Column(_("Hour band"), TEXT)),
                       _result_rows(frame, keys), _("In the callee's local time."))  # fmt: skip


def weekday_table(board: WeeklyDashboard) -> ReportTable:
    frame = board.by_weekday()
    return ReportTable("weekdays", _("By day of the week"), _result_columns(Column(_("Weekday"), TEXT)),
                       _result_rows(frame, [WEEKDAYS[int(d)]() for d in frame.index]))  # fmt: skip


def departement_table(board: WeeklyDashboard) -> ReportTable:
    frame = board.by_departement()
    keys = [code or _("Unknown") for code in frame.index]
    return ReportTable("departements", _("By département"), _result_columns(Column(_("Département"), TEXT)),
                       _result_rows(frame, keys))  # fmt: skip


def attempts_table(board: WeeklyDashboard) -> ReportTable:
    frame = kpis.attempts_per_lead(kpis.in_period(board.frames.attempts, board.first, board.last))
    rows = [[int(n), int(r.leads), float(r.share)] for n, r in zip(frame.index, frame.itertuples(), strict=True)]
    return ReportTable("attempts", _("Calls per lead"), (Column(_("Calls in the week"), COUNT),
                       Column(_("Leads"), COUNT), Column(_("Share of leads called"), PERCENT)), rows)  # fmt: skip


def refusals_table(board: WeeklyDashboard) -> ReportTable:
    attempts = kpis.in_period(board.frames.attempts, board.first, board.last)
    frame = kpis.refusal_reasons(attempts, board.facts.final, board.facts.argued)
    labels = board.facts.labels
    rows = [[labels.get(code, code), int(r.calls), float(r.share)]
            for code, r in zip(frame.index, frame.itertuples(), strict=True)]  # fmt: skip
    return ReportTable("refusals", _("Reasons for refusal"), (Column(_("Reason"), TEXT), Column(_("Calls"), COUNT),
                       Column(_("Share"), PERCENT)), rows)  # fmt: skip


def tables(board: WeeklyDashboard) -> list[ReportTable]:
    """Every table of the dashboard, in the order the client reads them."""
    from reports.service_level_table import service_level_table

    return [headline_table(board), day_table(board), hour_table(board), weekday_table(board),
            departement_table(board), attempts_table(board), refusals_table(board),
            service_level_table(board.levels, sends_as_taken(board.facts))]  # fmt: skip


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week of `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def current_week(now: datetime, zone: str) -> tuple[date, date]:
    """The week that contains `now` in `zone`."""
    from zoneinfo import ZoneInfo

    return week_of(now.astimezone(ZoneInfo(zone)).date())
