"""Every KPI on small literal frames, each figure worked out by hand in the test."""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from reports import kpis

ARGUED = {"rdv", "callback", "refused", "not_target", "already_equipped"}
FINAL = {"rdv", "refused", "not_target", "already_equipped", "wrong_number", "do_not_call", "objection"}
NAN = np.nan


def _attempts(rows: list[tuple]) -> pd.DataFrame:
    """(lead, day, local time, outcome, talk, wrap, agent, disposition)."""
    frame = pd.DataFrame(rows, columns=["lead_id", "day", "local_at", "outcome", "talk_s", "wrap_s", "agent",
                                        "disposition"])  # fmt: skip
    frame["day"] = pd.to_datetime(frame["day"])
    frame["local_at"] = pd.to_datetime(frame["local_at"])
    return frame.astype({"talk_s": "float64", "wrap_s": "float64"})


# Monday 7 and Tuesday 8 December 2026, callee's local times.
ATTEMPTS = _attempts([
    (1, "2026-12-07", "2026-12-07 10:05", "no_answer", NAN, NAN, "", ""),
    (1, "2026-12-07", "2026-12-07 15:10", "connected", 120.0, 30.0, "ana", "rdv"),
    (2, "2026-12-07", "2026-12-07 10:20", "busy", NAN, NAN, "", ""),
    (2, "2026-12-08", "2026-12-08 11:00", "connected", 60.0, NAN, "ana", "refused"),
    (3, "2026-12-07", "2026-12-07 10:40", "dropped", NAN, NAN, "", ""),
    (3, "2026-12-08", "2026-12-08 15:30", "connected", 200.0, 20.0, "bob", "wrong_number"),
    (4, "2026-12-08", "2026-12-08 15:45", "machine", NAN, NAN, "", ""),
    (4, "2026-12-08", "2026-12-08 16:00", "connected", 100.0, 10.0, "bob", "callback"),
    (5, "2026-12-08", "2026-12-08 16:30", "", NAN, NAN, "", ""),  # live: not a dial yet
])  # fmt: skip
LEADS = pd.DataFrame({
    "lead_id": [1, 2, 3, 4, 5, 6],
    "status": ["final", "final", "final", "retry", "new", "exhausted"],
    "attempts": [2, 2, 2, 2, 1, 20],
    "departement": ["33", "33", "2A", "971", "", "33"],
})  # fmt: skip
APPOINTMENTS = pd.DataFrame({
    "lead_id": [1],
    "day": pd.to_datetime(["2026-12-07"]),
    "local_at": pd.to_datetime(["2026-12-07 15:12"]),
    "agent": ["ana"], "conform": [True], "complete": [True], "departement": ["33"], "state": ["taken"],
    "transmission_s": [240.0], "business_hours": [True],
})  # fmt: skip


def test_counts_and_rates_follow_their_definitions() -> None:
    assert kpis.dials(ATTEMPTS) == 8
    assert kpis.answered(ATTEMPTS) == 5  # four connected and one dropped; the machine is no answer
    assert kpis.answer_rate(ATTEMPTS) == 5 / 8
    assert kpis.leads_worked(ATTEMPTS) == 4
    assert kpis.list_penetration(LEADS) == 4 / 6  # final ×3 and exhausted
    assert kpis.right_party_contacts(ATTEMPTS) == 3  # the wrong number is not the person sought
    assert kpis.argued_contacts(ATTEMPTS, ARGUED) == 3
    assert kpis.rdvs(APPOINTMENTS) == 1
    assert kpis.conversion(APPOINTMENTS, ATTEMPTS, ARGUED) == 1 / 3
    assert kpis.handling_time(ATTEMPTS) == (150 + 60 + 220 + 110) / 4


def test_rates_of_nothing_are_zero_not_an_error() -> None:
    empty = ATTEMPTS.iloc[0:0]
    assert kpis.answer_rate(empty) == 0.0
    assert kpis.handling_time(empty) == 0.0
    assert kpis.conformity_rate(APPOINTMENTS.iloc[0:0]) == 0.0
    assert kpis.abandonment(empty, date(2026, 12, 7)).rolling == 0.0


def test_conformity_and_completeness_count_sheets() -> None:
    sheets = pd.DataFrame({"conform": [True, False, True, True], "complete": [True, True, False, True]})
    assert kpis.conformity_rate(sheets) == 0.75
    assert kpis.completeness_rate(sheets) == 0.75


