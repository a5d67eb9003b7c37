"""KPI benchmark: the weekly dashboard's figures from a week of a million attempts.

    python -m bench.kpis [--attempts 1000000] [--leads 250000] [--database-url URL [--reuse]] [--keep PATH]

Setup (not timed): one campaign, its 40 agents, `--leads` leads in three départements and two zones (Paris, Guadeloupe),
`--attempts` finished attempts spread over Monday to Friday 10:00-19:00 (outcomes in the proportions of
the demo: a third answered, agents' dispositions on the connected calls), one RDV per 40 connected calls,
bulk-inserted through Core in dial order (ids grow with time, as the dialer writes them: an index range over
the week then reads the table in order; in random order SQLite alone spent 3 s more on a million lookups).

Timed, each on its own:
- load: `reports.kpi_frames.load_frames` for the week (the attempts of the 31 days before it too, for the
  rolling abandonment; here none), leads and appointments;
- figures: `reports.kpis.figures` for the week and the week before, every breakdown of the dashboard
  (day, hour, weekday, département, attempts per lead, refusals) and the service levels.
Memory: the peak resident size of the process (the frames of a million rows included), and the frames' size.
Times are wall and CPU (this process's): on a shared machine the wall clock counts the neighbours' work too.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store as campaigns
from campaigns.appointments import Appointment
from campaigns.models import Attempt
from dialer.models import AgentRecord
from leads.models import Lead
from rdv import db
from reports import kpis
from reports.kpi_frames import campaign_facts, load_frames
from reports.service_levels import service_levels

MONDAY = date(2026, 12, 7)
OUTCOMES = ["no_answer", "busy", "congestion", "invalid", "machine", "dropped", "connected", "failed"]
WEIGHTS = [0.38, 0.06, 0.02, 0.03, 0.17, 0.01, 0.32, 0.01]
DISPOSITIONS = ["refused", "not_target", "callback", "already_equipped", "wrong_number", "rdv", "do_not_call"]
DISPOSITION_WEIGHTS = [0.40, 0.15, 0.20, 0.10, 0.08, 0.025, 0.045]
AGENTS = 40
PLACES = [("Europe/Paris", "69"), ("Europe/Paris", "33"), ("Europe/Paris", "2A"), ("America/Guadeloupe", "971")]


def _setup(sessions: sessionmaker[Session], attempts: int, leads: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    with sessions.begin() as session:
        campaigns.add_client(session, "Bench", ["bench@example.invalid"])
        campaign_id = campaigns.create_campaign(session, "Bench KPIs", "Bench").id
    places = rng.integers(0, len(PLACES), leads)
    with sessions.begin() as session:  # the teleoperators, as the dialer knows them (their logins)
        session.execute(insert(AgentRecord), [{"login": f"agent{n}", "campaign_id": campaign_id}
                                              for n in range(AGENTS)])  # fmt: skip
    with sessions.begin() as session:
        session.execute(insert(Lead), [
            {"campaign_id": campaign_id, "phone_e164": f"+3361{n:07d}", "timezone": PLACES[p][0],
             "subdivision": PLACES[p][1], "status": "final" if n % 3 == 0 else "retry", "attempts": 4}
            for n, p in enumerate(places)])  # fmt: skip
    first_id = 1
    outcome = rng.choice(len(OUTCOMES), attempts, p=WEIGHTS)
    disposition = rng.choice(len(DISPOSITIONS), attempts, p=DISPOSITION_WEIGHTS)
    lead_of = rng.integers(0, leads, attempts)
    start = datetime.combine(MONDAY, datetime.min.time(), UTC) + timedelta(hours=9)
    # In dial order, as the dialer inserts them: ids grow with time (an index range then reads the table in order).
    offsets = np.sort(rng.integers(0, 5, attempts) * 86400 + rng.integers(0, 9 * 3600, attempts))
    talk = rng.integers(40, 500, attempts)
    rdv_rows, batch = [], []
    with sessions.begin() as session:
        for i in range(attempts):
            at = start + timedelta(seconds=int(offsets[i]))
            kind = OUTCOMES[outcome[i]]
            connected = kind == "connected"
            human = connected or kind == "dropped"
            lead = first_id + int(lead_of[i])
            agent = f"agent{i % AGENTS}"
            batch.append({
                "id": i + 1, "campaign_id": campaign_id, "lead_id": lead, "attempt_no": 1, "phone_e164": "+33600000000",
                "callee_tz": PLACES[places[lead - 1]][0], "state": "ended", "outcome": kind, "action_id": f"b{i}",
                "created_at": at, "originated_at": at, "answered_at": at + timedelta(seconds=12) if human else None,
                "connected_at": at + timedelta(seconds=13) if connected else None,
                "ended_at": at + timedelta(seconds=13 + (int(talk[i]) if connected else 20)),
                "talk_s": float(talk[i]) if connected else None, "wrap_s": 25.0 if connected else None,
                "agent": agent if connected else "",
                "disposition": DISPOSITIONS[disposition[i]] if connected else "",
            })  # fmt: skip
            if connected and DISPOSITIONS[disposition[i]] == "rdv":
                taken = at + timedelta(seconds=13 + int(talk[i]))
                visit = taken + timedelta(days=3)
                rdv_rows.append({"campaign_id": campaign_id, "lead_id": lead, "attempt_id": i + 1,
                                 "slot_start": visit, "slot_end": visit + timedelta(hours=2),
                                 "timezone": "Europe/Paris", "address": "1 rue", "postcode": "69003", "city": "Lyon",
                                 "agent": agent, "taken_at": taken, "state_changed_at": taken})  # fmt: skip
            if len(batch) == 50_000:
                session.execute(insert(Attempt), batch)
                batch = []
        if batch:
            session.execute(insert(Attempt), batch)
        session.execute(insert(Appointment), rdv_rows)
    return campaign_id


def _week_figures(frames: kpis.KpiFrames, argued: frozenset[str], final: frozenset[str]) -> kpis.Figures:
    last = MONDAY + timedelta(days=6)
    week = kpis.figures(frames, MONDAY, last, argued)
    kpis.figures(frames, MONDAY - timedelta(days=7), last - timedelta(days=7), argued)
    attempts = kpis.in_period(frames.attempts, MONDAY, last)
    appointments = kpis.in_period(frames.appointments, MONDAY, last)
    kpis.by_day(attempts, appointments, argued)
    kpis.by_hour_band(attempts, appointments, argued)
    kpis.by_weekday(attempts, appointments, argued)
    kpis.by_departement(attempts, appointments, frames.leads, argued)
    kpis.attempts_per_lead(attempts)
    kpis.refusal_reasons(attempts, final, argued)
    from datetime import time as clock

    service_levels(attempts, appointments, boundaries=(clock(12), clock(14), clock(17)), sends_as_taken=False)
    return week


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=250_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to build once and reuse")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--reuse", action="store_true",
                        help="the database at --database-url was built by an earlier run: time it again")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-kpis-")
    path = args.keep or Path(folder) / "bench.sqlite3"
    url = args.database_url or f"sqlite:///{path}"
    reuse = args.reuse or (args.keep is not None and args.keep.exists() and not args.database_url)
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    if not reuse:
        db.upgrade(engine)
        began = time.perf_counter()
        campaign_id = _setup(sessions, args.attempts, args.leads, args.seed)
        print(f"setup: {args.attempts:,} attempts, {args.leads:,} leads in {time.perf_counter() - began:.1f} s")
    else:
        campaign_id = 1
    with sessions() as session:
        facts = campaign_facts(session, campaign_id)
        since = datetime.combine(MONDAY - timedelta(days=7), datetime.min.time(), UTC) - timedelta(hours=1)
        until = datetime.combine(MONDAY + timedelta(days=7), datetime.min.time(), UTC) - timedelta(hours=1)
        began, cpu = time.perf_counter(), time.process_time()
        frames = load_frames(session, facts, since, until)
        loaded, loaded_cpu = time.perf_counter() - began, time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    week = _week_figures(frames, facts.argued, facts.final)
    computed, computed_cpu = time.perf_counter() - began, time.process_time() - cpu
    size = sum(int(f.memory_usage(deep=True).sum()) for f in (frames.attempts, frames.leads, frames.appointments))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{engine.dialect.name}: {len(frames.attempts):,} attempts, {len(frames.leads):,} leads, "
          f"{len(frames.appointments):,} RDVs")
    # CPU time beside wall time: on a shared machine the wall clock also counts other people's work.
    print(f"load {loaded:.2f} s ({loaded_cpu:.2f} s CPU), figures {computed:.2f} s ({computed_cpu:.2f} s CPU), "
          f"total {loaded + computed:.2f} s ({loaded_cpu + computed_cpu:.2f} s CPU)")
    print(f"frames {size / 2**20:.0f} MiB, peak RSS {peak:.0f} MiB")
    print(f"week: {week.dials:,} dials, answer rate {week.answer_rate:.1%}, {week.rdvs:,} RDVs, "
          f"conversion {week.conversion:.1%}, DMT {week.handling_time_s:.0f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
