"""Two dialer processes claiming from the same campaign on a real PostgreSQL never get the same lead."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leads.models import Lead
from rdv import db
from tests.campaigns.factories import MONDAY_3PM, campaign, leads
from tests.conftest import new_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_dialer_processes_never_claim_the_same_lead(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    url = new_database_url(request, backend, tmp_path)
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 600)
    command = [sys.executable, "-m", "tests.campaigns.claimer", url, str(cid)]
    dialers = [
        subprocess.Popen([*command, name, MONDAY_3PM.isoformat(), "5"], cwd=ROOT, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for name in ("dialer-a", "dialer-b")
    ]
    for process in dialers:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    _release(dialers)
    for process in dialers:  # each holds a first batch (and the rest is claimed by both at once)
        assert process.stdout is not None and process.stdout.readline().strip() == "first"
    _release(dialers)
    results = [json.loads(p.communicate(timeout=300)[0]) for p in dialers]
    assert all(p.returncode == 0 for p in dialers)
    everything = results[0] + results[1]
    assert len(everything) == len(set(everything)) == 600
    assert all(results), "both dialers should have claimed some leads"
    with sessions() as session:
        by_dialer = dict(session.execute(select(Lead.claimed_by, func.count()).group_by(Lead.claimed_by)).all())
    assert by_dialer == {"dialer-a": len(results[0]), "dialer-b": len(results[1])}
    engine.dispose()


def _release(dialers: list[subprocess.Popen[str]]) -> None:
    for process in dialers:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
