"""`rdv demo` end to end, as a real process: the calls it made obey the law, the pacing and the mail promise."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections import Counter, defaultdict
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from campaigns.appointments import Appointment
from campaigns.calendar import holiday_dates
from campaigns.models import Attempt
from rdv import db
from tests.rdv.mail_files import appointment_calls_by_mail

pytestmark = pytest.mark.e2e
RDV = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rdv"
# fr-consumer (Mon–Fri 10–13 and 14–20) ∩ the campaign's 10–19, in the callee's local time.
ALLOWED = ((time(10), time(13)), (time(14), time(19)))
BANDS = (time(12), time(14), time(17))  # the campaign's default hour bands for spreading retries
FR_CONSUMER_CAP = 4
ABANDON_TARGET = 0.03


def run_demo(out: Path, start: str, days: int, leads: int) -> dict[str, Any]:
    """Run `rdv demo --json` and export its calls; the summary it printed last."""
    env = {**os.environ, "RDV_DATA_DIR": str(out)}
    env.pop("RDV_DATABASE_URL", None)
    args = [str(RDV), "demo", "--out", str(out), "--start", start, "--days", str(days), "--leads", str(leads),
            "--agents", "4", "--seed", "11", "--json"]  # fmt: skip
    done = subprocess.run(args, env=env, cwd=out, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    export = subprocess.run([str(RDV), "export", "calls", "--campaign", "Prise de RDV Charpente", "--out",
                             str(out / "exported.csv"), "--format", "raw"], env=env, cwd=out, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert export.returncode == 0, export.stderr[-3000:]
    return summary


def exported(out: Path) -> list[dict[str, str]]:
    with (out / "exported.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))  # the French Excel convention


def check_calls(out: Path, summary: dict[str, Any]) -> list[list[datetime]]:
    """The law, the cap, the pacing target and the mail promise, from the exported calls, the database and the
    e-mails; returns each retried lead's call times (local)."""
    calls = exported(out)
    assert calls, "the demo made no call"
    local = [datetime.fromisoformat(c["started_at_local"]) for c in calls]
    outside = [m for m in local if m.weekday() >= 5 or not any(a <= m.time() < b for a, b in ALLOWED)]
    assert outside == [], f"{len(outside)} calls outside the callee's allowed hours, e.g. {outside[:3]}"
    on_holiday = [m for m in local if m.date() in holiday_dates("FR", "", m.year)]
    assert on_holiday == [], f"calls on a public holiday: {on_holiday[:3]}"

    per_lead: dict[str, list[datetime]] = defaultdict(list)
    for call, moment in zip(calls, local, strict=True):
        per_lead[call["lead_id"]].append(moment)
    assert max(len(v) for v in per_lead.values()) <= FR_CONSUMER_CAP, "a lead was dialled over the cap"

    outcomes = Counter(c["outcome"] for c in calls)
    answered = outcomes["connected"] + outcomes["dropped"]
    # Pacing allows each day one drop before any answer (its start-of-day credit), then aims under the target.
    assert outcomes["dropped"] <= ABANDON_TARGET * answered + len(summary["days"]), outcomes

    sessions = db.session_factory(db.make_engine(f"sqlite:///{out / 'rdv.sqlite3'}"))
    with sessions() as session:
        attempts = session.scalar(select(func.count(Attempt.id)))
        appointment_calls = sorted(a for a in session.scalars(select(Appointment.attempt_id)) if a is not None)
    mailed = appointment_calls_by_mail(out / "outbox")
    sent = Counter(call for found in mailed.values() for call in found)
    assert sorted(sent) == appointment_calls and set(sent.values()) <= {1}, "an RDV is not in exactly one e-mail"

    assert summary["calls"] == len(calls) == attempts
    assert summary["appointments"] == len(appointment_calls) > 0
    assert summary["emails_written"] == len(mailed) == len(summary["days"])
    assert summary["answered"] == answered and summary["dropped"] == outcomes["dropped"]
    assert sum(summary["calls_by_day"].values()) == len(calls)
    assert set(summary["calls_by_day"]) <= set(summary["days"])
    assert 0.05 <= summary["answer_rate"] <= 0.6, summary["answer_rate"]
    return [v for v in per_lead.values() if len(v) >= 2]


def spread_share(retried: list[list[datetime]]) -> float:
    """The share of retried leads whose calls fell in at least two hour bands."""
    assert retried, "no lead was retried"
    return sum(len({sum(m.time() >= b for b in BANDS) for m in v}) >= 2 for v in retried) / len(retried)


@pytest.fixture(scope="module")
def armistice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("armistice")
    return out, run_demo(out, "2026-11-10", days=2, leads=150)


def test_a_demo_over_armistice_day_skips_the_holiday_and_keeps_the_rules(
    armistice: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = armistice
    assert summary["days"] == ["2026-11-10", "2026-11-12"], "11 November is a public holiday"
    check_calls(out, summary)


def test_retries_planned_across_a_holiday_still_spread_over_hour_bands(armistice: tuple[Path, dict[str, Any]]) -> None:
    out, summary = armistice
    assert spread_share(check_calls(out, summary)) >= 0.5


def test_a_demo_from_a_monday_keeps_the_rules_spreads_retries_and_a_second_run_starts_clean(tmp_path: Path) -> None:
    first = run_demo(tmp_path, "2026-11-23", days=1, leads=60)
    assert first["days"] == ["2026-11-23"] and not first["earlier_run_removed"]
    second = run_demo(tmp_path, "2026-11-23", days=2, leads=120)
    assert second["earlier_run_removed"] and second["days"] == ["2026-11-23", "2026-11-24"]
    assert spread_share(check_calls(tmp_path, second)) >= 0.5
