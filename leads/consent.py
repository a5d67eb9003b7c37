"""What counts as provable consent to be called: one definition for the import's quality report, the campaign
check (`rdv campaign check`) and the hopper. Pure.

L. 223-1 of the Code de la consommation, as amended by loi 2025-594 (in force since 11 August 2026): a consumer
may be prospected by phone only with prior consent that the professional can prove, or within a contract in
progress. What the product can prove is a consent record with all three parts: the date it was given (not
after the moment of the call), its source (where and how it was collected) and a proof reference (the consent
text or record it can produce). A date alone proves nothing. Text values are stored stripped (import and
`rdv leads consent`), so an empty string is the only blank one: the SQL twin in `leads.consent_store`
compares with '' exactly as this compares with "".

A lead may have several records (`leads.consent_models.ConsentGrant`, one per consent given or contract in
progress), each scoped to one client and possibly to some products, with an expiry and a revocation; the
lead's state is the best of its records that are in force at that moment. The hopper's gate reads only those
records, never the lead file's columns directly (the import turns the columns into records).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ConsentState(StrEnum):
    """Where a lead stands with respect to consent, in the quality report's order (the last two only for
    records stored since: the import's records are never yet revoked or expired)."""

    PROVEN = "proven"  # date, source and proof: may be called
    CONTRACT = "contract"  # no proven consent, but a contract in progress the profile accepts
    INCOMPLETE = "incomplete"  # part of a consent record (a date without source or proof …): not provable
    NONE = "none"  # nothing at all
    REVOKED = "revoked"  # a consent (or contract) there was, revoked by then
    EXPIRED = "expired"  # a consent there was, expired by then


@dataclass(frozen=True)
class ConsentRecord:
    """What is known of a lead's consent to be called."""

    consent_at: datetime | None = None
    consent_source: str = ""
    consent_proof: str = ""
    contract_exemption: bool = False
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    # The consumer agreed to be called outside the legal days and hours too (D. 223-9): lifts that rule only.
    hours_exempt: bool = False


def in_force(record: ConsentRecord, now: datetime) -> bool:
    """Whether the record is neither revoked nor expired at `now`."""
    return ((record.revoked_at is None or record.revoked_at > now)
            and (record.expires_at is None or record.expires_at > now))


def is_proven(record: ConsentRecord, now: datetime) -> bool:
    """Whether the record proves a consent given by `now`: a date not after it, a source and a proof reference."""
    return (
        in_force(record, now)
        and record.consent_at is not None
        and record.consent_at <= now
        and record.consent_source != ""
        and record.consent_proof != ""
    )


def consent_state(record: ConsentRecord, now: datetime, contract_exempts: bool = True) -> ConsentState:
    """The record's state; `contract_exempts`: whether the profile accepts a contract in progress instead."""
    if is_proven(record, now):
        return ConsentState.PROVEN
    if not in_force(record, now):
        return ConsentState.REVOKED if record.revoked_at is not None and record.revoked_at <= now \
            else ConsentState.EXPIRED
    if contract_exempts and record.contract_exemption and (record.consent_at is None or record.consent_at <= now):
        return ConsentState.CONTRACT
    if record.consent_at is not None or record.consent_source or record.consent_proof:
        return ConsentState.INCOMPLETE
    return ConsentState.NONE


def may_be_called(record: ConsentRecord, now: datetime, contract_exempts: bool = True) -> bool:
    """Whether consent (or a contract in progress) allows the call, where the profile requires consent."""
    return consent_state(record, now, contract_exempts) in {ConsentState.PROVEN, ConsentState.CONTRACT}


def record_of(values: dict[str, object]) -> ConsentRecord:
    """The consent record of a lead's column values (an import draft, a row)."""
    at = values.get("consent_at")
    return ConsentRecord(
        at if isinstance(at, datetime) else None,
        str(values.get("consent_source") or ""),
        str(values.get("consent_proof") or ""),
        bool(values.get("contract_exemption")),
    )


_RANK = [ConsentState.PROVEN, ConsentState.CONTRACT, ConsentState.REVOKED, ConsentState.EXPIRED,
         ConsentState.INCOMPLETE, ConsentState.NONE]


def best_state(records: Sequence[ConsentRecord], now: datetime, contract_exempts: bool = True
               ) -> tuple[ConsentState, ConsentRecord | None]:
    """A lead's state from all its records: the best one's, and that record (None when there is none)."""
    states = [(consent_state(r, now, contract_exempts), r) for r in records]
    if not states:
        return ConsentState.NONE, None
    return min(states, key=lambda pair: _RANK.index(pair[0]))


def lead_may_be_called(records: Sequence[ConsentRecord], now: datetime, contract_exempts: bool = True) -> bool:
    """Whether any of a lead's records allows the call."""
    return best_state(records, now, contract_exempts)[0] in {ConsentState.PROVEN, ConsentState.CONTRACT}


def hours_rule_lifted(records: Sequence[ConsentRecord], now: datetime) -> bool:
    """Whether a proven consent in force says the consumer may be called outside the legal days and hours."""
    return any(r.hours_exempt and is_proven(r, now) for r in records)
