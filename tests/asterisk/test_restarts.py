"""Restarts against a real Asterisk: the PBX restarting under a live call, and `rdv run` killed with -9.

Progressive pacing (one line per free agent) and one simulated agent keep the order of calls known.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rdv import db
from tests.asterisk.harness import Asterisk, callee
from tests.asterisk.scenario import (
    Service,
    agent_states,
    attempts,
    first_outcomes,
    prepare,
    queue_talk_times,
    until,
)

pytestmark = pytest.mark.asterisk
PROGRESSIVE = {"pacing_mode": "progressive"}


def test_a_pbx_restart_mid_call_loses_no_lead_and_agents_come_back(sqlite_url: str, asterisk: Asterisk,
                                                                   pbx_root: Path) -> None:
    long_call = callee("human", 10, talk_s=60)
    later = [callee("human", 11 + i, talk_s=4) for i in range(3)]
    campaign_id = prepare(sqlite_url, [long_call, *later], PROGRESSIVE)
    asterisk.configure(sqlite_url, ["--sim-agents", "1"])
    asterisk.start()
    sessions = db.session_factory(db.make_engine(sqlite_url))
    service = Service(sqlite_url, pbx_root, asterisk, ["Toitures"], sim_agents=1).launch()
    until(lambda: agent_states(sessions).get("agent1") == "on_call", "the first call reached the agent", service)

    asterisk.stop()
    asterisk.forget_members()  # only the dialer can bring its agent back into the queue now
    asterisk.start()
    until(lambda: len(first_outcomes(sessions)) == 4, "every number dialled and ended", service)
    assert service.stop() == 0, service.log()[-3000:]

    found = first_outcomes(sessions)
    assert found[long_call].outcome == "connected"  # cut by the restart, not lost with the PBX
    failed = [d for d in attempts(sessions) if d.outcome == "failed"]
    assert not failed, (failed, service.log()[-6000:])
    talked = queue_talk_times(asterisk)
    for number in later:  # after the restart, calls reach the re-added agent again
        assert found[number].outcome == "connected", found[number]
        assert found[number].call_id in talked
    assert "Local/agent1@agents/n" in asterisk.rx(f"queue show rdv-{campaign_id}")


def test_rdv_run_killed_mid_call_finds_the_call_again_after_a_restart(sqlite_url: str, asterisk: Asterisk,
                                                                      pbx_root: Path) -> None:
    live_call, next_call = callee("human", 20, talk_s=25), callee("human", 21, talk_s=4)
    prepare(sqlite_url, [live_call, next_call], PROGRESSIVE)
    asterisk.configure(sqlite_url, ["--sim-agents", "1"])
    asterisk.start()
    sessions = db.session_factory(db.make_engine(sqlite_url))
    first = Service(sqlite_url, pbx_root, asterisk, ["Toitures"], sim_agents=1).launch()
    until(lambda: agent_states(sessions).get("agent1") == "on_call", "the first call reached the agent", first)
    first.kill()

    second = Service(sqlite_url, pbx_root, asterisk, ["Toitures"], sim_agents=1, epoch=first.epoch).launch()
    until(lambda: len(first_outcomes(sessions)) == 2, "both numbers dialled and ended", second)
    assert second.stop() == 0, second.log()[-3000:]

    dialled = attempts(sessions)
    assert [d.phone for d in dialled].count(live_call) == 1  # never dialled again while its call was live
    found = first_outcomes(sessions)
    recovered = found[live_call]
    assert recovered.outcome == "connected"
    asterisk_talk = queue_talk_times(asterisk)[recovered.call_id]
    assert recovered.talk_s is not None and abs(recovered.talk_s - asterisk_talk) <= 2.0, (recovered, asterisk_talk)
    assert found[next_call].outcome == "connected"
