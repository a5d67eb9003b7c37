"""A live `pg_dump -Fc` of a busy `rdv run`, restored with `pg_restore` on a fresh PostgreSQL server: `rdv run`
resumes there, frees the claims the dump caught, ends the attempts it caught open (once), dials on and books."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Campaign
from rdv import db
from rdv.models_scale import JobFire
from reports.outbox import OutboxMessage
from tests.conftest import new_database_url
from tests.pgserver import PostgresServer, _bindir
from tests.rdv.service_harness import DEADLINE_S, MONDAY_3PM, Service, books, overlapping, prepare, until

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


def _dump(server_url: str, into: Path) -> None:
    """The nightly command of docs/deployment.md, against the running service's database."""
    url = db.make_engine(server_url).url
    subprocess.run([str(_bindir() / "pg_dump"), "-h", str(url.host), "-p", str(url.port), "-U", str(url.username),
                    "-Fc", "-f", str(into), str(url.database)], check=True, capture_output=True)  # fmt: skip


def _restore(dump: Path, server: PostgresServer) -> str:
    admin = db.make_engine(server.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "rdv"'))
    admin.dispose()
    subprocess.run([str(_bindir() / "pg_restore"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "rdv",
                    "-d", "rdv", "--no-owner", str(dump)], check=True, capture_output=True)  # fmt: skip
    return server.url_for("rdv")


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_live_dump_restored_on_a_fresh_server_resumes_dialling_with_nothing_counted_twice(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = new_database_url(request, "postgresql", tmp_path)
    campaign_id = prepare(url)
    first = db.session_factory(db.make_engine(url))
    with first.begin() as session:  # one e-mail per RDV as it is taken: mails in the outbox before the dump
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.settings = {**campaign.settings, "send_rdv_as_taken": "yes"}
    epoch = time.time()
    (tmp_path / "a").mkdir()
    service = Service(url, tmp_path / "a", MONDAY_3PM, epoch, extra=["--dialer-id", "d1"]).launch()
    restored_server = PostgresServer.start()
    restarted: Service | None = None
    try:

        def busy() -> bool:
            held = books(first)
            return (len(held.appointments) >= 2 and len(held.live) >= 2 and bool(held.claimed)
                    and _count(first, OutboxMessage) >= 1 and _count(first, JobFire) >= 1)  # fmt: skip

        await until(busy, "a busy afternoon with RDVs, mails and job runs", service)
        dump = tmp_path / "rdv.dump"
        began = time.monotonic()
        _dump(url, dump)  # live, while the service dials
        dump_s = time.monotonic() - began
        service.signal(signal.SIGTERM)
        assert service.wait() == 0, service.log()[-3000:]
        # The data folder goes into the same backup (secrets.toml: the do-not-call numbers' key).
        shutil.copytree(tmp_path / "a", tmp_path / "b", ignore=shutil.ignore_patterns("service.log", "outbox"))

        restored_url = _restore(dump, restored_server)
        restored = db.session_factory(db.make_engine(restored_url))
        caught = books(restored)
        assert caught.live and caught.claimed, "the dump caught no call in flight: nothing to reconcile"
        size_kib = dump.stat().st_size / 1024
        print(f"live dump: {size_kib:.0f} KiB in {dump_s:.2f} s; caught {len(caught.live)} open attempts, "
              f"{len(caught.claimed)} claims, {len(caught.ended)} ended, {len(caught.appointments)} RDVs")  # fmt: skip
        restarted = Service(restored_url, tmp_path / "b", MONDAY_3PM, epoch, extra=["--dialer-id", "d1"]).launch()
        mark = max([*caught.live, *caught.ended])

        def dialled_on_and_booked() -> bool:
            now = books(restored)
            return (not caught.live & now.live and any(a > mark for a in now.ended)
                    and len(now.appointments) > len(caught.appointments))  # fmt: skip

        await until(dialled_on_and_booked, "the restored service ending the dump's calls, dialling on, booking",
                    restarted)  # fmt: skip
        restarted.signal(signal.SIGTERM)
        assert restarted.wait() == 0, restarted.log()[-3000:]
        after = books(restored)  # read before the throwaway server goes
    finally:
        for s in (service, restarted):
            if s is not None and s.proc is not None and s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait(timeout=DEADLINE_S)
        restored_server.stop()

    log = restarted.log()
    print(next(line for line in log.splitlines() if "dialer d1 restarted:" in line))
    assert "dialer d1 restarted:" in log, "the restored service did not report the calls and claims it found"
    assert {a: after.ended[a] for a in caught.ended} == caught.ended, "an outcome of the dump changed"
    assert caught.live <= after.ended.keys(), "an attempt open in the dump was lost"
    assert not after.live and not after.claimed
    assert after.lead_attempts == after.attempts_per_lead, "an attempt counted twice on its lead, or not at all"
    assert not any(overlapping(spans) for spans in after.spans.values()), "a lead was in two calls at once"
    assert caught.appointments.items() <= after.appointments.items(), "an RDV of the dump was lost"
