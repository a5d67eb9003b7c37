"""What a monthly review (or a contract's final report) says, computed from the frames. Pure: no database.

The numbers come from `reports.kpis` and `reports.review_kpis`; the recommendations from
`reports.recommendations`; the page layout is `reports.monthly_review`'s business.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

import pandas as pd

from reports import kpis, review_kpis
from reports.kpis import Figures, KpiFrames
from reports.recommendations import CallEnds, Recommendation, ReviewInputs, Segment, recommend
from reports.review_frames import ReviewFrames
from reports.service_levels import Targets, service_levels

UNKNOWN_AREA = ""


@dataclass(frozen=True)
class ReviewFacts:
    """What the review needs to know of the campaign besides its calls."""

    client: str
    campaign: str
    argued: frozenset[str]
    final: frozenset[str]
    labels: Mapping[str, str]  # disposition code → label
    boundaries: Sequence[time]  # hour bands of the service levels
    sends_as_taken: bool = False
    targets: Targets = Targets()  # the campaign's service-level targets


@dataclass(frozen=True)
class ReviewContent:
    """One review: the period, its figures and the previous period's, the breakdowns, the qualitative part."""

    facts: ReviewFacts
    first: date
    last: date
    final: bool  # the whole contract's report rather than a month's
    figures: Figures
    previous: Figures | None
    per_day: pd.DataFrame
    per_month: pd.DataFrame  # final report only: the figures month by month
    hour_bands: pd.DataFrame
    weekdays: pd.DataFrame
    departements: pd.DataFrame
    lists: pd.DataFrame
    agents: pd.DataFrame
    refusals: pd.DataFrame
    ends: CallEnds
    unmet: list[tuple[str, int]]
    conform: int
    quality: review_kpis.QualityControl
    comments: list[review_kpis.VisitComment]
    service: pd.DataFrame
    recommendations: list[Recommendation]


def _segment(label: str, row: pd.Series, **extra: int) -> Segment:
    return Segment(label, int(row["dials"]), int(row["answered"]), int(row["argued"]), int(row["rdvs"]), **extra)


def overall(figures: Figures) -> Segment:
    """The period as one segment, the yardstick every other segment is compared with."""
    return Segment("", figures.dials, figures.answered, figures.argued_contacts, figures.rdvs)


def previous_month(first: date) -> tuple[date, date]:
    """The first and last days of the month before the one starting on `first`."""
    last = first.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def month_end(first: date) -> date:
    """The last day of the month of `first`."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _per_month(frames: KpiFrames, first: date, last: date, argued: Collection[str]) -> pd.DataFrame:
    rows = []
    start = first.replace(day=1)
    while start <= last:
        end = min(month_end(start), last)
        f = kpis.figures(frames, max(start, first), end, argued)
        rows.append({"month": pd.Timestamp(start), "dials": f.dials, "answer_rate": f.answer_rate,
                     "argued": f.argued_contacts, "rdvs": f.rdvs, "conversion": f.conversion})
        start = end + timedelta(days=1)
    return pd.DataFrame(rows, columns=["month", "dials", "answer_rate", "argued", "rdvs", "conversion"])


def build_review(frames: KpiFrames, extra: ReviewFrames, facts: ReviewFacts, first: date, last: date,
                 final: bool = False, labels: Mapping[str, Mapping[object, str]] | None = None) -> ReviewContent:
    """Every figure, table and recommendation of the review of the days `first` … `last`.

    `labels` names segments for the client (`hour_bands`: 10 → `10 h – 11 h`, `weekdays`: 0 → `lundi`,
    `departements`); `frames` must reach back to the previous month for its trend (monthly reviews only).
    """
    names = labels or {}
    attempts = kpis.in_period(frames.attempts, first, last)
    appointments = kpis.in_period(frames.appointments, first, last)
    figures = kpis.figures(frames, first, last, facts.argued)
    previous = None
    if not final:
        before = previous_month(first)
        prior = kpis.figures(frames, before[0], before[1], facts.argued)
        previous = prior if prior.dials else None
    bands = kpis.by_hour_band(attempts, appointments, facts.argued)
    weekdays = kpis.by_weekday(attempts, appointments, facts.argued)
    areas = kpis.by_departement(attempts, appointments, frames.leads, facts.argued)
    lists = review_kpis.by_list(attempts, appointments, frames.leads, extra.lists, facts.argued)
    agents = review_kpis.by_agent(attempts, appointments, facts.argued)
    refusals = kpis.refusal_reasons(attempts, facts.final, facts.argued)
    ends = review_kpis.call_ends(attempts, facts.argued, facts.labels, set(refusals.index))
    details = extra.appointment_details
    unmet = review_kpis.unmet_criteria(details)
    conform = int(appointments["conform"].sum())

    def segments(table: pd.DataFrame, kind: str, skip: Collection[object] = ()) -> list[Segment]:
        return [_segment(names.get(kind, {}).get(key, str(key)), row) for key, row in table.iterrows()
                if key not in skip]  # fmt: skip

    list_segments = [_segment(str(key) or "—", row, leads=int(row["leads"]), unreached=int(row["unreached"]),
                              unusable=int(row["unusable"])) for key, row in lists.iterrows()]  # fmt: skip
    inputs = ReviewInputs(
        month=overall(figures), previous=overall(previous) if previous else None,
        hour_bands=segments(bands, "hour_bands"), weekdays=segments(weekdays, "weekdays"), lists=list_segments,
        departements=segments(areas, "departements", skip=(UNKNOWN_AREA,)), agents=segments(agents, "agents"),
        ends=ends, conform=conform, unmet=unmet,
    )
    return ReviewContent(
        facts=facts, first=first, last=last, final=final, figures=figures, previous=previous,
        per_day=kpis.by_day(attempts, appointments, facts.argued),
        per_month=_per_month(frames, first, last, facts.argued) if final else pd.DataFrame(),
        hour_bands=bands, weekdays=weekdays, departements=areas, lists=lists, agents=agents, refusals=refusals,
        ends=ends, unmet=unmet, conform=conform, quality=review_kpis.quality_control(extra.appointment_events),
        comments=review_kpis.visit_comments(extra.appointment_events),
        service=service_levels(attempts, appointments, boundaries=facts.boundaries,
                               sends_as_taken=facts.sends_as_taken, targets=facts.targets),
        recommendations=recommend(inputs),
    )  # fmt: skip
