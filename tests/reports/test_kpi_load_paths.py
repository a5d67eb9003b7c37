"""The fast loader (human answers in full, the other attempts as five narrow columns) gives the figures a plain
reading of every stored attempt gives, on a generated week, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from reports import kpis
from reports.kpi_frames import campaign_facts, load_frames
from reports.review_kpis import by_agent
from reports.service_levels import service_levels
from tests.campaigns.appointment_helpers import add_attempt, add_lead, seed_campaign

MONDAY = date(2026, 11, 23)
OUTCOMES = ["no_answer", "busy", "congestion", "invalid", "machine", "dropped", "connected", "failed", ""]
DISPOSITIONS = ["refused", "not_target", "callback", "rdv", "wrong_number", "objection"]
PLACES = [("Europe/Paris", "69"), ("Europe/Paris", "2A"), ("America/Guadeloupe", "971")]


def _seed(session: Session, seed: int = 7, count: int = 400) -> int:
    """Leads in three départements and two zones; attempts over two weeks and the month before, at any second
    of the calling day (some on the hour, where a band begins), agents on some unanswered ones (preview)."""
    rng = np.random.default_rng(seed)
    campaign = seed_campaign(session)
    leads = [add_lead(session, campaign, n, timezone=PLACES[n % 3][0], subdivision=PLACES[n % 3][1])
             for n in range(30)]  # fmt: skip
    start = datetime.combine(MONDAY - timedelta(days=35), time(8), UTC)
    for i in range(count):
        outcome = OUTCOMES[int(rng.integers(len(OUTCOMES)))]
        seconds = int(rng.integers(0, 11 * 3600)) // (3600 if i % 10 == 0 else 1) * (3600 if i % 10 == 0 else 1)
        at = start + timedelta(days=int(rng.integers(0, 49)), seconds=seconds)
        human, connected = outcome in ("connected", "dropped"), outcome == "connected"
        add_attempt(session, leads[int(rng.integers(len(leads)))], at, outcome=outcome,
                    state="ended" if outcome else "ringing", agent=f"a{i % 3}" if connected or i % 7 == 0 else "",
                    answered_at=at + timedelta(seconds=15) if human else None,
                    ended_at=at + timedelta(seconds=200) if outcome else None,
                    talk_s=float(rng.integers(30, 400)) if connected else None,
                    wrap_s=20.0 if connected and i % 4 else None,
                    disposition=DISPOSITIONS[int(rng.integers(len(DISPOSITIONS)))] if connected else "")  # fmt: skip
    return campaign.id


def _utc(moment: datetime | None) -> pd.Timestamp:
    if moment is None:
        return pd.NaT
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return pd.Timestamp(aware).tz_convert("UTC")


def _plain_attempts(session: Session, campaign_id: int, zone: str, since: datetime, until: datetime) -> pd.DataFrame:
    """Every attempt of [since, until) read through the ORM, one Python step each: the reference."""
    rows = []
    for a in session.scalars(select(Attempt).where(Attempt.campaign_id == campaign_id)):
        created = _utc(a.created_at)
        if not since <= created < until:
            continue
        human = a.outcome in ("connected", "dropped")
        answered = _utc(a.answered_at) if human else pd.NaT
        counted = answered if human else created
        rows.append({"lead_id": a.lead_id, "callee_tz": a.callee_tz, "outcome": a.outcome, "agent": a.agent,
                     "disposition": a.disposition, "talk_s": a.talk_s, "wrap_s": a.wrap_s, "created_at": created,
                     "answered_at": answered,
                     "ended_at": _utc(a.ended_at) if a.outcome == "connected" else pd.NaT,
                     "day": pd.Timestamp(counted.tz_convert(zone).date()),
                     "local_at": created.tz_convert(ZoneInfo(a.callee_tz)).tz_localize(None)})  # fmt: skip
    return pd.DataFrame(rows).astype({"talk_s": float, "wrap_s": float})


def _everything(frames: kpis.KpiFrames, argued: frozenset[str], final: frozenset[str], first: date,
                last: date) -> list[object]:
    attempts = kpis.in_period(frames.attempts, first, last)
    appointments = kpis.in_period(frames.appointments, first, last)
    bands = (time(12), time(14), time(17))
    return [
        kpis.figures(frames, first, last, argued), kpis.figures(frames, first + timedelta(days=7),
                                                                last + timedelta(days=7), argued),
        kpis.by_day(attempts, appointments, argued), kpis.by_hour_band(attempts, appointments, argued),
        kpis.by_hour_band(attempts, appointments, argued, bands), kpis.by_weekday(attempts, appointments, argued),
        kpis.by_departement(attempts, appointments, frames.leads, argued), kpis.attempts_per_lead(attempts),
        kpis.refusal_reasons(attempts, final, argued), by_agent(attempts, appointments, argued),
        service_levels(attempts, appointments, boundaries=bands, sends_as_taken=False),
    ]  # fmt: skip


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    # Codes are categories in one frame and text in the other: compare the values.
    shown = frame.copy()
    shown.index = pd.Index([str(v) for v in frame.index], name=frame.index.name)
    return shown.astype({c: object for c in shown.columns if isinstance(shown[c].dtype, pd.CategoricalDtype)})


def test_the_fast_loader_gives_the_figures_of_a_plain_reading_of_every_attempt(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign_id = _seed(session)
    since = datetime.combine(MONDAY, time(0), ZoneInfo("Europe/Paris")).astimezone(UTC)
    until = since + timedelta(days=14)
    with sessions() as session:
        facts = campaign_facts(session, campaign_id)
        fast = load_frames(session, facts, since, until)
        plain = _plain_attempts(session, campaign_id, facts.timezone, since - timedelta(days=31), until)
    in_week = plain[plain["created_at"] >= pd.Timestamp(since)]
    older_humans = plain[(plain["created_at"] < pd.Timestamp(since)) & plain["outcome"].isin(["connected",
                                                                                                "dropped"])]
    reference = replace(fast, attempts=pd.concat([in_week, older_humans], ignore_index=True))
    assert len(fast.attempts) == len(reference.attempts) > 100
    last = MONDAY + timedelta(days=6)
    got = _everything(fast, facts.argued, facts.final, MONDAY, last)
    want = _everything(reference, facts.argued, facts.final, MONDAY, last)
    for mine, theirs in zip(got, want, strict=True):
        if isinstance(mine, pd.DataFrame):
            assert isinstance(theirs, pd.DataFrame)
            assert_frame_equal(_plain(mine), _plain(theirs), check_dtype=False)
        else:
            assert mine == theirs
    assert got[0].dials > 0 and got[0].answered > 0  # type: ignore[attr-defined]
