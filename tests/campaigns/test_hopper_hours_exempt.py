"""A consent that lifts the legal days and hours (D. 223-9, second paragraph) lets the hopper claim its lead when
the campaign's own windows are open and the profile's are not; never outside the campaign's own windows, on a
public holiday, once revoked or expired, or for another client; and the lead comes with the calendar the dialer
checks again at Originate (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.calendar import may_ring
from campaigns.hopper import claim_leads
from campaigns.models import Campaign
from campaigns.store import load_rules
from leads.consent_store import Grant, record_grants, revoke_consent
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

# The contract's hours (seed 001: 10h-19h Monday to Friday, Saturdays on request) under fr-consumer, which takes
# away 13:00-14:00 and Saturdays.
CONTRACT = {"weekday_windows": "10:00-19:00", "saturday": "yes", "saturday_windows": "10:00-13:00"}
PARIS = timedelta(hours=1)  # Paris is UTC+1 in November and December


def paris(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    """A moment of 2026, in Paris' wall-clock time."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC) - PARIS


class Setup:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        with sessions.begin() as session:
            made = campaign(session, settings=CONTRACT)
            self.campaign_id, client_id = made.id, made.client_id
            self.plain, self.exempt, self.ending, self.elsewhere = (
                lead.id for lead in leads(session, made.id, 4))
            self.ends_at = paris(30, 13, 30)
            given = datetime(2026, 9, 1, tzinfo=UTC)
            record_grants(session, {
                self.exempt: Grant(given, "formulaire web", "CGU-7", hours_exempt=True),
                self.ending: Grant(given, "formulaire web", "CGU-7", hours_exempt=True, expires_at=self.ends_at),
            }, "test", MONDAY_3PM, client_id)
            # Consent outside hours, but given to another client: it does not lift this client's hours.
            other = campaign(session, "Fenêtres", client="Durand")
            record_grants(session, {self.elsewhere: Grant(given, "salon", "BON-2", hours_exempt=True)}, "test",
                          MONDAY_3PM, other.client_id)

    def claimable(self, moment: datetime, ring: timedelta = timedelta(0)) -> set[int]:
        """The leads a claim at `moment` gets, claimed and then rolled back (each check starts afresh)."""
        with self.sessions() as session:
            try:
                return {t.lead_id for t in claim_leads(session, self.campaign_id, moment, 10, "d", ring=ring)}
            finally:
                session.rollback()


@pytest.fixture
def setup(sessions: sessionmaker[Session]) -> Setup:
    return Setup(sessions)


def test_a_consent_outside_hours_is_called_when_only_the_law_keeps_others_waiting(setup: Setup) -> None:
    everyone = {setup.plain, setup.exempt, setup.ending, setup.elsewhere}
    exempt = {setup.exempt, setup.ending}
    assert setup.claimable(paris(23, 12, 59, 59)) == everyone  # Monday, last second before the legal lunch break
    assert setup.claimable(paris(23, 13, 0, 0)) == exempt  # the break: the campaign's 10:00-19:00 is open
    assert setup.claimable(paris(23, 13, 59, 59)) == exempt
    assert setup.claimable(paris(23, 14, 0, 0)) == everyone
    assert setup.claimable(paris(28, 10, 0, 0)) == exempt  # Saturday: the contract's, not the law's
    assert setup.claimable(paris(28, 12, 59, 59)) == exempt
    assert setup.claimable(paris(28, 9, 59, 59)) == set()


def test_never_outside_the_campaigns_own_windows_nor_on_a_holiday(setup: Setup) -> None:
    assert setup.claimable(paris(23, 18, 59, 59)) == {setup.plain, setup.exempt, setup.ending, setup.elsewhere}
    assert setup.claimable(paris(23, 19, 0, 0)) == set()  # the law allows until 20:00, the campaign stops at 19:00
    assert setup.claimable(paris(28, 13, 0, 0)) == set()  # Saturday afternoon: the campaign's Saturday is over
    assert setup.claimable(paris(29, 11)) == set()  # Sunday
    assert setup.claimable(paris(25, 11, month=12)) == set()  # Christmas, a Friday
    assert setup.claimable(paris(23, 9, 59, 59)) == set()
    # A ring that would run past the campaign's closing is not started, exemption or not.
    assert setup.claimable(paris(23, 18, 59, 31), ring=timedelta(seconds=30)) == set()
    assert setup.claimable(paris(23, 18, 59, 30), ring=timedelta(seconds=30)) != set()


def test_the_exemption_ends_with_the_consent(setup: Setup) -> None:
    lunch = paris(30, 13, 29, 59)  # Monday 30 November
    assert setup.claimable(lunch) == {setup.exempt, setup.ending}
    assert setup.claimable(setup.ends_at) == {setup.exempt}  # expired to the second
    assert setup.ending in setup.claimable(paris(30, 14))  # its plain consent still holds in the legal hours
    with setup.sessions.begin() as session:
        client_id = session.get_one(Campaign, setup.campaign_id).client_id
        revoke_consent(session, [setup.exempt], "téléphone", "test", lunch, client_id, revoked_at=lunch)
    assert setup.claimable(lunch - timedelta(seconds=1)) == {setup.exempt, setup.ending}  # before the revocation
    assert setup.claimable(lunch) == {setup.ending}


def test_the_exempt_lead_comes_with_the_calendar_the_dialer_checks_at_originate(setup: Setup) -> None:
    ring = timedelta(seconds=30)
    at = paris(23, 13, 30)
    with setup.sessions() as session:
        rules = load_rules(session, setup.campaign_id)
        (target,) = claim_leads(session, setup.campaign_id, at, 1, "d", ring=ring)
        session.rollback()
    assert target.lead_id in {setup.exempt, setup.ending}
    assert may_ring(at, target.calendar, ring)
    assert not may_ring(at, rules.calendar("Europe/Paris", "FR", ""), ring)  # what any other lead gets
    assert target.calendar == rules.calendar("Europe/Paris", "FR", "", hours_exempt=True)
    assert not may_ring(paris(23, 18, 59, 45), target.calendar, ring)  # the campaign's closing still binds
    with setup.sessions() as session:
        plain = [t for t in claim_leads(session, setup.campaign_id, paris(23, 15), 10, "d")
                 if t.lead_id == setup.exempt]
        session.rollback()
    # Claimed while everyone may be called: the calendar of everyone (the dialer keeps to the legal hours).
    assert [t.calendar for t in plain] == [rules.calendar("Europe/Paris", "FR", "")]
