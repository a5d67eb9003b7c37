"""`rdv run` takes calls for a teleoperator whose commands come from another process through the database.

The service runs as its own process (simulator, four simulated agents); this test plays the web: it logs
a teleoperator in, keeps their screen's heartbeat, reads the pop, saves the disposition and logs out, with
the notifier a separate web process would use (short poll on SQLite, LISTEN/NOTIFY on PostgreSQL).
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.models import Attempt, Campaign
from config.orm import transaction
from dialer.desk_models import AgentEvent
from rdv import agent_desk, db
from rdv.wakeup import BaseNotifier
from rdv.wakeup_pg import PgNotifier
from rdv.wakeup_poll import PollNotifier
from tests.conftest import new_database_url
from tests.rdv.service_harness import MONDAY_3PM, SCALE, Service, prepare, until
from tests.rdv.service_process import shared_clock

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_a_teleoperator_logged_in_from_another_process_takes_and_qualifies_calls_beside_simulated_agents(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    url = new_database_url(request, backend, tmp_path)
    campaign_id = prepare(url)
    engine = db.make_engine(url)
    web = db.session_factory(engine)
    with transaction(web) as session:  # time to qualify by hand: 5 simulated minutes are 3 s here
        session.get_one(Campaign, campaign_id).settings = {"wrap_up_seconds": "300"}
    epoch = time.time()
    clock = shared_clock(MONDAY_3PM, epoch, SCALE)
    service = Service(url, tmp_path, MONDAY_3PM, epoch).launch()
    notifier: BaseNotifier = PgNotifier(engine) if backend == "postgresql" else PollNotifier(engine, 0.05)

    def seat() -> None:
        # The screen stays open for the whole test: seen "until" an hour ahead, so a slow turn of this loop on
        # a loaded machine (an hour is 36 s here) never makes it look gone.
        with transaction(web) as session:
            agent_desk.heartbeat(session, "alice", clock.now() + timedelta(hours=1))

    def result(command_id: int) -> agent_desk.CommandResult:
        with web() as session:
            return agent_desk.command_result(session, command_id)

    def state(login: str) -> str:
        with web() as session:
            return agent_desk.presence(session, login).state

    def pop() -> agent_desk.Pop | None:
        with web() as session:
            return agent_desk.current_call(session, "alice")

    try:
        await until(lambda: state("agent1") != "logged_out", "the service up", service)
        seat()
        with transaction(web) as session:
            login = agent_desk.send(session, notifier, "alice", "login", campaign_id=campaign_id, phone="PJSIP/1001",
                                    name="Alice Martin", now=clock.now())
        await until(lambda: result(login).done_at is not None, "the login applied", service)
        assert result(login).ok, result(login).result
        for _call in range(2):
            seat()
            await until(lambda: (p := pop()) is not None and not p.live, "a call to alice, ended", service)
            call = pop()
            assert call is not None and state("alice") == "wrap_up"
            with transaction(web) as session:
                agent_desk.save_disposition(session, notifier, "alice", call.attempt_id, "not_target",
                                            now=clock.now())
            await until(lambda: state("alice") != "wrap_up", "the wrap-up ended by the disposition", service)
        with transaction(web) as session:
            agent_desk.send(session, notifier, "alice", "pause", reason="lunch", now=clock.now())
        await until(lambda: state("alice") == "paused", "alice at lunch",
                    service)
        service.signal(signal.SIGTERM)
        assert service.wait() == 0, service.log()[-3000:]
    finally:
        if service.proc is not None and service.proc.poll() is None:
            service.proc.kill()
        await notifier.close()
    with web() as session:
        mine = list(session.scalars(select(Attempt).where(Attempt.agent == "alice").order_by(Attempt.id)))
        others = list(session.scalars(select(Attempt).where(Attempt.outcome == "connected",
                                                            Attempt.agent != "alice")))
        states = list(session.scalars(select(AgentEvent.state).where(AgentEvent.login == "alice")
                                      .order_by(AgentEvent.id)))
    assert [a.disposition for a in mine[:2]] == ["not_target", "not_target"], "the simulation qualified alice's call"
    assert others and all(a.agent.startswith("agent") for a in others), "simulated agents took calls beside alice"
    assert states[:4] == ["available", "on_call", "wrap_up", "available"]
    assert "paused" in states
