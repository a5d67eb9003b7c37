"""One scheduler leader among processes: a dropped connection loses it loudly, a standby wins it; every fire
time of a job is claimed once, across processes; one `rdv run` per SQLite file."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from rdv import db
from rdv.leader import (
    DIALER_LOCK_SPACE,
    AnotherServiceRuns,
    DialerIdInUse,
    Leadership,
    dialer_is_dead,
    single_service,
)
from rdv.models_scale import JobFire
from rdv.scheduler import JobRunner, JobSpec
from tests.rdv.service_harness import RDV, ROOT, prepare

NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
EVERY_5 = IntervalTrigger(minutes=5, start_date=datetime(2000, 1, 3, tzinfo=UTC), timezone=UTC)


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    from tests.conftest import new_database_url

    engine = db.make_engine(new_database_url(request, "postgresql", tmp_path))
    yield engine
    engine.dispose()


def _backend_of(leader: Leadership) -> int:
    assert leader._connection is not None
    return int(leader._connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_a_leader_whose_connection_drops_says_so_and_a_standby_takes_over(
        pg_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    leader, standby = Leadership(pg_engine, "d1"), Leadership(pg_engine, "d2")
    assert (leader.poll(), standby.poll()) == (True, False)
    assert leader.poll() is True and standby.poll() is False  # checked, still held; still taken
    backend = _backend_of(leader)
    with pg_engine.connect() as admin:  # what a network cut or a killed backend does to the leader's session
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend})
    with caplog.at_level(logging.ERROR, logger="rdv.leader"):
        assert leader.poll() is False
    assert "d1 LOST the scheduler leadership" in caplog.text
    assert standby.poll() is True
    assert leader.poll() is False  # it tries again, as a standby now
    standby.release()
    assert leader.poll() is True
    leader.release()


def test_sqlite_has_one_leader_always(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    assert Leadership(engine, "main").poll() is True
    engine.dispose()


def test_each_fire_time_runs_once_across_two_runners_and_a_failure_gives_it_back(
        sessions: sessionmaker[Session]) -> None:
    ran: list[tuple[str, datetime]] = []
    broken = {"on": True}

    def job(who: str) -> JobSpec:
        def run(fire: datetime) -> None:
            if broken["on"] and who == "d1":
                raise RuntimeError("mail relay away")
            ran.append((who, fire))
        return JobSpec("outbox", EVERY_5, run)

    first = JobRunner(sessions, [job("d1")], holder="d1")
    second = JobRunner(sessions, [job("d2")], holder="d2")
    first.register(NOON)
    second.register(NOON)  # the same job registered twice: no error
    later = NOON + timedelta(minutes=10)
    assert first.run_due(later) == []  # both fire times failed on d1: given back
    assert [fire for _, fire in second.run_due(later)] == [NOON + timedelta(minutes=5), later]
    broken["on"] = False
    assert first.run_due(later) == []  # already run by d2: nothing left
    with sessions() as session:
        rows = session.scalars(select(JobFire).order_by(JobFire.fire_at))
        fires = [(f.run_by, f.fire_at, f.finished_at) for f in rows]
    assert fires == [("d2", NOON + timedelta(minutes=5), later), ("d2", later, later)]
    assert ran == [("d2", NOON + timedelta(minutes=5)), ("d2", later)]


def test_a_runner_that_lost_the_leadership_runs_nothing_more(sessions: sessionmaker[Session]) -> None:
    held = {"now": True}
    ran: list[datetime] = []

    def run(fire: datetime) -> None:
        ran.append(fire)
        held["now"] = False  # leadership lost during the first run: the second fire time is not touched

    runner = JobRunner(sessions, [JobSpec("outbox", EVERY_5, run)], holder="d1", may_run=lambda: held["now"])
    runner.register(NOON)
    runner.run_due(NOON + timedelta(minutes=10))
    assert ran == [NOON + timedelta(minutes=5)]
    with sessions() as session:
        assert session.scalar(select(JobFire).where(JobFire.fire_at == NOON + timedelta(minutes=10))) is None


def test_a_fire_time_left_unfinished_by_a_dead_process_is_taken_over_once_abandoned(
        sessions: sessionmaker[Session]) -> None:
    left = NOON + timedelta(minutes=5)
    with sessions.begin() as session:  # what a leader killed during a run leaves
        session.add(JobFire(job_id="outbox", fire_at=left, run_by="dead", started_at=left))
    ran: list[datetime] = []
    runner = JobRunner(sessions, [JobSpec("outbox", EVERY_5, ran.append)], holder="d2")
    runner.register(NOON)
    runner.run_due(NOON + timedelta(minutes=10))
    assert ran == [NOON + timedelta(minutes=10)]  # it may still be running: too early to call its process dead
    runner.run_due(NOON + timedelta(minutes=40))
    assert ran == [NOON + timedelta(minutes=m) for m in (10, 5, 15, 20, 25, 30, 35, 40)]
    with sessions() as session:
        assert session.scalars(select(JobFire.run_by).where(JobFire.fire_at == left)).all() == ["d2"]


def test_a_second_rdv_run_on_one_sqlite_file_is_refused_in_one_french_line(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from tests.conftest import new_database_url

    data = tmp_path / "data"
    data.mkdir()
    url = new_database_url(request, "sqlite", tmp_path)
    prepare(url, lead_count=5)
    engine = db.make_engine(url)
    env = {**os.environ, "RDV_DATA_DIR": str(data), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    try:
        with single_service(engine):  # the first service holds the file
            with pytest.raises(AnotherServiceRuns):
                with single_service(engine):
                    pass
            done = subprocess.run([str(RDV), "run", "--simulate", "--no-web"], env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
    finally:
        engine.dispose()
    assert done.returncode == 2, done.stderr
    assert "Un autre rdv run utilise déjà la base SQLite" in done.stderr
    assert "PostgreSQL" in done.stderr


@pytest.mark.postgres
def test_a_second_rdv_run_with_the_same_dialer_id_on_postgresql_is_refused(
        pg_engine: Engine, tmp_path: Path) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    prepare(url, lead_count=5)
    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    with single_service(pg_engine, "d1"):
        with single_service(pg_engine, "d2"):  # another dialer id: welcome
            pass
        with pytest.raises(DialerIdInUse):
            with single_service(pg_engine, "d1"):
                pass
        done = subprocess.run([str(RDV), "run", "--simulate", "--no-web", "--dialer-id", "d1"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Un autre rdv run tourne déjà comme numéroteur d1" in done.stderr


@pytest.mark.postgres
def test_a_dialer_is_dead_when_its_lock_is_free_and_a_restart_waits_while_its_claims_are_freed(
        pg_engine: Engine) -> None:
    with single_service(pg_engine, "d1"), pg_engine.connect() as leader:
        assert dialer_is_dead(leader, "d1") is False  # it runs
        leader.rollback()
    with pg_engine.connect() as leader:
        assert dialer_is_dead(leader, "d1") is True  # stopped (or killed: the server frees the lock alike)
        outcome: list[str] = []

        def restart() -> None:
            try:
                with single_service(pg_engine, "d1"):
                    outcome.append("started")
            except DialerIdInUse:
                outcome.append("refused")

        thread = threading.Thread(target=restart)
        thread.start()
        with pg_engine.connect() as admin:  # the restart is waiting for the lock the leader's transaction holds
            deadline = time.monotonic() + 60
            while not admin.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                         "AND NOT granted")).scalar():  # fmt: skip
                admin.rollback()
                assert time.monotonic() < deadline and thread.is_alive(), outcome
                time.sleep(0.01)
        leader.commit()  # the claims are freed: the lock goes with the transaction
        thread.join(timeout=60)
    assert outcome == ["started"]


@pytest.mark.postgres
def test_a_restart_is_refused_when_another_process_keeps_the_dialer_id(
        pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rdv.leader.DIALER_LOCK_WAIT_S", 0.2)
    with single_service(pg_engine, "d1"), pytest.raises(DialerIdInUse):
        with single_service(pg_engine, "d1"):
            pass


def _id_lock_holders(engine: Engine, dialer_id: str) -> list[int]:
    """Backends holding the lock of a dialer id (advisory locks on two int4 keys: classid, objid)."""
    with engine.connect() as admin:
        return list(admin.scalars(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
            "AND classid = CAST(:ns AS oid) AND objid = CAST(CAST(hashtext(:id) AS bigint) & 4294967295 AS oid)"),
            {"ns": DIALER_LOCK_SPACE, "id": dialer_id}))


@pytest.mark.postgres
def test_a_dialer_whose_lock_connection_drops_takes_its_id_lock_again(
        pg_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rdv.leader"), single_service(pg_engine, "d1"):
        (before,) = _id_lock_holders(pg_engine, "d1")
        with pg_engine.connect() as admin:  # what a PostgreSQL restart or a network cut does to that session
            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": before})
        deadline = time.monotonic() + 60
        while _id_lock_holders(pg_engine, "d1") in ([], [before]):
            assert time.monotonic() < deadline, "the lock was not taken again"
            time.sleep(0.05)
        with pg_engine.connect() as leader:
            assert dialer_is_dead(leader, "d1") is False
    assert "dialer d1 LOST the lock of its id" in caplog.text
    assert "dialer d1 holds the lock of its id again" in caplog.text
    assert _id_lock_holders(pg_engine, "d1") == []  # given back at stop
