"""Import benchmark: a realistic seeded French lead file through the real import, against a floor.

    python -m bench.import_leads [--rows 1000000] [--seed 7] [--database-url postgresql://rdv@127.0.0.1:5432/postgres]
                                 [--no-sqlite]

The file (CP1252, `;`, mixed phone shapes, 5 % duplicates, 3 % invalid numbers) is written once
under bench/data/. Each measurement runs in its own process on a fresh, migrated database, so its
peak resident memory (`ru_maxrss`) is its own:

- import: `leads.importer.import_leads` on the file, everything included (encoding detection,
  mapping, phone normalisation, duplicates, report, rejects file, one transaction);
- floor: `pandas.read_csv` of the same file plus the bulk insert of the same leads and phones,
  normalised beforehand outside the timed part, through the same Core insert.

SQLite always; PostgreSQL too when `--database-url` names a server (databases are created on it).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdv.demo_data import generator as generate_leads

DATA = Path(__file__).resolve().parent / "data"


def _fresh_database(kind: str, server_url: str | None, name: str, workdir: Path) -> str:
    from sqlalchemy import text

    from rdv import db

    if kind == "sqlite":
        return f"sqlite:///{workdir / (name + '.sqlite3')}"
    assert server_url
    admin = db.make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return str(db.make_engine(server_url).url.set(database=name).render_as_string(hide_password=False))


def _cpu() -> float:
    """CPU seconds of this process: unlike wall time, not inflated when other work shares the cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _campaign(url: str) -> tuple[Any, Any]:
    """A migrated database with one client and campaign; returns (engine, target)."""
    from campaigns import store as campaigns
    from leads.importer import ImportTarget
    from rdv import db

    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        campaigns.add_client(session, "Bench", [])
        campaign = campaigns.create_campaign(session, "Bench", "Bench")
        target = ImportTarget(campaign.id, campaign.client_id, campaign.timezone)
    return engine, target


def child_import(path: Path, url: str) -> dict[str, Any]:
    from leads.importer import ImportOptions, import_leads
    from rdv import db

    engine, target = _campaign(url)
    started, cpu = time.perf_counter(), _cpu()
    result = import_leads(db.session_factory(engine), target, path, ImportOptions(), datetime.now(UTC))
    seconds = time.perf_counter() - started
    report = result.report
    return {"seconds": seconds, "cpu": _cpu() - cpu, "leads": report.leads_created, "rows": report.rows_read,
            "phones": report.phones_created}


def _normalised(path: Path) -> tuple[list[int], list[list[tuple[Any, str]]]]:
    """Rows to keep and their phones, computed untimed: the floor gets them for free."""
    import pandas as pd

    from leads.phone import InvalidPhoneNumber, normalise

    frame = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    keep: list[int] = []
    phones: list[list[tuple[Any, str]]] = []
    seen: set[str] = set()
    for index, (fixed, mobile) in enumerate(zip(frame["Téléphone"], frame["Portable"], strict=True)):
        found = []
        for raw, header in ((fixed, "Téléphone"), (mobile, "Portable")):
            try:
                found.append((normalise(raw), header)) if raw else None
            except InvalidPhoneNumber:
                pass
        if found and not any(p.e164 in seen for p, _h in found):
            seen.update(p.e164 for p, _h in found)
            keep.append(index)
            phones.append(found)
    return keep, phones


