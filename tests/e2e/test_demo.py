"""`rdv demo` end to end, as a real process: the calls it made obey the law, the pacing and the mail promise."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from campaigns.appointments import Appointment
from campaigns.calendar import holiday_dates
from campaigns.models import Attempt
from rdv import db
from reports.outbox import OutboxMessage
from tests.rdv.mail_files import appointment_calls_by_mail

pytestmark = pytest.mark.e2e
RDV = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "rdv"
# fr-consumer (Mon–Fri 10–13 and 14–20) ∩ the campaign's 10–19, in the callee's local time.
ALLOWED = ((time(10), time(13)), (time(14), time(19)))
BANDS = (time(12), time(14), time(17))  # the campaign's default hour bands for spreading retries
FR_CONSUMER_CAP = 4
ABANDON_TARGET = 0.03
RING = timedelta(seconds=30)  # the demo dialer's ring timeout: a call must start early enough for all of it
# The daily e-mail leaves at 19:15 in Paris after the 19:00 close; the demo's fast clock may run a few minutes on.
MAIL_AT, MAIL_LATEST = time(19, 15), time(19, 45)
PARIS = ZoneInfo("Europe/Paris")


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


def rings_inside_the_window(local: datetime) -> bool:
    """Whether a call started at this local moment (to the microsecond) rings all of RING within one window."""
    end = (local + RING).time()
    return local.weekday() < 5 and any(a <= local.time() and end <= b and end > a for a, b in ALLOWED)


def mail_times(sessions: Any) -> list[tuple[date, datetime]]:
    """Each daily e-mail's calling day and when it was made, in Paris."""
    with sessions() as session:
        rows = session.execute(select(OutboxMessage.day, OutboxMessage.created_at)
                               .where(OutboxMessage.kind == "daily_rdv").order_by(OutboxMessage.day)).all()
    return [(day, created.astimezone(PARIS)) for day, created in rows]


def check_calls(out: Path, summary: dict[str, Any]) -> list[list[datetime]]:
    """The law, the cap, the pacing target and the mail promise, from the stored calls, the export and the
    e-mails; returns each retried lead's call times (local)."""
    sessions = db.session_factory(db.make_engine(f"sqlite:///{out / 'rdv.sqlite3'}"))
    with sessions() as session:
        stored = session.execute(select(Attempt.lead_id, Attempt.originated_at, Attempt.created_at, Attempt.callee_tz,
                                        Attempt.outcome).order_by(Attempt.id)).all()  # fmt: skip
    assert stored, "the demo made no call"
    # The moment a call starts is its Originate's (its creation if it never got that far), to the microsecond.
    local = [(sent or created).astimezone(UTC).astimezone(ZoneInfo(tz)) for _l, sent, created, tz, _o in stored]
    outside = [m for m in local if not rings_inside_the_window(m)]
    assert outside == [], f"{len(outside)} calls outside the callee's allowed hours or ringing past them, e.g. " \
                          f"{[m.isoformat() for m in outside[:3]]}"
    on_holiday = [m for m in local if m.date() in holiday_dates("FR", "", m.year)]
    assert on_holiday == [], f"calls on a public holiday: {on_holiday[:3]}"

    per_lead: dict[int, list[datetime]] = defaultdict(list)
    for (lead_id, *_rest), moment in zip(stored, local, strict=True):
        per_lead[lead_id].append(moment)
    assert max(len(v) for v in per_lead.values()) <= FR_CONSUMER_CAP, "a lead was dialled over the cap"

    outcomes = Counter(outcome for *_rest, outcome in stored)
    answered = outcomes["connected"] + outcomes["dropped"]
    # Pacing allows each day one drop before any answer (its start-of-day credit), then aims under the target.
    assert outcomes["dropped"] <= ABANDON_TARGET * answered + len(summary["days"]), outcomes

    mails = mail_times(sessions)
    late = [(day, made.isoformat()) for day, made in mails
            if made.date() != day or not MAIL_AT <= made.time() <= MAIL_LATEST]  # fmt: skip
    assert late == [], f"daily e-mails not made at the close of their day: {late}"
    with sessions() as session:
        attempts = session.scalar(select(func.count(Attempt.id)))
        appointment_calls = sorted(a for a in session.scalars(select(Appointment.attempt_id)) if a is not None)
    mailed = appointment_calls_by_mail(out / "outbox")
    sent = Counter(call for found in mailed.values() for call in found)
    assert sorted(sent) == appointment_calls and set(sent.values()) <= {1}, "an RDV is not in exactly one e-mail"

    assert summary["calls"] == len(exported(out)) == len(stored) == attempts
    assert summary["appointments"] == len(appointment_calls) > 0
    assert summary["emails_written"] == len(mailed) == len(summary["days"]) == len(mails)
    assert summary["answered"] == answered and summary["dropped"] == outcomes["dropped"]
    assert sum(summary["calls_by_day"].values()) == len(stored)
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
