"""What counts as provable consent to be called: one definition for the import's quality report, the campaign
check (`rdv campaign check`) and the hopper. Pure.

L. 223-1 of the Code de la consommation, as amended by loi 2025-594 (in force since 11 August 2026): a consumer
may be prospected by phone only with prior consent that the professional can prove, or within a contract in
progress. What the product can prove is a consent record with all three parts: the date it was given (not
after the moment of the call), its source (where and how it was collected) and a proof reference (the consent
text or record it can produce). A date alone proves nothing. Text values are stored stripped (import and
`rdv leads consent`), so an empty string is the only blank one: the SQL twin in `leads.consent_store`
compares with '' exactly as this compares with "".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ConsentState(StrEnum):
    """Where a lead stands with respect to consent, in the quality report's order."""

    PROVEN = "proven"  # date, source and proof: may be called
    CONTRACT = "contract"  # no proven consent, but a contract in progress the profile accepts
    INCOMPLETE = "incomplete"  # part of a consent record (a date without source or proof …): not provable
    NONE = "none"  # nothing at all


@dataclass(frozen=True)
class ConsentRecord:
    """What is known of a lead's consent to be called."""

    consent_at: datetime | None = None
    consent_source: str = ""
    consent_proof: str = ""
    contract_exemption: bool = False


def is_proven(record: ConsentRecord, now: datetime) -> bool:
    """Whether the record proves a consent given by `now`: a date not after it, a source and a proof reference."""
    return (
        record.consent_at is not None
        and record.consent_at <= now
        and record.consent_source != ""
        and record.consent_proof != ""
    )


def consent_state(record: ConsentRecord, now: datetime, contract_exempts: bool = True) -> ConsentState:
    """The record's state; `contract_exempts`: whether the profile accepts a contract in progress instead."""
    if is_proven(record, now):
        return ConsentState.PROVEN
    if contract_exempts and record.contract_exemption:
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
