"""The hopper's zone filter and its memoised statements: which zones are open, and that reusing the built
statements and zone groups claims exactly what building them afresh would."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from campaigns import hopper_pg, hopper_sqlite, zones
from campaigns.calendar import is_callable
from campaigns.hopper import claim_leads
from campaigns.journal import release_lead
from campaigns.models import Campaign
from campaigns.rules import CampaignRules, campaign_rules
from leads.models import Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

# Good Friday 2026, 15:00 in Paris: a public holiday in Moselle and Alsace only.
GOOD_FRIDAY_3PM = datetime(2026, 4, 3, 13, 0, tzinfo=UTC)
# The demo's zone mix: mainland départements, Alsace-Moselle, Corsica, the Antilles, the Indian Ocean.
DEMO_ZONES = [
    ("Europe/Paris", "FR", sub) for sub in ("01", "13", "2A", "51", "57", "67", "68", "75", "92", "974")
] + [
    ("America/Guadeloupe", "FR", "971"), ("America/Martinique", "FR", "972"), ("America/Cayenne", "FR", "973"),
    ("Indian/Reunion", "FR", "974"), ("Indian/Mayotte", "FR", "976"), ("America/St_Barthelemy", "FR", "977"),
]


def _forget_built_statements() -> None:
    """What a fresh process starts with: no statement, zone grouping or zone scan kept."""
    hopper_sqlite._STATEMENTS.clear()
    hopper_pg._STATEMENTS.clear()
    zones._ZONINGS.clear()
    zones._ZONES.clear()


def _claimed(sessions: sessionmaker[Session], cid: int, now: datetime, n: int = 50) -> list[int]:
    with sessions.begin() as session:
        return [t.lead_id for t in claim_leads(session, cid, now, n, "d")]


def _give_back(sessions: sessionmaker[Session], lead_ids: list[int]) -> None:
    with sessions.begin() as session:
        for lead_id in lead_ids:
            assert release_lead(session, lead_id, "d")


def test_a_lead_whose_zone_is_not_in_the_zone_list_is_never_claimed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        paris = leads(session, cid, 2, timezone="Europe/Paris", subdivision="75")
        hauts_de_seine = leads(session, cid, 2, start=10, timezone="Europe/Paris", subdivision="92")
    with sessions.begin() as session:
        only_paris = [("Europe/Paris", "FR", "75")]
        got = claim_leads(session, cid, MONDAY_3PM, 10, "d", zones=only_paris)
    # Same time zone and country as an open zone is not enough: 92 is not in the list, so nobody checked it.
    assert sorted(t.lead_id for t in got) == sorted(lead.id for lead in paris)
    assert not {lead.id for lead in hauts_de_seine} & {t.lead_id for t in got}


def test_a_lead_moved_to_a_subdivision_not_scanned_yet_waits(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        moved, stays = leads(session, cid, 2, timezone="Europe/Paris", subdivision="75")
    _give_back(sessions, _claimed(sessions, cid, MONDAY_3PM))  # scans and keeps the zones: only 75
    with sessions.begin() as session:
        # An edit, not a new lead: the highest lead id does not move, so the kept zones stay as they were.
        session.execute(update(Lead).where(Lead.id == moved.id).values(subdivision="92"))
    assert _claimed(sessions, cid, MONDAY_3PM) == [stays.id]


def test_moselle_waits_on_good_friday_while_the_other_departements_are_called(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        open_ones = [lead.id for sub, start in (("75", 0), ("51", 10), ("2A", 20))
                     for lead in leads(session, cid, 2, start=start, timezone="Europe/Paris", subdivision=sub)]
        for sub, start in (("57", 100), ("67", 110), ("68", 120)):
            leads(session, cid, 2, start=start, timezone="Europe/Paris", subdivision=sub)
    assert sorted(_claimed(sessions, cid, GOOD_FRIDAY_3PM)) == sorted(open_ones)
    # Easter Monday is a national holiday: every département waits.
    assert _claimed(sessions, cid, GOOD_FRIDAY_3PM + timedelta(days=3)) == []


def test_no_zone_open_claims_nothing_without_building_an_empty_filter(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SQLAlchemy warns of or_() without arguments
        assert _claimed(sessions, cid, MONDAY_3PM.replace(hour=23)) == []
    assert len(_claimed(sessions, cid, MONDAY_3PM)) == 2


@pytest.mark.parametrize("moment", [
    MONDAY_3PM, MONDAY_3PM + timedelta(hours=4), MONDAY_3PM - timedelta(hours=6), GOOD_FRIDAY_3PM,
    GOOD_FRIDAY_3PM + timedelta(hours=5), GOOD_FRIDAY_3PM + timedelta(hours=20), GOOD_FRIDAY_3PM + timedelta(days=3),
])
def test_claims_exactly_the_leads_whose_own_zone_s_calendar_allows_a_call(
    sessions: sessionmaker[Session], moment: datetime,
) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        stored = session.get(Campaign, cid)
        assert stored is not None
        rules = campaign_rules(cid, stored.client_id, stored.profile, {})
        callable_ids = {
            lead.id
            for i, (tz, country, sub) in enumerate(DEMO_ZONES)
            for lead in leads(session, cid, 1, start=i, timezone=tz, country=country, subdivision=sub)
            if is_callable(moment, rules.calendar(tz, country, sub))
        }
    assert set(_claimed(sessions, cid, moment)) == callable_ids


@pytest.mark.parametrize("change", [
    {"weekday_windows": "16:00-20:00"},  # Paris (15:00) closes, Réunion (18:00) stays open
    {"closures": "2026-11-23"},
    {"hopper_fresh_share": "100%"},
])
def test_kept_statements_claim_the_same_leads_as_fresh_ones_after_the_settings_change(
    sessions: sessionmaker[Session], change: dict[str, str],
) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 3, timezone="Europe/Paris", subdivision="75")
        leads(session, cid, 3, start=10, timezone="Indian/Reunion", subdivision="974")
        leads(session, cid, 3, start=20, timezone="Europe/Paris", subdivision="13", status="retry",
              next_attempt_at=MONDAY_3PM - timedelta(hours=1))
    _give_back(sessions, _claimed(sessions, cid, MONDAY_3PM, 4))  # builds and keeps the statements
    with sessions.begin() as session:
        stored = session.get(Campaign, cid)
        assert stored is not None
        stored.settings = {**(stored.settings or {}), **change}
    kept = _claimed(sessions, cid, MONDAY_3PM, 4)
    _give_back(sessions, kept)
    _forget_built_statements()
    fresh = _claimed(sessions, cid, MONDAY_3PM, 4)
    assert kept == fresh
    with sessions.begin() as session:
        stored = session.get(Campaign, cid)
        assert stored is not None
        stored.settings = {}
    # And back: the statements kept for the first settings serve again, with the same leads as at first.
    _give_back(sessions, fresh)
    again = _claimed(sessions, cid, MONDAY_3PM, 4)
    _give_back(sessions, again)
    _forget_built_statements()
    assert _claimed(sessions, cid, MONDAY_3PM, 4) == again


RULES = [
    campaign_rules(1, 1, "fr-consumer", {}),
    campaign_rules(2, 1, "fr-consumer", {"saturday_windows": "", "closures": "2026-12-24, 2026-07-15"}),
    campaign_rules(3, 1, "fr-consumer", {"weekday_windows": "08:00-12:30, 13:30-21:00"}),
]


@settings(max_examples=300, deadline=None)
@given(
    rules=st.sampled_from(RULES),
    moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 3), timezones=st.just(UTC)),
    chosen=st.sets(st.sampled_from(DEMO_ZONES), min_size=1),
)
def test_open_zones_are_those_whose_own_calendar_allows_a_call(rules: CampaignRules, moment: datetime,
                                                               chosen: set[tuple[str, str, str]]) -> None:
    zone_list = sorted(chosen)
    expected = tuple(z for z in zone_list if is_callable(moment, rules.calendar(*z)))
    opened = zones.open_zones(rules, zone_list, moment)
    assert opened.zones == expected
    assert sorted((tz, c, s) for (tz, c), subs in zip(opened.shape, opened.subdivisions, strict=True)
                  for s in subs) == sorted(expected)


def test_open_zones_follow_the_clock_across_a_local_midnight_and_a_dst_change() -> None:
    rules = RULES[0]
    zone_list = sorted(DEMO_ZONES)
    # Minute by minute over the night of the autumn change in Paris and the days around it, same zone list.
    start = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    for minutes in range(0, 60 * 48, 7):
        moment = start + timedelta(minutes=minutes)
        expected = tuple(z for z in zone_list if is_callable(moment, rules.calendar(*z)))
        assert zones.open_zones(rules, zone_list, moment).zones == expected, moment