def child_floor(path: Path, url: str) -> dict[str, Any]:
    import pandas as pd

    from leads import store
    from rdv import db

    keep, phones = _normalised(path)
    engine, target = _campaign(url)
    sessions = db.session_factory(engine)
    started, cpu = time.perf_counter(), _cpu()
    frame = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    columns = {"external_ref": "Référence", "civility": "Civilité", "last_name": "Nom", "first_name": "Prénom",
               "address": "Adresse", "postcode": "Code postal", "city": "Ville", "email": "E-mail",
               "consent_source": "Source du consentement", "consent_proof": "Référence de preuve"}
    custom = ["Type de logement", "Année de construction", "Projet"]
    now = datetime.now(UTC)
    with sessions.begin() as session:
        defaults = store.lead_defaults(now)
        defaults.update(campaign_id=target.campaign_id, import_id=None, timezone="Europe/Paris")
        lead_ids, phone_ids = store.IdBlock(session, store.LEADS), store.IdBlock(session, store.PHONES)
        records = frame.iloc[keep][list(columns.values()) + custom].itertuples(index=False, name=None)
        names = list(columns)
        batch: list[dict[str, Any]] = []
        batch_phones: list[list[tuple[Any, str]]] = []
        for record, found in zip(records, phones, strict=True):
            values = defaults.copy()
            values.update(zip(names, record, strict=False))
            values["custom"] = dict(zip(custom, record[len(names):], strict=True))
            values["phone_e164"], values["phone_type"] = found[0][0].e164, found[0][0].line_type
            values["consent_at"] = now
            batch.append(values)
            batch_phones.append(found)
            if len(batch) == store.BATCH:
                _insert(session, batch, batch_phones, lead_ids, phone_ids, target.campaign_id)
                batch, batch_phones = [], []
        _insert(session, batch, batch_phones, lead_ids, phone_ids, target.campaign_id)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": _cpu() - cpu, "leads": len(keep), "rows": len(frame),
            "phones": sum(map(len, phones))}


def _insert(session: Any, batch: list[dict[str, Any]], found: list[list[tuple[Any, str]]], lead_ids: Any,
            phone_ids: Any, campaign_id: int) -> None:
    from leads import store

    if not batch:
        return
    ids = lead_ids.take(len(batch))
    rows = []
    for lead_id, values, phones in zip(ids, batch, found, strict=True):
        values["id"] = lead_id
        for rank, (phone, header) in enumerate(phones):
            rows.append({"lead_id": lead_id, "campaign_id": campaign_id, "e164": phone.e164,
                         "line_type": phone.line_type, "region": phone.region, "timezone": phone.timezone,
                         "rank": rank, "source_column": header})
    for row, phone_id in zip(rows, phone_ids.take(len(rows)), strict=True):
        row["id"] = phone_id
    store.insert_rows(session, batch, rows)


def _run_child(kind: str, path: Path, url: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.import_leads", "--child", kind, "--file", str(path), "--url", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="Lead import benchmark.")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="PostgreSQL server to benchmark as well (databases are created)")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--child", choices=["import", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = (child_import if args.child == "import" else child_floor)(args.file, args.url)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    path = DATA / f"leads-{args.rows}-{args.seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        counts = generate_leads.write(path, args.rows, args.seed)
        print(f"generated {path} in {time.perf_counter() - started:.1f} s: {counts}")
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    backends = [] if args.no_sqlite else [("sqlite", None)]
    backends += [("postgresql", args.database_url)] if args.database_url else []
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as workdir:
        for kind, server in backends:
            results = {}
            for phase in ("import", "floor"):
                url = _fresh_database(kind, server, f"rdv_bench_{phase}", Path(workdir))
                results[phase] = _run_child(phase, path, url)
            imp, floor = results["import"], results["floor"]
            for phase, got in results.items():
                rate = got["rows"] / got["seconds"]
                print(f"{kind:10} {phase:6}  {got['seconds']:6.1f} s wall  {rate:9,.0f} rows/s  "
                      f"{got['cpu']:6.1f} s CPU  peak {got['peak_mb']:6.0f} MB  "
                      f"({got['leads']:,} leads, {got['phones']:,} phones)")
            print(f"{kind:10} ratio import / floor: {imp['seconds'] / floor['seconds']:.2f} wall, "
                  f"{imp['cpu'] / floor['cpu']:.2f} CPU of this process (goal ≤ 3)")


if __name__ == "__main__":
    main()
