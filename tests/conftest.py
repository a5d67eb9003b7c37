"""Shared fixtures: every storage test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from rdv import db
from tests.pgserver import PostgresServer

_counter = itertools.count()

# No wall-clock limit on an example: the machines that run the suite are shared and often loaded, and a slow
# example is not a wrong one. Tests that set their own `deadline` still get it.
settings.register_profile("rdv", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rdv")


@pytest.fixture(autouse=True)
def _french_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "fr")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server: `RDV_TEST_POSTGRES_PORT` reuses a running one, else a throwaway."""
    if os.environ.get("RDV_TEST_POSTGRES_PORT"):
        yield PostgresServer(Path("/nonexistent"), int(os.environ["RDV_TEST_POSTGRES_PORT"]))
        return
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    """A database with every migration applied, copied for each test (CREATE DATABASE … TEMPLATE)."""
    name = f"rdv_template_{os.getpid()}"
    admin = db.make_engine(postgres.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = db.make_engine(postgres.url_for(name))
    db.upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def new_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A fresh, fully migrated database on the given backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / f"rdv-{next(_counter)}.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("postgres")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"rdv_t{os.getpid()}_{next(_counter)}"
    admin = db.make_engine(server.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    admin.dispose()
    request.addfinalizer(lambda: _drop_database(server, name))
    return server.url_for(name)


def _drop_database(server: PostgresServer, name: str) -> None:
    """Drop a test's database when it ends: left behind, hundreds of copies made the server's folder gigabytes
    that took minutes to delete at the end of the run."""
    admin = db.make_engine(server.url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    return new_database_url(request, request.param, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return db.session_factory(engine)
