"""A campaign whose queue the PBX lacks never dials into certain abandonment: it is stopped, and says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns.models import Campaign
from dialer import ports
from dialer.agents import interface_of
from dialer.campaign_view import queue_name
from dialer.queue_check import says_no_such_queue
from rdv.cli import app
from tests.dialer.engine_harness import Dialer, running_dialer


@pytest.fixture
async def dialer(database_url: str) -> AsyncIterator[Dialer]:
    async with running_dialer(database_url, 200) as harness:
        yield harness


async def test_a_campaign_whose_queue_is_missing_is_stopped_at_start_and_never_dials(
    dialer: Dialer, database_url: str, tmp_path: Path
) -> None:
    with dialer.sessions.begin() as session:
        session.get_one(Campaign, dialer.campaign_id).status = "running"
    engine = await dialer.start_engine(agents=3, queue_configured=False)
    queue = queue_name(dialer.campaign_id)
    assert dialer.campaign_id in engine.stopped
    assert queue in engine.stopped[dialer.campaign_id] and "file d'attente" in engine.stopped[dialer.campaign_id]
    later = dialer.clock.now().timestamp() + 120
    await dialer.until(lambda: dialer.clock.now().timestamp() > later, clock_s=600)
    assert dialer.sim.pbx.originates == {}, "a call was dialled with no queue to take it"
    assert engine.counters["dialled"] == 0
    with dialer.sessions() as session:
        assert session.get_one(Campaign, dialer.campaign_id).status == "no_queue"

    # The supervisor reads why, in French, in `rdv campaign show`.
    runner = CliRunner(env={"RDV_DATABASE_URL": database_url, "RDV_DATA_DIR": str(tmp_path), "RDV_LANG": "fr"})
    with dialer.sessions() as session:
        name = session.get_one(Campaign, dialer.campaign_id).name
    shown = runner.invoke(app, ["campaign", "show", name])
    assert shown.exit_code == 0, shown.output
    assert "arrêtée" in shown.output and f"pas de file d'attente {queue}" in " ".join(shown.output.split())


async def test_agents_missing_from_an_existing_queue_are_added_again_and_dialling_goes_on(dialer: Dialer) -> None:
    engine = await dialer.start_engine(agents=2)
    queue = queue_name(dialer.campaign_id)
    adapter = dialer.adapters[-1]
    assert await adapter.queue_members(queue) == {interface_of("agent1"), interface_of("agent2")}
    await adapter.queue_remove(queue, interface_of("agent2"))  # behind the dialer's back (a PBX reload)
    assert await engine.check_queue(dialer.campaign_id)
    assert await adapter.queue_members(queue) == {interface_of("agent1"), interface_of("agent2")}
    assert engine.counters["queue_members_added_again"] == 1 and not engine.stopped
    await dialer.until(lambda: engine.counters["outcome_connected"] >= 3, clock_s=3600)


async def test_the_pbx_says_which_queue_it_does_not_have() -> None:
    # Asterisk 22's answer to a QueueAdd for a queue it does not have (see the issue's real run).
    refused = ports.PbxRefused("QueueAdd of Local/agent1@agents/n to rdv-1: the PBX said "
                               "'Unable to add interface to queue: No such queue'")
    assert says_no_such_queue(refused)
    assert not says_no_such_queue(ports.PbxRefused("QueueAdd of x to rdv-1: the PBX said 'Already there'"))
    assert not says_no_such_queue(ports.PbxTimeout("QueueAdd of x to rdv-1: no such queue? no answer"))