def test_abandonment_counts_the_day_and_the_thirty_days_ending_on_it() -> None:
    old = _attempts([
        (9, "2026-11-09", "2026-11-09 10:00", "dropped", NAN, NAN, "", ""),  # 29 days before 8 Dec: inside
        (9, "2026-11-08", "2026-11-08 10:00", "dropped", NAN, NAN, "", ""),  # 30 days before: outside
    ])  # fmt: skip
    both = pd.concat([ATTEMPTS, old], ignore_index=True)
    tuesday = kpis.abandonment(both, date(2026, 12, 8))
    assert (tuesday.dropped_day, tuesday.answered_day) == (0, 3)
    assert (tuesday.dropped_rolling, tuesday.answered_rolling) == (2, 6)
    assert tuesday.rolling == 2 / 6
    monday = kpis.abandonment(both, date(2026, 12, 7))
    assert monday.day == 1 / 2


def test_abandonment_is_the_pacing_statistics_definition() -> None:
    from dialer.pacing_stats import DialOutcome, PacingStats

    stats = PacingStats()
    for row in ATTEMPTS.itertuples():
        day = row.day.date()
        if row.outcome in kpis.HUMAN_OUTCOMES:
            stats.dial_resolved(day, DialOutcome.HUMAN, 1.0)
        if row.outcome == "dropped":
            stats.call_dropped(day)
    for day in (date(2026, 12, 7), date(2026, 12, 8)):
        pacing, ours = stats.snapshot(day), kpis.abandonment(ATTEMPTS, day)
        assert (pacing.humans_today, pacing.dropped_today) == (ours.answered_day, ours.dropped_day)
        assert (pacing.humans_30d, pacing.dropped_30d) == (ours.answered_rolling, ours.dropped_rolling)


def test_attempts_per_lead_is_a_distribution_of_dialled_leads() -> None:
    expected = pd.DataFrame({"leads": [4], "share": [1.0]}, index=pd.Index([2], name="attempts"))
    assert_frame_equal(kpis.attempts_per_lead(ATTEMPTS), expected)
    more = pd.concat([ATTEMPTS, _attempts([(7, "2026-12-08", "2026-12-08 10:00", "busy", NAN, NAN, "", "")])])
    expected = pd.DataFrame({"leads": [1, 4], "share": [0.2, 0.8]}, index=pd.Index([1, 2], name="attempts"))
    assert_frame_equal(kpis.attempts_per_lead(more), expected)


