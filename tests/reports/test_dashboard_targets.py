"""The service-level targets are campaign settings: the weekly dashboard measures against the campaign's own."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.errors import InvalidSetting
from campaigns.settings import REGISTRY, parse_value
from reports.weekly_dashboard import build_dashboard
from tests.reports.weekly_helpers import MONDAY, seed_weeks

SUNDAY = date(2026, 12, 13)


def _levels(sessions: sessionmaker[Session], settings: dict[str, str]) -> dict[str, tuple[float, object]]:
    with sessions.begin() as session:
        campaign = seed_weeks(session)
        campaign.settings = {**(campaign.settings or {}), **settings}
        campaign_id = campaign.id
    with sessions() as session:
        levels = build_dashboard(session, campaign_id, MONDAY, SUNDAY).levels
    return {f"{row.indicator}{row.slot}": (row.target, row.met) for row in levels.itertuples()}


def test_the_dashboard_measures_against_the_campaigns_own_targets(sessions: sessionmaker[Session]) -> None:
    levels = _levels(sessions, {"sla_answer_rate": "99 %", "sla_conformity": "0 %", "sla_completeness": "100 %"})
    bands = [key for key in levels if key.startswith("answer_rate")]
    assert bands and all(levels[key] == (0.99, False) for key in bands)
    assert levels["conformity"] == (0.0, True)
    assert levels["completeness"][0] == 1.0
    assert levels["transmission< 10 min"][0] == 0.95  # the default where the campaign set none


def test_the_targets_are_declared_with_help_and_checked() -> None:
    for key in ("sla_answer_rate", "sla_transmission_minutes", "sla_transmission_share", "sla_completeness",
                "sla_conformity"):  # fmt: skip
        assert REGISTRY[key].help()
    assert parse_value("sla_transmission_minutes", "15") == 15
    with pytest.raises(InvalidSetting):
        parse_value("sla_conformity", "150 %")
    with pytest.raises(InvalidSetting):
        parse_value("sla_transmission_minutes", "0")
