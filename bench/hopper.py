"""Hopper benchmark: time to claim 100 leads among millions, on SQLite and PostgreSQL, with and without indexes.

Run by hand (never from the tests):

    .venv/bin/python -m bench.hopper --leads 1000000 --backend both
    .venv/bin/python -m bench.hopper --leads 10000000 --backend postgresql

To measure again on the same 10 M leads (generating them takes minutes), keep a database and pass its URL:
the leads are generated only when it has none, and `--skip-unindexed` leaves out the slow runs without our
indexes:

    .venv/bin/python -m bench.hopper --backend postgresql --url postgresql+psycopg://rdv@127.0.0.1:PORT/bench

Leads are generated in bulk SQL (PostgreSQL generate_series, SQLite recursive CTE) across nine callee zones
and all attempt states; 10 % of them have an earlier attempt (for the frequency-cap lookup), 10,000 numbers are
on the do-not-call list; fresh leads without consent are set aside (`no_consent`) as starting the campaign
does. Each figure is the wall time of `claim_leads(..., n=100)` in its own committed transaction. The plans
printed are PostgreSQL's whole claim statement (EXPLAIN ANALYZE, rolled back) and SQLite's two candidate
queries (QUERY PLAN).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, literal, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler

from campaigns import store
from campaigns.hopper import claim_leads, hopper_for
from campaigns.services import set_aside_leads_without_consent
from leads.consent_store import records_from_columns
from leads.models import Lead
from rdv import db

# Monday 23 November 2026, 15:00 in Paris (every zone open) and 10:30 (the Caribbean still closed).
AFTERNOON = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
# Our indexes, as created by migration campaigns_0001 (see campaigns/models.py).
INDEXES = {
    "ix_leads_hopper": "leads (campaign_id, status, priority DESC, next_attempt_at, id)",
    "ix_leads_campaign_zone": "leads (campaign_id, timezone, country, subdivision)",
    "ix_attempts_phone_created": "attempts (phone_e164, created_at)",
}
# g % 100 → zone: 85 % mainland, then Moselle, Bas-Rhin and the overseas departments.
ZONES = """CASE WHEN {g} % 100 < 85 THEN '{a}' WHEN {g} % 100 < 90 THEN '{b}' WHEN {g} % 100 < 93 THEN '{c}'
 WHEN {g} % 100 < 95 THEN '{d}' WHEN {g} % 100 < 97 THEN '{e}' WHEN {g} % 100 < 98 THEN '{f}'
 WHEN {g} % 100 < 99 THEN '{h}' ELSE '{i}' END"""
TZ = dict(a="Europe/Paris", b="Europe/Paris", c="Europe/Paris", d="Indian/Reunion", e="America/Martinique",
          f="America/Guadeloupe", h="America/Cayenne", i="Indian/Mayotte")
SUB = dict(a="", b="57", c="67", d="974", e="972", f="971", h="973", i="976")
# (g * 7) % 100 → status: 40 % new, 35 % retry, 2 % callback, 15 % final, 8 % exhausted.
STATUS = """CASE WHEN ({g} * 7) % 100 < 40 THEN 'new' WHEN ({g} * 7) % 100 < 75 THEN 'retry'
 WHEN ({g} * 7) % 100 < 77 THEN 'callback' WHEN ({g} * 7) % 100 < 92 THEN 'final' ELSE 'exhausted' END"""
COLUMNS = """campaign_id, external_ref, civility, last_name, first_name, company, address, postcode, city, email,
 custom, phone_e164, phone_type, timezone, country, subdivision, consent_at, consent_source, consent_proof,
 contract_exemption, status, attempts, last_outcome, next_attempt_at, priority, claimed_by, created_at"""


def _values(g: str, phone: str, ts: Callable[[str], str], offset_minutes: Callable[[str], str]) -> str:
    """The SELECT list of one generated lead; `ts` makes a timestamp literal, `offset_minutes` shifts it."""
    return f"""1, '', '', '', '', '', '', '', '', '', '{{}}', {phone}, 'mobile',
 {ZONES.format(g=g, **TZ)}, 'FR', {ZONES.format(g=g, **SUB)},
 CASE WHEN {g} % 50 = 0 THEN NULL ELSE {ts('2026-09-01 00:00:00')} END,
 CASE WHEN {g} % 50 = 0 THEN '' ELSE 'web form' END, CASE WHEN {g} % 50 = 0 THEN '' ELSE 'proof' END,
 {g} % 33 = 0, {STATUS.format(g=g)}, {g} % 5, '',
 CASE WHEN ({g} * 7) % 100 < 40 THEN NULL ELSE {offset_minutes(g)} END,
 CASE WHEN {g} % 1000 = 7 THEN 1 ELSE 0 END, '', {ts('2026-11-01 00:00:00')}"""


def generate_postgresql(engine: Engine, count: int) -> None:
    """Bulk-insert `count` leads, their earlier attempts and a do-not-call list with generate_series."""
    def ts(value: str) -> str:
        return f"timestamptz '{value}+00'"

    def shift(g: str) -> str:
        # Retries due from 3 days ago to 3 days ahead of the afternoon moment: about half are due.
        return f"timestamptz '2026-11-23 14:00:00+00' + (({g} % 8640) - 4320) * interval '1 minute'"

    phone = "'+336' || lpad(g::text, 8, '0')"
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO leads ({COLUMNS}) SELECT {_values('g', phone, ts, shift)} "
                          f"FROM generate_series(1, {count}) AS g"))
        conn.execute(text(
            "INSERT INTO attempts (campaign_id, lead_id, attempt_no, phone_e164, callee_tz, state, outcome, action_id,"
            " dialer_id, channel, agent, disposition, created_at) SELECT 1, g, 1, '+336' || lpad(g::text, 8, '0'),"
            " 'Europe/Paris', 'ended', 'no_answer', 'bench-' || g, 'bench', '', '', '',"
            f" timestamptz '2026-11-20 10:00:00+00' FROM generate_series(1, {count}, 10) AS g"))
        conn.execute(text("INSERT INTO do_not_call (client_id, e164, reason, added_at) SELECT 1,"
                          " '+336' || lpad((g * 997)::text, 8, '0'), 'bench', now()"
                          f" FROM generate_series(1, 10000) AS g WHERE g * 997 <= {count}"))


def generate_sqlite(engine: Engine, count: int) -> None:
    """The same data with a recursive CTE (SQLite stores UTC datetimes as text)."""
    def ts(value: str) -> str:
        return f"'{value}.000000'"

    def shift(g: str) -> str:
        return f"strftime('%Y-%m-%d %H:%M:%S', '2026-11-23 14:00:00', (({g} % 8640) - 4320) || ' minutes') || '.000000'"

    phone = "'+336' || printf('%08d', x)"
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO leads ({COLUMNS}) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL "
                          f"SELECT x + 1 FROM s WHERE x < {count}) SELECT {_values('x', phone, ts, shift)} FROM s"))
        conn.execute(text(
            "INSERT INTO attempts (campaign_id, lead_id, attempt_no, phone_e164, callee_tz, state, outcome, action_id,"
            " dialer_id, channel, agent, disposition, created_at) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL"
            f" SELECT x + 10 FROM s WHERE x + 10 <= {count}) SELECT 1, x, 1, '+336' || printf('%08d', x),"
            " 'Europe/Paris', 'ended', 'no_answer', 'bench-' || x, 'bench', '', '', '',"
            " '2026-11-20 10:00:00.000000' FROM s"))
        conn.execute(text("INSERT INTO do_not_call (client_id, e164, reason, added_at) WITH RECURSIVE s(x) AS"
                          f" (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 10000) SELECT 1,"
                          " '+336' || printf('%08d', x * 997), 'bench', '2026-11-01 00:00:00.000000' FROM s"
                          f" WHERE x * 997 <= {count}"))


def drop_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def create_indexes(engine: Engine) -> float:
    """Create our indexes and refresh the planner's statistics; returns the seconds it took."""
    started = time.perf_counter()
    with engine.begin() as conn:
        for name, target in INDEXES.items():
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {target}"))
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def time_claims(sessions: sessionmaker[Session], now: datetime, rounds: int, finish: bool = False) -> list[float]:
    """Milliseconds per committed claim of 100 leads, `rounds` times in a row (each claim takes new leads).

    Claimed leads pile up at the head of the hopper's index, which later claims step over; with `finish`, each
    batch is instead rescheduled a day later (as its finished calls would) before the next claim, untimed.
    """
    timings = []
    for i in range(rounds):
        started = time.perf_counter()
        with sessions.begin() as session:
            targets = claim_leads(session, 1, now, 100, f"bench-{i}")
        timings.append((time.perf_counter() - started) * 1000)
        assert len(targets) == 100, f"only {len(targets)} leads claimed"
        if finish:
            with sessions.begin() as session:
                session.execute(text("UPDATE leads SET claimed_by = '', claimed_at = NULL, status = 'retry',"
                                     " next_attempt_at = :later WHERE id = ANY(:ids)" if _pg(session) else
                                     "UPDATE leads SET claimed_by = '', claimed_at = NULL, status = 'retry',"
                                     " next_attempt_at = :later WHERE id IN (SELECT value FROM json_each(:ids))"),
                                {"later": now + timedelta(days=1),
                                 "ids": [t.lead_id for t in targets] if _pg(session) else
                                 json.dumps([t.lead_id for t in targets])})
    with sessions.begin() as session:
        # Through the claim journal: no index covers leads.claimed_by.
        session.execute(text("UPDATE leads SET claimed_by = '', claimed_at = NULL WHERE id IN"
                             " (SELECT lead_id FROM lead_claims WHERE dialer_id LIKE 'bench-%')"))
        session.execute(text("DELETE FROM lead_claims WHERE dialer_id LIKE 'bench-%'"))
    return timings


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def explain(engine: Engine, sessions: sessionmaker[Session], now: datetime) -> str:
    """The plans as the server runs them: PostgreSQL's claim statement, SQLite's two candidate queries."""
    lines = []
    with sessions() as session:
        for name, query in hopper_for(session).queries(session, 1, now, 100, "bench-explain").items():
            compiled = cast(SQLCompiler, query.compile(dialect=engine.dialect))
            params: dict[str, Any] = {}
            for key, value in compiled.params.items():
                if isinstance(value, datetime) and engine.dialect.name == "sqlite":
                    value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                params[key] = value
            bound: dict[str, Any] | tuple[Any, ...]
            if engine.dialect.name == "postgresql":
                sql, bound = "EXPLAIN (ANALYZE, BUFFERS) " + compiled.string, params
            else:
                order = compiled.positiontup or []
                sql, bound = "EXPLAIN QUERY PLAN " + compiled.string, tuple(params[k] for k in order)
            rows = session.connection().exec_driver_sql(sql, bound).all()
            lines.append(f"-- {name} at {now:%H:%M} UTC")
            lines += [" | ".join(str(c) for c in row) for row in rows]
            session.rollback()  # EXPLAIN ANALYZE claimed for real
    return "\n".join(lines)


