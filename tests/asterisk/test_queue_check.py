"""A campaign created after `rdv asterisk config` has no queue on the real PBX: stopped, never dialled, until
the config is generated again and Asterisk reloaded as config/asterisk/README.md says."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.models import Campaign
from campaigns.services import start_campaign
from rdv import db
from tests.asterisk.harness import Asterisk, callee
from tests.asterisk.scenario import MONDAY_3PM, Service, attempts, first_outcomes, prepare, until

pytestmark = pytest.mark.asterisk


def test_a_campaign_without_its_queue_is_stopped_until_the_config_is_generated_and_reloaded(
        sqlite_url: str, asterisk: Asterisk, pbx_root: Path) -> None:
    prepare(sqlite_url, [callee("human", 30, talk_s=3)], name="Toitures")
    asterisk.configure(sqlite_url, ["--sim-agents", "1", "--campaign", "Toitures"])
    late = [callee("human", 31 + i, talk_s=3) for i in range(2)]
    late_id = prepare(sqlite_url, late, name="Fenêtres")  # created after the config: no rdv-<id> in Asterisk
    asterisk.start()
    sessions = db.session_factory(db.make_engine(sqlite_url))
    refused = Service(sqlite_url, pbx_root, asterisk, ["Fenêtres"], sim_agents=1).launch()
    assert refused.wait() == 2, refused.log()[-3000:]  # nothing it may dial: it says so and exits
    assert f"Campaign Fenêtres stopped: the PBX has no queue rdv-{late_id}" in refused.log()
    assert attempts(sessions) == []  # not one call into certain abandonment
    with sessions() as session:
        assert session.scalar(select(Campaign.status).where(Campaign.id == late_id)) == "no_queue"

    asterisk.configure(sqlite_url, ["--sim-agents", "1", "--campaign", "Fenêtres"])
    for command in ("module reload app_queue.so", "dialplan reload", "moh reload"):
        asterisk.rx(command)
    assert f"rdv-{late_id} has 0 calls" in asterisk.rx(f"queue show rdv-{late_id}")
    with sessions.begin() as session:
        start_campaign(session, "Fenêtres", MONDAY_3PM)
    service = Service(sqlite_url, pbx_root, asterisk, ["Fenêtres"], sim_agents=1).launch()
    until(lambda: set(late) <= set(first_outcomes(sessions)), "the campaign dialled once its queue exists", service)
    assert service.stop() == 0, service.log()[-3000:]
    assert {first_outcomes(sessions)[n].outcome for n in late} == {"connected"}
