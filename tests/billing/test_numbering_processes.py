"""Two processes issuing invoices at once on a real PostgreSQL: numbers without gaps and without twins."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from billing.models import Invoice, LedgerEntry
from rdv import db
from tests.billing.helpers import CLIENT, ROOT, client_with_contract, sample_contract
from tests.conftest import new_database_url


@pytest.mark.postgres
def test_two_processes_issuing_500_invoices_leave_no_gap_and_no_duplicate(
        request: pytest.FixtureRequest, tmp_path: object) -> None:
    url = new_database_url(request, "postgresql", tmp_path)  # type: ignore[arg-type]
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        client_with_contract(session, sample_contract(prepaid=False))
    issuers = [subprocess.Popen([sys.executable, "-m", "tests.billing.issuer", url, CLIENT, "250"], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    for process in issuers:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in issuers:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [json.loads(p.communicate(timeout=600)[0]) for p in issuers]
    assert all(p.returncode == 0 for p in issuers)
    numbers = sorted(results[0] + results[1])
    assert numbers == [f"F-2026-{n:05d}" for n in range(1, 501)]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 500
        assert session.scalar(select(func.max(Invoice.seq))) == 500
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    engine.dispose()
