"""How long the monthly review takes from its frames to the PDF, for a month of N attempts (run by hand).

    .venv/bin/python -m bench.monthly_review [--attempts 1000000]

Frames are synthetic (what `reports.kpi_frames` and `reports.review_frames` would load); the database load
is the loaders' business and is measured by their own benchmark.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from datetime import time as clock

import numpy as np
import pandas as pd

from reports.kpis import KpiFrames
from reports.monthly_review import review_html, review_pdf
from reports.review_content import ReviewFacts, build_review
from reports.review_frames import ReviewFrames

ARGUED = frozenset({"rdv", "refused", "already_equipped", "not_target", "callback"})
FINAL = frozenset({"rdv", "refused", "already_equipped", "not_target", "wrong_number", "do_not_call", "objection"})
CODES = np.array(["rdv", "refused", "already_equipped", "not_target", "callback", "wrong_number", "objection"])


def frames(n: int, seed: int = 1) -> tuple[KpiFrames, ReviewFrames]:
    rng = np.random.default_rng(seed)
    leads_n = max(n // 5, 1)
    days = pd.to_datetime("2026-11-01") + pd.to_timedelta(rng.integers(0, 61, n), unit="D")
    local = days + pd.to_timedelta(rng.integers(10 * 60, 20 * 60, n), unit="m")
    outcome = rng.choice(np.array(["no_answer", "busy", "machine", "connected", "dropped", "invalid"]), n,
                         p=[0.55, 0.08, 0.12, 0.2, 0.02, 0.03])
    connected = outcome == "connected"
    disposition = np.where(connected, rng.choice(CODES, n, p=[0.08, 0.3, 0.2, 0.12, 0.1, 0.1, 0.1]), "")
    attempts = pd.DataFrame({
        "lead_id": rng.integers(0, leads_n, n), "day": days, "local_at": local, "outcome": outcome,
        "talk_s": np.where(connected, rng.uniform(30, 400, n), np.nan), "wrap_s": np.where(connected, 30.0, np.nan),
        "agent": np.where(connected, rng.choice(np.array([f"agent{i}" for i in range(20)]), n), ""),
        "disposition": disposition,
    })
    booked = attempts[attempts["disposition"] == "rdv"]
    appointments = pd.DataFrame({
        "appointment_id": np.arange(len(booked)), "lead_id": booked["lead_id"].to_numpy(),
        "day": booked["day"].to_numpy(), "local_at": booked["local_at"].to_numpy(),
        "agent": booked["agent"].to_numpy(), "conform": rng.random(len(booked)) < 0.9, "complete": True,
        "departement": "33", "state": "taken", "transmission_s": np.nan, "business_hours": True,
    })
    leads = pd.DataFrame({"lead_id": np.arange(leads_n), "status": rng.choice(np.array(["final", "exhausted",
                          "retry"]), leads_n), "attempts": 3, "departement": rng.choice(np.array(["33", "24", "40",
                          "47", "64"]), leads_n)})  # fmt: skip
    states = pd.DataFrame({"agent": [f"agent{i}" for i in range(20)], "day": pd.Timestamp("2026-12-01"),
                           "state": "available", "start": pd.Timestamp("2026-12-01 09:00"),
                           "end": pd.Timestamp("2026-12-01 17:00")})  # fmt: skip
    lists = pd.DataFrame({"lead_id": np.arange(leads_n), "list": rng.choice(np.array(["a.csv", "b.xlsx"]), leads_n),
                          "last_outcome": "no_answer"})
    details = pd.DataFrame({"appointment_id": appointments["appointment_id"], "lead_id": appointments["lead_id"],
                            "day": appointments["day"], "unmet": [[] for _ in range(len(appointments))]})
    events = pd.DataFrame({"appointment_id": pd.Series([], dtype="int64"), "day": pd.Series([], dtype="datetime64[ns]"),
                           "to_state": pd.Series([], dtype="object"), "note": pd.Series([], dtype="object"),
                           "reference": pd.Series([], dtype="object")})  # fmt: skip
    return KpiFrames(attempts, leads, appointments, states), ReviewFrames(lists, details, events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    args = parser.parse_args()
    kpi, extra = frames(args.attempts)
    facts = ReviewFacts("Client", "Campagne", ARGUED, FINAL, {c: c for c in CODES}, (clock(12), clock(14), clock(17)))
    started = time.perf_counter()
    content = build_review(kpi, extra, facts, date(2026, 12, 1), date(2026, 12, 31))
    built = time.perf_counter()
    review_html(content)
    html = time.perf_counter()
    review_pdf(content)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.attempts:,} attempts over two months: figures {built - started:.2f} s, charts and HTML "
          f"{html - built:.2f} s, PDF {done - html:.2f} s; {len(content.recommendations)} recommendations; "
          f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
