"""The audit log on SQLite and PostgreSQL: append-only in the ORM and in the database, and a chain that
`verify` proves intact or names the entry that was changed or removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from config import audit

T0 = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)


def _five(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for i in range(5):
            audit.record(session, f"user{i % 2}", "supervisor", "view", f"lead {i + 1}", "10.0.0.7",
                         f"détail n° {i}", T0 + timedelta(minutes=i))


def _bypass_triggers(engine: Engine, statement: str) -> None:
    """What a database superuser could do behind the application's back."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(text(statement))


def test_each_entry_carries_the_hash_of_the_one_before_and_the_chain_verifies(
    sessions: sessionmaker[Session],
) -> None:
    _five(sessions)
    with sessions() as session:
        rows = audit.entries(session)
        verdict = audit.verify(session)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:], strict=False))
    assert rows[2].at == T0 + timedelta(minutes=2)
    assert (verdict.checked, verdict.head, verdict.breaks) == (5, rows[-1].hash, [])


def test_the_application_can_neither_change_nor_delete_an_entry(sessions: sessionmaker[Session]) -> None:
    _five(sessions)
    with pytest.raises(audit.AuditEntryImmutable), sessions.begin() as session:
        session.scalars(select(audit.AuditEntry)).first().detail = "autre"  # type: ignore[union-attr]
    with pytest.raises(audit.AuditEntryImmutable), sessions.begin() as session:
        session.delete(session.scalars(select(audit.AuditEntry)).first())


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET who = 'x' WHERE seq = 2",
                                       "DELETE FROM audit_log WHERE seq = 2"])
def test_the_database_refuses_a_hand_typed_update_or_delete(
    sessions: sessionmaker[Session], engine: Engine, statement: str
) -> None:
    _five(sessions)
    with pytest.raises(DatabaseError, match="audit log entries cannot be"), engine.begin() as conn:
        conn.execute(text(statement))
    with sessions() as session:
        assert audit.verify(session).breaks == []


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_refuses_to_truncate_the_log(sessions: sessionmaker[Session], engine: Engine) -> None:
    _five(sessions)
    with pytest.raises(DatabaseError, match="cannot be changed or deleted"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))


def test_verify_names_an_entry_changed_behind_the_applications_back(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _five(sessions)
    _bypass_triggers(engine, "UPDATE audit_log SET target = 'lead 99' WHERE seq = 3")
    with sessions() as session:
        breaks = audit.verify(session).breaks
    assert [(b.seq, b.problem) for b in breaks] == [(3, "son contenu a été modifié après son écriture")]


def test_verify_finds_a_removed_entry(sessions: sessionmaker[Session], engine: Engine) -> None:
    _five(sessions)
    _bypass_triggers(engine, "DELETE FROM audit_log WHERE seq = 2")
    with sessions() as session:
        breaks = audit.verify(session).breaks
    assert [b.seq for b in breaks] == [3, 3]
    assert "l'entrée 2 manque" in breaks[0].problem
    assert "ne suit pas l'entrée qui la précède" in breaks[1].problem


def test_verify_finds_a_rewritten_entry_whose_own_hash_was_recomputed(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    _five(sessions)
    with sessions() as session:
        third = session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.seq == 3)).one()
        forged = audit.entry_hash(3, third.at, third.who, third.role, third.action, "lead 99", third.address,
                                  third.detail, third.prev_hash)
    _bypass_triggers(engine, f"UPDATE audit_log SET target = 'lead 99', hash = '{forged}' WHERE seq = 3")
    with sessions() as session:
        breaks = audit.verify(session).breaks
    assert [b.seq for b in breaks] == [4]


def test_entries_filter_by_who_what_and_time(sessions: sessionmaker[Session]) -> None:
    _five(sessions)
    with sessions() as session:
        assert [e.seq for e in audit.entries(session, audit.Filter(who="user1"))] == [2, 4]
        assert [e.seq for e in audit.entries(session, audit.Filter(what="lead 3"))] == [3]
        span = audit.Filter(start=T0 + timedelta(minutes=1), end=T0 + timedelta(minutes=3))
        assert [e.seq for e in audit.entries(session, span)] == [2, 3]
        assert [e.seq for e in audit.entries(session, audit.Filter(), limit=2)] == [4, 5]
        assert audit.entries(session, audit.Filter(what="100%")) == []