def _table(index: pd.Index, dials: list[int], answered: list[int], argued: list[int], rdvs: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame({"dials": dials, "answered": answered, "argued": argued, "rdvs": rdvs}, index=index,
                         dtype="int64")  # fmt: skip
    frame["answer_rate"] = [a / d if d else 0.0 for a, d in zip(answered, dials, strict=True)]
    frame["conversion"] = [r / g if g else 0.0 for r, g in zip(rdvs, argued, strict=True)]
    return frame


def test_results_by_hour_of_the_callees_day() -> None:
    expected = _table(pd.Index([10, 11, 15, 16], name="band", dtype="int32"), [3, 1, 3, 1], [1, 1, 2, 1],
                      [0, 1, 1, 1], [0, 0, 1, 0])  # fmt: skip
    assert_frame_equal(kpis.by_hour_band(ATTEMPTS, APPOINTMENTS, ARGUED), expected, check_index_type=False)


def test_results_by_the_campaigns_hour_bands_keep_empty_bands() -> None:
    bands = (time(12), time(14), time(17))
    labels = ["-12:00", "12:00-14:00", "14:00-17:00", "17:00-"]
    expected = _table(pd.Index(labels, name="band"), [4, 0, 4, 0], [2, 0, 3, 0], [1, 0, 2, 0], [0, 0, 1, 0])
    assert_frame_equal(kpis.by_hour_band(ATTEMPTS, APPOINTMENTS, ARGUED, bands), expected)


def test_results_by_weekday_day_and_departement() -> None:
    weekday = _table(pd.Index([0, 1], name="weekday", dtype="int32"), [4, 4], [2, 3], [1, 2], [1, 0])
    assert_frame_equal(kpis.by_weekday(ATTEMPTS, APPOINTMENTS, ARGUED), weekday, check_index_type=False)
    day = _table(pd.DatetimeIndex(["2026-12-07", "2026-12-08"], name="day"), [4, 4], [2, 3], [1, 2], [1, 0])
    assert_frame_equal(kpis.by_day(ATTEMPTS, APPOINTMENTS, ARGUED), day, check_index_type=False)
    departement = _table(pd.Index(["33", "2A", "971"], name="departement"), [4, 2, 2], [2, 2, 1], [2, 0, 1],
                         [1, 0, 0])  # fmt: skip
    assert_frame_equal(kpis.by_departement(ATTEMPTS, APPOINTMENTS, LEADS, ARGUED), departement)


def test_refusal_reasons_are_the_argued_final_noes_and_objections() -> None:
    calls = pd.concat([ATTEMPTS, _attempts([
        (8, "2026-12-08", "2026-12-08 11:00", "connected", 30.0, 5.0, "ana", "refused"),
        (9, "2026-12-08", "2026-12-08 11:10", "connected", 40.0, 5.0, "ana", "objection"),
        (10, "2026-12-08", "2026-12-08 11:20", "connected", 50.0, 5.0, "ana", "not_target"),
    ])], ignore_index=True)  # fmt: skip
    expected = pd.DataFrame({"calls": [2, 1, 1], "share": [0.5, 0.25, 0.25]},
                            index=pd.Index(["refused", "not_target", "objection"], name="disposition"))
    assert_frame_equal(kpis.refusal_reasons(calls, FINAL, ARGUED), expected)


def test_agent_hours_count_every_state_but_logged_out() -> None:
    states = pd.DataFrame({
        "agent": ["ana", "ana", "bob"],
        "day": pd.to_datetime(["2026-12-07"] * 3),
        "state": ["available", "logged_out", "paused"],
        "start": pd.to_datetime(["2026-12-07 09:00", "2026-12-07 12:00", "2026-12-07 09:00"]),
        "end": pd.to_datetime(["2026-12-07 12:00", "2026-12-07 13:00", "2026-12-07 10:30"]),
    })  # fmt: skip
    assert kpis.agent_hours(states) == 4.5
    assert kpis.rdvs_per_agent_hour(APPOINTMENTS, states) == 1 / 4.5


def test_occupancy_is_time_on_calls_and_wrap_up_over_time_logged_in() -> None:
    states = pd.DataFrame({
        "agent": ["ana"] * 5,
        "day": pd.to_datetime(["2026-12-07"] * 5),
        "state": ["available", "on_call", "wrap_up", "paused", "logged_out"],
        "start": pd.to_datetime(["2026-12-07 09:00", "2026-12-07 09:30", "2026-12-07 10:00", "2026-12-07 10:15",
                                 "2026-12-07 11:00"]),
        "end": pd.to_datetime(["2026-12-07 09:30", "2026-12-07 10:00", "2026-12-07 10:15", "2026-12-07 11:00",
                               "2026-12-07 18:00"]),
    })  # fmt: skip
    assert kpis.occupancy(states) == 45 / 120  # the pause is time logged in, not time on calls
    assert kpis.occupancy(states.iloc[:0]) == 0.0


def test_figures_of_a_period_take_only_its_days() -> None:
    states = pd.DataFrame({"agent": ["ana"], "day": pd.to_datetime(["2026-12-08"]), "state": ["available"],
                           "start": pd.to_datetime(["2026-12-08 09:00"]),
                           "end": pd.to_datetime(["2026-12-08 11:00"])})  # fmt: skip
    frames = kpis.KpiFrames(ATTEMPTS, LEADS, APPOINTMENTS, states)
    tuesday = kpis.figures(frames, date(2026, 12, 8), date(2026, 12, 8), ARGUED)
    assert (tuesday.dials, tuesday.answered, tuesday.rdvs, tuesday.argued_contacts) == (4, 3, 0, 2)
    assert tuesday.agent_hours == 2.0
    assert tuesday.abandonment_day == 0.0
    assert tuesday.abandonment_rolling == pytest.approx(1 / 5)
    week = kpis.figures(frames, date(2026, 12, 7), date(2026, 12, 13), ARGUED)
    assert (week.dials, week.rdvs, week.conversion) == (8, 1, 1 / 3)
    assert week.abandonment_period == 1 / 5
    assert set(kpis.Figures.names()) >= {"dials", "answer_rate", "handling_time_s"}
