"""The load test's database: a tuned throwaway PostgreSQL, a running campaign and its leads loaded by COPY.

The tuning is what the deployment guide recommends for a dialer centre's server (see docs/deployment.md); the
leads look like a French consumer list in its second week: nine callee zones, mobiles and landlines, 40 % new,
35 % due or later retries, some callbacks, finals and exhausted ones, 10 % with an earlier attempt on record
(the frequency-cap lookup) and a do-not-call list, so that the hopper's claim does its real work.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psycopg
from sqlalchemy import Engine, literal, text

from campaigns import store
from campaigns.script_store import load_script_file
from campaigns.services import start_campaign
from leads.consent_store import records_from_columns
from leads.models import Lead
from rdv import db
from tests.pgserver import PostgresServer, PostgresUnavailable, _as_postgres, _bindir, _free_port
from tests.rdv.service_harness import SCRIPT

# postgresql.conf settings of the load test (a 2-core, 23 GB machine shared with the dialers). fsync stays on:
# the WAL figures and the commit costs are those of a real server.
TUNING = {
    "max_connections": "200",
    "shared_buffers": "2GB",
    "effective_cache_size": "8GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "1GB",
    "wal_compression": "on",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "synchronous_commit": "off",
    "random_page_cost": "1.1",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
}
# Zones by g % 100, with the subdivision the hopper's calendar looks at: mostly mainland France.
ZONES = ((85, "Europe/Paris", ""), (90, "Europe/Paris", "57"), (93, "Europe/Paris", "67"),
         (95, "Indian/Reunion", "974"), (97, "America/Martinique", "972"), (98, "America/Guadeloupe", "971"),
         (99, "America/Cayenne", "973"), (100, "Indian/Mayotte", "976"))  # fmt: skip
# Status by (g * 7) % 100: the share of each, and the attempts they have had.
STATUSES = ((40, "new"), (75, "retry"), (77, "callback"), (92, "final"), (100, "exhausted"))
COLUMNS = ("campaign_id", "phone_e164", "phone_type", "timezone", "country", "subdivision", "consent_at",
           "consent_source", "consent_proof", "status", "attempts", "last_outcome", "next_attempt_at",
           "priority", "custom", "created_at", "external_ref", "civility", "last_name", "first_name", "company",
           "address", "postcode", "city", "email", "contract_exemption", "claimed_by")  # fmt: skip
CHUNK = 100_000
EMPTY_TEXT = ("",) * 8  # civility, names, company, address, postcode, city, email


def start_server(directory: Path | None = None) -> PostgresServer:
    """A PostgreSQL server with `TUNING`, as the `postgres` user on loopback."""
    bindir = _bindir()
    root = directory or Path(tempfile.mkdtemp(prefix="rdv-scale-pg-"))
    if os.geteuid() == 0:
        os.chown(root, *_postgres_ids())
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 " + " ".join(
        f"-c {name}={value}" for name, value in TUNING.items()
    )
    try:
        subprocess.run(_as_postgres(str(bindir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "rdv"),
                       check=True, capture_output=True, text=True)  # fmt: skip
        subprocess.run(_as_postgres(str(bindir / "pg_ctl"), "-D", str(root / "data"), "-o", options,
                                    "-l", str(root / "server.log"), "-w", "start"),
                       check=True, capture_output=True, text=True)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise PostgresUnavailable(f"cannot start PostgreSQL: {exc.stderr or exc.stdout}") from exc
    return PostgresServer(root, port)


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def create_campaign(engine: Engine, now: datetime, lines_per_agent: int = 4) -> tuple[int, int]:
    """A client and its fr-consumer campaign with a script, not started yet: (campaign id, client id)."""
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        client = store.add_client(session, "Charpentes Bench", ["rdv@client.example"])
        campaign = store.create_campaign(session, "Toitures", "Charpentes Bench", "fr-consumer")
        campaign.settings = {"wrap_up_seconds": "10", "max_lines_per_agent": str(lines_per_agent)}
        load_script_file(session, campaign.id, SCRIPT, "bench", now)
        session.flush()
        return campaign.id, client.id


def start(engine: Engine, campaign_id: int, client_id: int, now: datetime) -> None:
    """Record the leads' consents (as an import does from the file's columns), start the campaign, ANALYZE."""
    with db.session_factory(engine).begin() as session:
        records_from_columns(session, Lead.campaign_id == campaign_id, literal(client_id), "bench", now)
        start_campaign(session, "Toitures", now)
    # Planned on the statistics of an empty consent table, the first claims scan every lead (over a minute each
    # at 1 M leads) until autovacuum gets to it: what an import of millions followed by a start would meet too.
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _row(g: int, campaign_id: int, now: datetime) -> str:
    """One lead as a COPY text line."""
    zone = next(z for z in ZONES if g % 100 < z[0])
    status = next(s for bound, s in STATUSES if (g * 7) % 100 < bound)
    mobile = g % 3 != 0
    phone = f"+33{6 + g % 2 if mobile else 1 + g % 5}{g:08d}"
    attempts = 0 if status == "new" else 1 + g % 6
    # Retries due from 3 days ago to 3 days ahead: about half are due now.
    due = r"\N" if status == "new" else datetime.fromtimestamp(now.timestamp() + ((g % 8640) - 4320) * 60,
                                                               tz=now.tzinfo).isoformat()  # fmt: skip
    # 2 % of the list has no consent on record: starting the campaign sets the fresh ones aside.
    consent = (r"\N", "", "") if g % 50 == 0 else ("2026-09-01 00:00:00+00", "web form", "proof")
    outcome = "" if status == "new" else ("no_answer", "busy", "machine", "connected")[g % 4]
    return "\t".join((str(campaign_id), phone, "mobile" if mobile else "landline", zone[1], "FR", zone[2],
                      *consent, status, str(attempts), outcome, due,
                      "1" if g % 1000 == 7 else "0", "{}", "2026-11-01 00:00:00+00", f"L{g}",
                      *EMPTY_TEXT, "f", "")) + "\n"  # fmt: skip


def load_leads(server: PostgresServer, database: str, campaign_id: int, client_id: int, count: int,
               now: datetime) -> float:  # fmt: skip
    """COPY `count` leads in, then earlier attempts and the do-not-call list; returns the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=rdv dbname={database}") as conn:
        with conn.cursor() as cur, cur.copy(f"COPY leads ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for first in range(1, count + 1, CHUNK):
                buffer = io.StringIO()
                buffer.writelines(_row(g, campaign_id, now) for g in range(first, min(count, first + CHUNK - 1) + 1))
                copy.write(buffer.getvalue())
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO attempts (campaign_id, lead_id, attempt_no, phone_e164, callee_tz, state, outcome,"
                " action_id, dialer_id, pbx, channel, agent, disposition, created_at, ended_at)"
                " SELECT %(c)s, id, 1, phone_e164, timezone, 'ended', 'no_answer', 'bench-' || id, 'bench', '',"
                " '', '', '', timestamptz '2026-11-20 10:00:00+00', timestamptz '2026-11-20 10:00:30+00'"
                " FROM leads WHERE id %% 10 = 0 AND status <> 'new'", {"c": campaign_id})  # fmt: skip
            cur.execute("INSERT INTO do_not_call (client_id, e164, reason, added_at) SELECT %(c)s,"
                        " '+336' || lpad((g * 997)::text, 8, '0'), 'bench', now() FROM generate_series(1, 10000)"
                        " AS g WHERE g * 997 <= %(n)s", {"c": client_id, "n": count})  # fmt: skip
    return time.perf_counter() - started


def database_size(engine: Engine) -> dict[str, int]:
    """Bytes on disk of the leads table (with its indexes and TOAST), of attempts, and of the database."""
    with engine.connect() as conn:
        return {name: int(conn.scalar(text(query)) or 0) for name, query in (
            ("leads_bytes", "SELECT pg_total_relation_size('leads')"),
            ("attempts_bytes", "SELECT pg_total_relation_size('attempts')"),
            ("database_bytes", "SELECT pg_database_size(current_database())"))}  # fmt: skip
