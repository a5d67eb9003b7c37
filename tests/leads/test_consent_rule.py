"""The consent rule over a lead's records: expiry, revocation, contracts, the best record, the hours exemption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leads.consent import (
    ConsentRecord,
    ConsentState,
    best_state,
    consent_state,
    hours_rule_lifted,
    lead_may_be_called,
)

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
GIVEN = ConsentRecord(datetime(2026, 9, 1, tzinfo=UTC), "formulaire web", "CGU-3")


def test_a_consent_stops_proving_once_revoked_or_expired() -> None:
    assert consent_state(GIVEN, NOW) is ConsentState.PROVEN
    revoked = ConsentRecord(GIVEN.consent_at, "f", "p", revoked_at=NOW - timedelta(days=1))
    assert consent_state(revoked, NOW) is ConsentState.REVOKED
    assert consent_state(revoked, NOW - timedelta(days=2)) is ConsentState.PROVEN  # before it was revoked
    expired = ConsentRecord(GIVEN.consent_at, "f", "p", expires_at=NOW)
    assert consent_state(expired, NOW) is ConsentState.EXPIRED


def test_a_revoked_contract_exempts_no_more() -> None:
    contract = ConsentRecord(contract_exemption=True)
    assert consent_state(contract, NOW) is ConsentState.CONTRACT
    assert consent_state(contract, NOW, contract_exempts=False) is ConsentState.NONE
    ended = ConsentRecord(contract_exemption=True, revoked_at=NOW)
    assert not lead_may_be_called([ended], NOW)


def test_the_best_record_decides_and_no_record_is_none() -> None:
    old = ConsentRecord(GIVEN.consent_at, "salon", "BON-1", revoked_at=NOW - timedelta(days=3))
    assert best_state([old, GIVEN], NOW) == (ConsentState.PROVEN, GIVEN)
    assert best_state([old], NOW) == (ConsentState.REVOKED, old)
    assert best_state([], NOW) == (ConsentState.NONE, None)


def test_only_a_proven_consent_that_says_so_lifts_the_hours_rule() -> None:
    says_so = ConsentRecord(GIVEN.consent_at, "f", "p", hours_exempt=True)
    assert hours_rule_lifted([GIVEN, says_so], NOW)
    assert not hours_rule_lifted([GIVEN], NOW)
    assert not hours_rule_lifted([ConsentRecord(GIVEN.consent_at, "f", "", hours_exempt=True)], NOW)
    assert not hours_rule_lifted([ConsentRecord(GIVEN.consent_at, "f", "p", hours_exempt=True, revoked_at=NOW)],
                                 NOW)
