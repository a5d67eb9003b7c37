"""rdv's service against a real Asterisk running the project's own configs: what is stored is what happened.

Each test starts Asterisk on a free loopback port with config/asterisk/, the includes `rdv asterisk config`
writes and the test-only trunk stand-in, then runs the service as a process with simulated agents whose
phones are Local channels that answer. Outcomes, talk time and agent states are checked against Asterisk's
own records (queue_log, messages.log).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from rdv import db
from tests.asterisk.harness import Asterisk, callee
from tests.asterisk.scenario import (
    Service,
    agent_states,
    first_outcomes,
    prepare,
    queue_events,
    queue_talk_times,
    until,
)

pytestmark = pytest.mark.asterisk
DROP_MESSAGE_S = 11.9  # config/asterisk/sounds/rdv-dropped-call.wav


def test_each_kind_of_callee_gets_the_outcome_asterisk_saw(database_url: str, asterisk: Asterisk,
                                                            pbx_root: Path) -> None:
    """On SQLite and on PostgreSQL (a real deployment's database)."""
    sqlite_url = database_url
    expected = {
        callee("human", 1, ring_s=1, talk_s=15): "connected",
        callee("machine", 2, talk_s=5): "machine",
        callee("busy", 3): "busy",
        callee("busy17", 4): "busy",
        callee("congestion", 5): "congestion",
        callee("congestion34", 6): "congestion",
        callee("no_answer", 7): "no_answer",
    }
    prepare(sqlite_url, list(expected))
    asterisk.configure(sqlite_url, ["--sim-agents", "1"])
    asterisk.start()
    sessions = db.session_factory(db.make_engine(sqlite_url))
    service = Service(sqlite_url, pbx_root, asterisk, ["Toitures"], sim_agents=1).launch()
    until(lambda: len(first_outcomes(sessions)) == len(expected), "every number dialled once and ended", service)
    assert service.stop() == 0, service.log()[-3000:]

    found = first_outcomes(sessions)
    assert {phone: d.outcome for phone, d in found.items()} == expected
    human = found[callee("human", 1, ring_s=1, talk_s=15)]
    asterisk_talk = queue_talk_times(asterisk)[human.call_id]
    assert human.talk_s is not None and abs(human.talk_s - asterisk_talk) <= 1.5, (human.talk_s, asterisk_talk)
    assert asterisk_talk >= 9  # 15 s of talk minus AMD's second and the greeting: a real conversation
    # Retry policy by outcome: a busy line is tried again in 15 minutes, an unanswered one hours later.
    for kind in ("busy", "busy17"):
        busy = found[callee(kind, 3 if kind == "busy" else 4)]
        assert busy.next_attempt_at is not None and busy.ended_at is not None
        assert busy.next_attempt_at - busy.ended_at <= timedelta(minutes=20)
    silent = found[callee("no_answer", 7)]
    assert silent.next_attempt_at is not None and silent.ended_at is not None
    assert silent.next_attempt_at - silent.ended_at >= timedelta(hours=2)
    assert "failed" not in {d.outcome for d in found.values()}
    assert agent_states(sessions)["agent1"] in ("logged_out", "available", "wrap_up")


def test_a_human_nobody_can_take_is_dropped_and_hears_the_whole_message(sqlite_url: str, asterisk: Asterisk,
                                                                         pbx_root: Path) -> None:
    number = callee("human", 8, ring_s=1, talk_s=60)
    prepare(sqlite_url, [number])
    phones = pbx_root / "phones.csv"
    # The agent is logged in, but their phone rings and nobody picks it up: the 2-second wait runs out.
    phones.write_text("login;phone\nagent1;Local/agent1@rdv-test-deaf-phones\n")
    asterisk.configure(sqlite_url, ["--phones", str(phones)])
    asterisk.start()
    sessions = db.session_factory(db.make_engine(sqlite_url))
    service = Service(sqlite_url, pbx_root, asterisk, ["Toitures"], sim_agents=1).launch()
    until(lambda: number in first_outcomes(sessions), "the dropped call ended", service)
    assert service.stop() == 0

    dropped = first_outcomes(sessions)[number]
    assert dropped.outcome == "dropped"
    # Asterisk's queue_log says EXITWITHTIMEOUT where AMI said QueueCallerAbandon.
    assert queue_events(asterisk, dropped.call_id)[-1] == "EXITWITHTIMEOUT"
    assert "rdv-dropped-call" in asterisk.messages()
    assert dropped.answered_at is not None and dropped.ended_at is not None
    # The callee stayed on the line: the call lasted the 2-second wait plus the whole message.
    assert (dropped.ended_at - dropped.answered_at).total_seconds() >= DROP_MESSAGE_S + 1.5