def generate(backend: str, engine: Engine, sessions: sessionmaker[Session], count: int, unindexed: bool,
             rounds: int) -> None:
    """Create the campaign and its leads, time claims without our indexes if asked, then create them."""
    with sessions.begin() as session:
        store.add_client(session, "Bench", [])
        store.create_campaign(session, "Bench", "Bench", "fr-consumer")
    drop_indexes(engine)
    started = time.perf_counter()
    (generate_postgresql if backend == "postgresql" else generate_sqlite)(engine, count)
    with sessions.begin() as session:
        # The consent gate reads consent records, which an import makes of the file's columns.
        records_from_columns(session, Lead.campaign_id == 1, literal(1), "bench", AFTERNOON)
        set_aside, _back = set_aside_leads_without_consent(session, 1, AFTERNOON)
    print(f"[{backend}] generated {count:,} leads in {time.perf_counter() - started:.1f} s"
          f" ({set_aside:,} fresh leads without consent set aside)", flush=True)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    if unindexed:
        for label, now in (("15:00 Paris, all zones open", AFTERNOON), ("10:30 Paris, Caribbean closed", MORNING)):
            without = time_claims(sessions, now, max(3, rounds // 4))
            print(f"[{backend}] {label} WITHOUT our indexes: {_summary(without)}", flush=True)
        print(explain(engine, sessions, AFTERNOON), flush=True)
    print(f"[{backend}] indexes created in {create_indexes(engine):.1f} s", flush=True)


def run(backend: str, url: str, count: int, rounds: int, unindexed: bool = True) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM campaigns")).scalar_one()
    if stored:
        print(f"[{backend}] reusing the leads already in {engine.url.render_as_string()}", flush=True)
    else:
        generate(backend, engine, sessions, count, unindexed, rounds)
    for label, now in (("15:00 Paris, all zones open", AFTERNOON), ("10:30 Paris, Caribbean closed", MORNING)):
        with_indexes = time_claims(sessions, now, rounds)
        print(f"[{backend}] {label} WITH our indexes: {_summary(with_indexes)}", flush=True)
    steady = time_claims(sessions, AFTERNOON, rounds, finish=True)
    print(f"[{backend}] 15:00 Paris, each batch finished before the next claim: {_summary(steady)}", flush=True)
    print(explain(engine, sessions, AFTERNOON), flush=True)
    print(explain(engine, sessions, MORNING), flush=True)
    engine.dispose()


def _summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"{len(timings)} claims of 100: median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
            f"max {ordered[-1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=10_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="Where the SQLite file goes (default: a temp dir).")
    parser.add_argument("--url", default=None, help="Use this database (one backend); leads are generated if empty.")
    parser.add_argument("--skip-unindexed", action="store_true", help="No timings without our indexes.")
    args = parser.parse_args()
    if args.url:
        run(db.make_engine(args.url).dialect.name, args.url, args.leads, args.rounds, not args.skip_unindexed)
        return
    if args.backend in {"sqlite", "both"}:
        folder = args.dir or Path(tempfile.mkdtemp(prefix="rdv-bench-"))
        for stale in folder.glob("hopper.sqlite3*"):
            stale.unlink()  # a fresh database each run
        run("sqlite", f"sqlite:///{folder / 'hopper.sqlite3'}", args.leads, args.rounds, not args.skip_unindexed)
    if args.backend in {"postgresql", "both"}:
        from tests.pgserver import PostgresServer

        server = PostgresServer.start()
        try:
            admin = db.make_engine(server.url).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench"))
            admin.dispose()
            run("postgresql", server.url_for("bench"), args.leads, args.rounds, not args.skip_unindexed)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
