"""Hopper tick benchmark: the fixed cost of one small claim, as the dialer's 2-second tick makes it, on SQLite.

Run by hand (never from the tests):

    .venv/bin/python -m bench.hopper_tick --leads 3000 100000 --rounds 200 --dir /tmp/rdv-tick
    .venv/bin/python -m bench.hopper_tick --leads 3000 --profile   # cProfile of the claims of 1 lead
    .venv/bin/python -m bench.hopper_tick --leads 100000 --url postgresql+psycopg://rdv@127.0.0.1:PORT/tick

The campaign is shaped like `rdv demo`'s: the demo's lead file (`rdv.demo_data.generator.demo_file`, about 90
départements, Corsica and overseas) imported through the real import into a fr-consumer campaign, then
started (fresh leads without consent set aside). The SQLite database is kept in `--dir` and reused by later runs,
so that before/after figures are taken on the same rows; `--url` names a PostgreSQL database instead (one lead
count), imported into when it has no campaign yet.

Each figure is one `claim_leads(session, campaign, now, n, dialer, centre_timezone=...)` in its own committed
transaction, as `dialer.engine` makes it; wall time (median, p95) and CPU time of this process (median: it does
not grow when other work shares the cores; on PostgreSQL, the server's is not counted). After each claim its
leads are given back, untimed, so every claim sees the same hopper. Two moments: a Monday afternoon (every zone
open) and Good Friday 2026 at 15:00 in Paris (a holiday in Moselle, Alsace and the Antilles only: seven zones
closed, the others open).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads
from campaigns.models import LeadClaim
from campaigns.zones import campaign_zones
from leads.models import Lead
from rdv import db

MOMENTS = {
    "Monday 15:00 Paris, every zone open": datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
    "Good Friday 15:00 Paris, Alsace-Moselle, Antilles closed": datetime(2026, 4, 3, 13, 0, tzinfo=UTC),
}
SIZES = (1, 3, 100)
CENTRE = "Europe/Paris"


def prepare(folder: Path, count: int, url: str | None = None) -> tuple[sessionmaker[Session], int]:
    """The demo-shaped campaign with `count` leads, made once per database; returns its sessions and id."""
    from campaigns import store
    from campaigns.services import start_campaign
    from leads.importer import ImportOptions, ImportTarget, import_leads
    from rdv.demo_data.generator import demo_file

    folder.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(url or f"sqlite:///{folder / f'tick-{count}.sqlite3'}")
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as session:
        found = session.scalar(select(store.Campaign.id).where(store.Campaign.name == "Charpente"))
    if found is not None:
        return sessions, found
    started = time.perf_counter()
    lead_file = demo_file(folder / f"tick-{count}.csv", count=count)
    with sessions.begin() as session:
        store.add_client(session, "Charpente", [])
        campaign = store.create_campaign(session, "Charpente", "Charpente", "fr-consumer", CENTRE)
        target = ImportTarget(campaign.id, campaign.client_id, campaign.timezone)
    import_leads(sessions, target, folder / f"tick-{count}.csv", ImportOptions(), datetime(2026, 10, 1, tzinfo=UTC))
    with sessions.begin() as session:
        start_campaign(session, "Charpente", datetime(2026, 10, 1, tzinfo=UTC))
    print(f"{count:,} leads ({lead_file.rows:,} rows) imported in {time.perf_counter() - started:.1f} s", flush=True)
    return sessions, campaign.id


def give_back(sessions: sessionmaker[Session], lead_ids: list[int]) -> None:
    with sessions.begin() as session:
        session.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(claimed_by="", claimed_at=None)
                        .execution_options(synchronize_session=False))
        session.execute(delete(LeadClaim).where(LeadClaim.lead_id.in_(lead_ids)))


def time_claims(sessions: sessionmaker[Session], campaign_id: int, now: datetime, n: int,
                rounds: int) -> tuple[list[float], list[float], int]:
    """(wall ms, CPU ms) of each of `rounds` claims of `n` leads, and how many leads the last one got."""
    walls, cpus, got = [], [], 0
    for i in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        with sessions.begin() as session:
            targets = claim_leads(session, campaign_id, now, n, f"tick-{i % 5}", centre_timezone=CENTRE)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        got = len(targets)
        give_back(sessions, [t.lead_id for t in targets])
    return walls, cpus, got


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def run(folder: Path, count: int, rounds: int, profile: bool, url: str | None = None) -> None:
    sessions, campaign_id = prepare(folder, count, url)
    with sessions() as session:
        zones = campaign_zones(session, campaign_id)
        backend = session.get_bind().dialect.name
        leads = session.scalar(select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign_id))
    print(f"[{backend}, {leads:,} leads, {len(zones)} zones]", flush=True)
    for label, now in MOMENTS.items():
        for n in SIZES:
            time_claims(sessions, campaign_id, now, n, 5)  # warm: zone scan, rules, statement caches
            profiler = cProfile.Profile() if profile and n == 1 else None
            if profiler:
                profiler.enable()
            walls, cpus, got = time_claims(sessions, campaign_id, now, n, rounds)
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            print(f"  {label}: claim of {n:>3} (got {got:>3}): wall median {statistics.median(walls):6.2f} ms,"
                  f" p95 {_p95(walls):6.2f} ms; CPU median {statistics.median(cpus):6.2f} ms,"
                  f" p95 {_p95(cpus):6.2f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/rdv-hopper-tick"),
                        help="Where the databases are kept and reused.")
    parser.add_argument("--profile", action="store_true", help="cProfile the claims of one lead.")
    parser.add_argument("--url", default=None, help="A PostgreSQL database to use instead (one --leads count).")
    args = parser.parse_args()
    for count in args.leads:
        run(args.dir, count, args.rounds, args.profile, args.url)


if __name__ == "__main__":
    main()
