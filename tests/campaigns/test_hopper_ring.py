"""The hopper claims only leads whose window stays open for a whole ring, and hands each with its calendar
(SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from campaigns import zones
from campaigns.calendar import may_ring
from campaigns.hopper import claim_leads
from campaigns.rules import campaign_rules
from campaigns.store import load_rules
from tests.campaigns.factories import campaign, leads
from tests.campaigns.test_hopper_zones import DEMO_ZONES

RING = timedelta(seconds=30)
# Monday 23 November 2026, 12:59:45 in Paris (fr-consumer breaks at 13:00): 12:59:45 in Martinique is 17:59:45.
BEFORE_LUNCH = datetime(2026, 11, 23, 11, 59, 45, tzinfo=UTC)


def test_a_lead_is_not_claimed_when_its_ring_would_run_into_the_lunch_break(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        paris = leads(session, cid, 2, timezone="Europe/Paris", subdivision="75")
        martinique = leads(session, cid, 2, start=10, timezone="America/Martinique", subdivision="972")
    with sessions.begin() as session:
        claimed = claim_leads(session, cid, BEFORE_LUNCH, 10, "d", ring=RING)
    # Martinique is four hours behind: 07:59:45 there, closed; Paris is 15 seconds from its lunch break.
    assert claimed == []
    with sessions.begin() as session:
        claimed = claim_leads(session, cid, BEFORE_LUNCH, 10, "d", ring=timedelta(seconds=15))
    assert sorted(t.lead_id for t in claimed) == sorted(lead.id for lead in paris)
    with sessions.begin() as session:
        rules = load_rules(session, cid)
    for target in claimed:
        assert target.calendar == rules.calendar("Europe/Paris", "FR", "75")
        assert may_ring(BEFORE_LUNCH, target.calendar, timedelta(seconds=15))
        assert not may_ring(BEFORE_LUNCH, target.calendar, RING)
    assert all(lead.id not in {t.lead_id for t in claimed} for lead in martinique)


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2026, 3, 20), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
    ring_s=st.floats(min_value=0, max_value=59.9),
    profile=st.sampled_from(("fr-consumer", "fr-business")),
    near=st.booleans(),
)
def test_the_zones_open_for_a_ring_are_those_where_a_call_placed_now_may_ring(
    moment: datetime, ring_s: float, profile: str, near: bool,
) -> None:
    if near:  # most draws fall far from any boundary: bring half of them to the last minute before a closing
        moment = moment.replace(hour=11, minute=59, second=moment.second) if moment.hour < 14 else \
            moment.replace(hour=17, minute=59, second=moment.second)
    rules = campaign_rules(1, 1, profile, {})
    ring = timedelta(seconds=ring_s)
    opened = set(zones.open_zones(rules, DEMO_ZONES, moment, ring).zones)
    assert opened == {z for z in DEMO_ZONES if may_ring(moment, rules.calendar(*z), ring)}
