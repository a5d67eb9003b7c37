"""`rdv run` without `--campaign` dials a campaign a supervisor starts while it runs, without a restart: its
queue, its calling day, its simulated agents and its daily-mail job come with it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.models import Attempt
from campaigns.script_store import load_script_file
from rdv import db
from rdv.models_service import JobRun
from tests.campaigns.factories import leads
from tests.conftest import new_database_url
from tests.rdv.service_harness import MONDAY_3PM, RDV, SCRIPT, Service, books, overlapping, prepare, until

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _draft_campaign(url: str) -> int:
    """A second campaign of the same client, ready but not started."""
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine).begin() as session:
            campaign = store.create_campaign(session, "Combles", "Charpentes Test", "fr-consumer")
            campaign.settings = {"wrap_up_seconds": "10"}
            leads(session, campaign.id, 200, start=5000)
            load_script_file(session, campaign.id, SCRIPT, "test", MONDAY_3PM)
            return campaign.id
    finally:
        engine.dispose()


def _dials(sessions: sessionmaker[Session], campaign_id: int, agent_prefix: str = "") -> int:
    query = select(func.count()).select_from(Attempt).where(Attempt.campaign_id == campaign_id)
    if agent_prefix:
        query = query.where(Attempt.agent.startswith(agent_prefix))
    with sessions() as session:
        return int(session.scalar(query) or 0)


async def test_a_campaign_started_while_rdv_run_runs_is_dialled_without_a_restart(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = new_database_url(request, "sqlite", tmp_path)
    first = prepare(url)
    second = _draft_campaign(url)
    sessions = db.session_factory(db.make_engine(url))
    service = Service(url, tmp_path, MONDAY_3PM, time.time()).launch()
    await until(lambda: _dials(sessions, first) >= 10, "the running campaign dialled", service)
    assert _dials(sessions, second) == 0  # a draft is not dialled

    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    started = subprocess.run([str(RDV), "campaign", "start", "Combles", "--at", MONDAY_3PM.isoformat()], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr

    # Its own simulated agents (agent<campaign>-n) take its calls, beside the first campaign's.
    await until(lambda: _dials(sessions, second, f"agent{second}-") >= 5, "the started campaign's calls answered",
                service)  # fmt: skip
    with sessions() as session:
        jobs = set(session.scalars(select(JobRun.job_id)))
    assert {f"daily_mail:{second}", f"day_open:{second}:main", f"day_close:{second}:main"} <= jobs
    before = _dials(sessions, first)
    await until(lambda: _dials(sessions, first) > before, "the first campaign still dialled", service)

    service.signal(signal.SIGTERM)
    assert service.wait() == 0, service.log()[-3000:]
    held = books(sessions)
    assert held.live == set() and held.claimed == set()
    assert held.lead_attempts == held.attempts_per_lead, "an attempt was counted twice (or not at all)"
    assert not [lead for lead, spans in held.spans.items() if overlapping(spans)], "a lead was in two calls at once"
    assert "started while running" in service.log()


async def test_rdv_run_started_before_any_campaign_waits_and_dials_the_first_one_started(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A systemd unit starts `rdv run` at boot, before a supervisor starts the day's first campaign: it must wait
    for one rather than exit with an error and be restarted in a loop."""
    url = new_database_url(request, "sqlite", tmp_path)
    prepare(url)
    sessions = db.session_factory(db.make_engine(url))
    with sessions.begin() as session:  # the campaign is ready, not started
        waiting = store.get_campaign(session, "Toitures")
        waiting.status, campaign_id = "paused", waiting.id
    service = Service(url, tmp_path, MONDAY_3PM, time.time()).launch()
    await until(lambda: "waiting for one to be started" in service.log(), "the service said it waits", service)
    assert service.proc is not None and service.proc.poll() is None, service.log()[-3000:]
    assert _dials(sessions, campaign_id) == 0

    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    started = subprocess.run([str(RDV), "campaign", "start", "Toitures", "--at", MONDAY_3PM.isoformat()], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    await until(lambda: _dials(sessions, campaign_id) >= 5, "the campaign started later was dialled", service)

    service.signal(signal.SIGTERM)
    assert service.wait() == 0, service.log()[-3000:]
    held = books(sessions)
    assert held.live == set() and held.claimed == set()
