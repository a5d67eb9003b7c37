"""Billing benchmark: a weekly run over 100,000 appointments with their quality-control history.

    python -m bench.billing [--appointments 100000] [--clients 10] [--weeks 20] [--database-url URL]

Setup (not timed): clients with the sample contract (80 € per RDV, 40 % minimum, prepaid), their
appointments spread over `--weeks` production weeks, each with its history (taken, sent, then for many a
confirmation, a visit, a client cancellation and a quality-control ruling), bulk-inserted through Core.

Timed, each on its own:
- weekly runs: `billing.services.run_week` for each week in turn, every client, as the Monday job does
  (one invoice per client and week: numbers, week items, ledger debits);
- one run after 10 % of the appointments have moved (fausses chutes proven, disputes accepted): the run
  for the last week re-reads every week in its look-back and bills or credits the differences;
- idle run: nothing moved, nothing issued (the run is idempotent);
- one invoice's PDF/A-3 with its Factur-X XML (made after the run, from the stored document).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from billing import store
from billing.pdf import invoice_pdf
from billing.rules import Week
from billing.services import record_transfer, run_week, save_contract
from campaigns import store as campaigns
from campaigns.appointments import Appointment, AppointmentEvent
from campaigns.models import Client
from leads.models import Lead
from rdv import db

LAST = Week(2026, 49)
HISTORIES = [  # (weight, states in order)
    (35, ["taken", "sent_to_client"]),
    (25, ["taken", "sent_to_client", "confirmed", "visited", "validated"]),
    (15, ["taken", "sent_to_client", "cancelled_by_client"]),
    (15, ["taken", "sent_to_client", "confirmed", "visited", "cancelled"]),
    (10, ["taken", "sent_to_client", "cancelled_by_client", "false_cancellation"]),
]


def _setup(sessions: sessionmaker[Session], count: int, clients: int, weeks: int, seed: int) -> list[str]:
    import tomllib

    rng = random.Random(seed)
    raw = tomllib.loads((Path(__file__).resolve().parents[1] / "billing" / "samples" / "outsourcing-academy.toml")
                        .read_text(encoding="utf-8"))
    names = [f"Client {n:02d}" for n in range(clients)]
    now = LAST.bounds("Europe/Paris")[1] + timedelta(hours=6)
    with sessions.begin() as session:
        campaign_ids = []
        for name in names:
            client = campaigns.add_client(session, name, [f"rdv@{n}.example" for n in [name.replace(' ', '')]],
                                          f"{name} SARL")
            campaign_ids.append(campaigns.create_campaign(session, f"RDV {name}", name).id)
            save_contract(session, client, raw, now)
            record_transfer(session, name, store.from_cents(100_000_000), "VIR-BENCH", now)
    first_monday = datetime.combine(Week.of(LAST.monday() - timedelta(weeks=weeks - 1)).monday(),
                                    datetime.min.time(), UTC)
    weights = [w for w, _states in HISTORIES]
    with sessions.begin() as session:
        lead_rows = [{"campaign_id": campaign_ids[i % clients], "phone_e164": f"+3361{i:07d}"} for i in range(count)]
        session.execute(insert(Lead), lead_rows)
        lead_ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
        rows, histories = [], []
        for i, lead_id in enumerate(lead_ids):
            taken = first_monday + timedelta(seconds=rng.randrange(weeks * 7 * 86400 - 3600))
            states = rng.choices(HISTORIES, weights)[0][1]
            rows.append({"campaign_id": campaign_ids[i % clients], "lead_id": lead_id, "slot_start": taken,
                         "slot_end": taken, "timezone": "Europe/Paris", "conform": rng.random() < 0.8,
                         "state": states[-1], "state_changed_at": taken, "taken_at": taken})
            histories.append(states)
        session.execute(insert(Appointment), rows)
        ids = list(session.scalars(select(Appointment.id).order_by(Appointment.id)))
        events = [{"appointment_id": a, "from_state": prev, "to_state": state, "at": rows[n]["taken_at"]}
                  for n, a in enumerate(ids) for prev, state in zip(["", *histories[n]], histories[n], strict=False)]
        session.execute(insert(AppointmentEvent), events)
    return names


def _run(sessions: sessionmaker[Session], names: list[str], now: datetime, weeks: list[Week]) -> tuple[float, int]:
    began = time.perf_counter()
    issued = 0
    for week in weeks:
        for name in names:
            with sessions.begin() as session:
                issued += len(run_week(session, name, week, now).issued)
    return time.perf_counter() - began, issued


def _move(sessions: sessionmaker[Session], share: float, seed: int) -> int:
    """Quality control catches up: a share of the pending and billed appointments get their ruling."""
    rng = random.Random(seed + 1)
    with sessions.begin() as session:
        rows = list(session.execute(select(Appointment.id, Appointment.state)))
        moved = [(i, "false_cancellation" if s == "cancelled_by_client" else "cancelled_by_client")
                 for i, s in rows if s in ("cancelled_by_client", "sent_to_client") and rng.random() < share * 2]
        moved = moved[: int(len(rows) * share)]
        for target in ("false_cancellation", "cancelled_by_client"):
            wanted = [i for i, t in moved if t == target]
            for start in range(0, len(wanted), 5000):
                session.execute(update(Appointment).where(Appointment.id.in_(wanted[start:start + 5000]))
                                .values(state=target))
    return len(moved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
        engine = db.make_engine(url)
        db.upgrade(engine)
        sessions = db.session_factory(engine)
        began = time.perf_counter()
        names = _setup(sessions, args.appointments, args.clients, args.weeks, args.seed)
        print(f"setup: {args.appointments:,} appointments with history, {len(names)} clients, {args.weeks} weeks "
              f"in {time.perf_counter() - began:.1f} s ({engine.dialect.name})")
        now = LAST.bounds("Europe/Paris")[1] + timedelta(hours=6)
        every = [Week.of(LAST.monday() - timedelta(weeks=n)) for n in range(args.weeks - 1, -1, -1)]
        seconds, issued = _run(sessions, names, now, every)
        print(f"weekly runs, each week in turn: {issued} invoices in {seconds:.2f} s")
        moved = _move(sessions, 0.10, args.seed)
        seconds, issued = _run(sessions, names, now + timedelta(days=7), [LAST])
        print(f"one run after {moved:,} results moved (all {args.weeks} weeks re-read): {issued} documents "
              f"in {seconds:.2f} s")
        seconds, issued = _run(sessions, names, now + timedelta(days=8), [LAST])
        print(f"idle run: {issued} documents in {seconds:.2f} s")
        with sessions() as session:
            document = store.list_invoices(session)[0].document
            client_count = session.query(Client).count()
        began = time.perf_counter()
        invoice_pdf(document)
        print(f"one invoice PDF/A-3 + Factur-X: {time.perf_counter() - began:.2f} s ({client_count} clients)")
        engine.dispose()


if __name__ == "__main__":
    main()
