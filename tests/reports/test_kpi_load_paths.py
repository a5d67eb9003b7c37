"""The fast loader (human answers in full, the other attempts as five narrow columns) gives the figures a plain
reading of every stored attempt gives, on a generated week, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from dialer.models import AgentRecord
from leads.models import Lead
from reports import answered, kpi_frames, kpis, packing, unanswered
from reports.kpi_frames import campaign_facts, load_attempts, load_frames
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


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    # The rows that cannot be packed come after the others: compare the rows, in one order.
    return frame.sort_values(list(frame.columns), kind="stable", ignore_index=True)


def _seed_unpackable(session: Session, campaign_id: int) -> None:
    """Human answers no packing holds, each for its own reason; and the agents the dialer knows, but one (a2)."""
    session.add_all([AgentRecord(login="a0", campaign_id=campaign_id), AgentRecord(login="a1")])
    lead = session.scalars(select(Lead).where(Lead.campaign_id == campaign_id)).first()
    assert lead is not None
    odd: list[dict[str, object]] = [
        {"talk_s": 61.0000001},  # not a whole number of µs
        {"talk_s": 9000.0},  # more than 2 h 23 min of talk
        {"talk_s": 1e300},  # no integer holds it in µs (a cast would fail)
        {"wrap_s": 1500.0},  # more than 17 min of wrap-up
        {"disposition": "not_in_the_campaign"},
        {"callee_tz": "Europe/London"},  # a zone none of the leads has
        {"answered_at": -1},  # answered before it was dialled
        {"ended_at": 2 * 86400},  # ended 48 h after the dial
    ]
    for n, fields in enumerate(odd):
        start = datetime.combine(MONDAY, time(10), UTC) + timedelta(minutes=n)
        answer, end = (start + timedelta(seconds=float(str(fields.pop(name, default))))
                       for name, default in (("answered_at", 9), ("ended_at", 99)))  # fmt: skip
        values = {"talk_s": 90.0, "wrap_s": 20.0, "disposition": "refused", **fields}
        zone = values.pop("callee_tz", None)
        attempt = add_attempt(session, lead, start, agent="a0", outcome="connected", state="ended",
                              answered_at=answer, ended_at=end, **values)  # fmt: skip
        if zone:
            attempt.callee_tz = str(zone)
    # Times and durations to the µs, as the dialer measures wrap-ups: packed all the same.
    start = datetime.combine(MONDAY, time(10, 30, 0, 123456), UTC)
    add_attempt(session, lead, start, agent="a1", outcome="connected", state="ended", disposition="callback",
                answered_at=start + timedelta(seconds=9, microseconds=500001), ended_at=start + timedelta(minutes=3),
                talk_s=90.000001, wrap_s=23.456789)  # fmt: skip
    # Not answered, with a disposition and durations stored: never read, as for every unanswered call.
    add_attempt(session, lead, datetime.combine(MONDAY, time(11), UTC), agent="a1", outcome="no_answer",
                state="ended", disposition="no_answer", talk_s=0.0, wrap_s=5.0)  # fmt: skip


def test_the_packed_read_of_human_answers_is_the_plain_one_column_by_column(
        sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    with sessions.begin() as session:
        campaign_id = _seed(session, seed=11, count=600)
        _seed_unpackable(session, campaign_id)
    since = datetime.combine(MONDAY, time(0), ZoneInfo("Europe/Paris")).astimezone(UTC)
    until = since + timedelta(days=14)
    read_again: dict[str, int] = {}
    wraps_read_again: list[float] = []
    plain_rows = packing.raw_columns

    def counted(session: Session, query: object, names: list[str]) -> dict[str, object]:
        columns = plain_rows(session, query, names)
        read_again["answered" if "disposition" in names else "unanswered"] = len(columns["lead_id"])
        wraps_read_again.extend(columns.get("wrap_s", ()))
        return columns  # type: ignore[return-value]

    with sessions() as session:
        monkeypatch.setattr(packing, "raw_columns", counted)
        fast = load_attempts(session, campaign_id, "Europe/Paris", since, until, since - timedelta(days=31))
        monkeypatch.setattr(kpi_frames, "load_answered", lambda session, campaign_id, since, until, zones:
                            answered.load_answered_plainly(session, campaign_id, since, until))  # fmt: skip
        monkeypatch.setattr(kpi_frames, "load_unanswered", lambda session, campaign_id, since, until, zones:
                            unanswered.load_unanswered_plainly(session, campaign_id, since, until))  # fmt: skip
        plain = load_attempts(session, campaign_id, "Europe/Paris", since, until, since - timedelta(days=31))
    # Rows of both kinds: the seeded ones no packing holds and the calls of agent a2, whom the dialer does not
    # know, read again plainly; the others packed.
    assert read_again["answered"] >= 7 and read_again["unanswered"] >= 1
    assert len(fast) > 2 * (read_again["answered"] + read_again["unanswered"])
    assert {"a0", "a1", "a2"} <= set(fast["agent"]) and "Europe/London" in set(fast["callee_tz"])
    assert 23.456789 in set(fast["wrap_s"]) and 23.456789 not in wraps_read_again
    assert_frame_equal(_sorted(fast), _sorted(plain), check_exact=True)
    assert fast["talk_s"].isna().any() and fast["wrap_s"].isna().any() and fast["ended_at"].isna().any()


def test_the_packed_read_of_leads_is_the_plain_one(sessions: sessionmaker[Session],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with sessions.begin() as session:
        campaign_id = _seed(session, count=50)
        leads = list(session.scalars(select(Lead).where(Lead.campaign_id == campaign_id)))
        for n, lead in enumerate(leads):
            lead.status, lead.attempts = ("new", "retry", "final", "exhausted")[n % 4], n * 7
    with sessions() as session:
        plain = kpi_frames._leads_plainly(session, campaign_id)
        packed = kpi_frames.load_leads(session, campaign_id)
        lists = kpi_frames._distinct
        # A subdivision the first read did not see (a lead added meanwhile): the plain read, whole.
        monkeypatch.setattr(kpi_frames, "_distinct", lambda session, column, campaign_id:
                            [v for v in lists(session, column, campaign_id) if v != "2A"])  # fmt: skip
        unknown = kpi_frames.load_leads(session, campaign_id)
    assert len(plain) == 30 and set(plain["departement"]) == {"69", "2A", "971"} and plain["attempts"].max() == 203
    assert_frame_equal(packed, plain, check_exact=True)
    assert_frame_equal(unknown, plain, check_exact=True)
