"""Service levels on literal frames: target, measured, met."""

from __future__ import annotations

from datetime import time

import pandas as pd

from reports.service_levels import Targets, met_share, service_levels
from tests.reports.test_kpis import ATTEMPTS

BANDS = (time(12), time(14), time(17))


def _sheets(delays: list[float | None], business: list[bool], conform: list[bool]) -> pd.DataFrame:
    n = len(delays)
    return pd.DataFrame({
        "local_at": pd.to_datetime(["2026-12-07 15:00"] * n), "conform": conform, "complete": [True] * n,
        "transmission_s": pd.Series(delays, dtype="float64"), "business_hours": business,
    })  # fmt: skip


def test_each_slot_with_dials_gets_its_answer_rate_against_the_target() -> None:
    levels = service_levels(ATTEMPTS, _sheets([], [], []), boundaries=BANDS, sends_as_taken=False)
    rates = levels[levels["indicator"] == "answer_rate"].set_index("slot")
    assert list(rates.index) == ["-12:00", "14:00-17:00"]  # no dial at lunch or after 17:00
    assert rates.loc["-12:00", "measured"] == 2 / 4 and rates.loc["14:00-17:00", "measured"] == 3 / 4
    assert rates["met"].tolist() == [True, True]
    strict = service_levels(ATTEMPTS, _sheets([], [], []), boundaries=BANDS, sends_as_taken=False,
                            targets=Targets(answer_rate=0.6))
    assert strict[strict["indicator"] == "answer_rate"]["met"].tolist() == [False, True]


def test_transmission_counts_business_hours_rdvs_delivered_within_ten_minutes() -> None:
    # 4 min, 9 min, 25 min and not delivered yet in business hours; one taken at night, late, not counted.
    sheets = _sheets([240.0, 540.0, 1500.0, None, 3600.0], [True, True, True, True, False], [True] * 5)
    levels = service_levels(ATTEMPTS, sheets, boundaries=BANDS, sends_as_taken=True).set_index("indicator")
    assert levels.loc["transmission", "measured"] == 0.5
    assert levels.loc["transmission", "count"] == 4
    assert not levels.loc["transmission", "met"]


def test_transmission_is_not_measured_when_rdvs_go_in_the_daily_mail() -> None:
    sheets = _sheets([None], [True], [True])
    levels = service_levels(ATTEMPTS, sheets, boundaries=BANDS, sends_as_taken=False).set_index("indicator")
    assert pd.isna(levels.loc["transmission", "measured"])
    assert levels.loc["transmission", "met"] is None


def test_qualification_quality_and_the_share_met() -> None:
    sheets = _sheets([None] * 10, [True] * 10, [True] * 8 + [False] * 2)
    levels = service_levels(ATTEMPTS, sheets, boundaries=BANDS, sends_as_taken=False).set_index("indicator")
    assert levels.loc["completeness", "measured"] == 1.0 and levels.loc["completeness", "met"]
    assert levels.loc["conformity", "measured"] == 0.8 and not levels.loc["conformity", "met"]
    # answer rate ×2 met, completeness met, conformity missed; transmission not measured
    assert met_share(levels.reset_index()) == 3 / 4
