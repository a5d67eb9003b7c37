"""The KPI loaders on SQLite and PostgreSQL: stored calls and sheets become the frames `reports.kpis` reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from pandas.testing import assert_frame_equal
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_services import book_appointment
from campaigns.models import Campaign
from dialer.desk_models import AgentEvent
from reports import kpis
from reports.agent_time import load_presence
from reports.kpi_frames import campaign_facts, load_frames
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, add_attempt, add_lead, seed_campaign, slot

# Monday 23 November 2026, UTC; Paris is UTC+1, Guadeloupe UTC-4.
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _call(session: Session, lead, at: datetime, outcome: str, *, talk: float | None = None,
          wrap: float | None = None, disposition: str = "", agent: str = "") -> int:
    human = outcome in ("connected", "dropped")
    attempt = add_attempt(session, lead, at, agent=agent, outcome=outcome, state="ended", originated_at=at,
                          answered_at=at + timedelta(seconds=20) if human else None,
                          connected_at=at + timedelta(seconds=21) if outcome == "connected" else None,
                          ended_at=at + timedelta(seconds=20 + (talk or 10)), talk_s=talk, wrap_s=wrap,
                          disposition=disposition)  # fmt: skip
    return attempt.id


def _seed(session: Session) -> Campaign:
    campaign = seed_campaign(session)
    paris = add_lead(session, campaign, 1, subdivision="69")
    antilles = add_lead(session, campaign, 2, timezone="America/Guadeloupe", postcode="97110", subdivision="971")
    add_lead(session, campaign, 3, subdivision="69", status="exhausted")
    _call(session, paris, MONDAY, "no_answer")
    booked = _call(session, paris, MONDAY + timedelta(hours=5), "connected", talk=300.0, wrap=30.0,
                   disposition="rdv", agent="ana")  # fmt: skip
    _call(session, antilles, MONDAY + timedelta(hours=6), "dropped")
    _call(session, antilles, MONDAY + timedelta(days=1, hours=6), "connected", talk=100.0, disposition="refused",
          agent="ana")  # fmt: skip
    _call(session, antilles, MONDAY - timedelta(days=40), "dropped")  # too old for the rolling window
    _call(session, antilles, MONDAY - timedelta(days=10), "dropped")  # inside it
    _call(session, paris, MONDAY - timedelta(days=10), "no_answer")  # not read: abandonment needs answers only
    book_appointment(session, attempt_id=booked, slot=slot(26, 10), answers=CONFORM_ANSWERS, agent="ana",
                     now=MONDAY + timedelta(hours=5, minutes=6))  # fmt: skip
    return campaign


def test_stored_calls_become_the_frames_and_figures(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign_id = _seed(session).id
    with sessions() as session:
        facts = campaign_facts(session, campaign_id)
        frames = load_frames(session, facts, datetime(2026, 11, 22, 23, tzinfo=UTC),
                             datetime(2026, 11, 29, 23, tzinfo=UTC))  # fmt: skip
    assert len(frames.attempts) == 5  # the week's four and the answer of 13 November
    attempts = kpis.in_period(frames.attempts, date(2026, 11, 23), date(2026, 11, 29))
    attempts = attempts.sort_values("created_at").reset_index(drop=True).astype({"outcome": str})
    expected = pd.DataFrame({
        "outcome": ["no_answer", "connected", "dropped", "connected"],
        "day": pd.to_datetime(["2026-11-23", "2026-11-23", "2026-11-23", "2026-11-24"]),
        # Each callee's own wall clock: 10:00 and 15:00 in Lyon, 11:00 the next day in Guadeloupe.
        "local_at": pd.to_datetime(["2026-11-23 10:00", "2026-11-23 15:00", "2026-11-23 11:00",
                                    "2026-11-24 11:00"]),  # fmt: skip
        "talk_s": [float("nan"), 300.0, float("nan"), 100.0],
    })  # fmt: skip
    shown = attempts[["outcome", "day", "local_at", "talk_s"]].astype({"day": "datetime64[ns]",
                                                                       "local_at": "datetime64[ns]"})
    assert_frame_equal(shown, expected.astype({"day": "datetime64[ns]", "local_at": "datetime64[ns]"}),
                       check_dtype=False)
    assert sorted(frames.leads["departement"]) == ["69", "69", "971"]
    sheet = frames.appointments.iloc[0]
    assert (sheet["conform"], sheet["complete"], sheet["departement"]) == (True, True, "69")
    assert sheet["local_at"] == pd.Timestamp("2026-11-23 15:06")
    assert bool(sheet["business_hours"])
    assert pd.isna(sheet["transmission_s"])  # not sent yet
    # No presence history stored: ana's days are estimated from her calls, answer to the end of the wrap-up.
    states = frames.agent_states
    assert states[["state", "source"]].values.tolist() == [["on_call", "estimate"], ["wrap_up", "estimate"],
                                                           ["on_call", "estimate"]]  # fmt: skip
    assert kpis.agent_hours(states) == ((320 - 20 + 30) + (120 - 20)) / 3600
    assert kpis.occupancy(states) == 1.0  # the estimate knows no wait before the first call: the reason to log

    week = kpis.figures(frames, date(2026, 11, 23), date(2026, 11, 29), facts.argued)
    assert (week.dials, week.answered, week.rdvs, week.argued_contacts) == (4, 3, 1, 2)
    assert week.list_penetration == 1 / 3
    assert week.abandonment_rolling == 2 / 4  # the drop 10 days before counts, the one 40 days before not
    assert week.handling_time_s == (330 + 100) / 2


def _presence(session: Session, campaign_id: int | None, login: str, changes: list[tuple[int, str]]) -> None:
    for minutes, state in changes:
        session.add(AgentEvent(login=login, campaign_id=campaign_id, state=state,
                               at=MONDAY + timedelta(minutes=minutes)))  # fmt: skip


def test_agent_time_comes_from_the_presence_history_and_from_calls_only_where_it_is_missing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        campaign = _seed(session)
        # Monday: ana logs in at 9:00 (Paris 10:00), takes calls, pauses, logs out at 17:00 UTC; the logout is
        # written without a campaign, as the desk does once an agent has left it.
        _presence(session, campaign.id, "ana", [(0, "available"), (300, "on_call"), (305, "wrap_up"),
                                                (306, "available"), (400, "paused"), (420, "available")])  # fmt: skip
        _presence(session, None, "ana", [(480, "logged_out")])
        # bob was already available before the period began (21:20 UTC): his time counts from its start.
        _presence(session, campaign.id, "bob", [(-700, "available"), (60, "logged_out")])
        campaign_id = campaign.id
    since, until = datetime(2026, 11, 22, 23, tzinfo=UTC), datetime(2026, 11, 29, 23, tzinfo=UTC)
    with sessions() as session:
        facts = campaign_facts(session, campaign_id)
        presence = load_presence(session, campaign_id, facts.timezone, since, until)
        frames = load_frames(session, facts, since, until)
    ana = presence[presence["agent"] == "ana"]
    assert ana["state"].tolist() == ["available", "on_call", "wrap_up", "available", "paused", "available"]
    assert kpis.agent_hours(ana) == 8.0  # 9:00 to 17:00 UTC, the pause included: she was logged in
    assert kpis.occupancy(ana) == 6 / 480
    bob = presence[(presence["agent"] == "bob") & (presence["state"] != "logged_out")]
    assert (bob["start"].min(), bob["end"].max()) == (pd.Timestamp("2026-11-22 23:00"), pd.Timestamp(MONDAY.replace(
        tzinfo=None) + timedelta(minutes=60)))  # fmt: skip
    states = frames.agent_states
    # Monday from the history; Tuesday, without any event of ana's, from her call.
    by_day = states.groupby(["day", "source"]).size().to_dict()
    assert set(by_day) == {(pd.Timestamp("2026-11-23"), "presence"), (pd.Timestamp("2026-11-24"), "estimate")}
    assert kpis.agent_hours(states) == 8.0 + 11.0 + 100 / 3600
