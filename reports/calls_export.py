"""The call log of a campaign ("journal d'appels"): one row per attempt, as CSV or XLSX, for proof to a client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Attempt
from reports.exports import write_table

COLUMNS = (
    "attempt_id", "lead_id", "attempt_no", "phone_e164", "callee_tz", "started_at_utc", "started_at_local",
    "outcome", "ring_s", "wait_s", "talk_s", "agent", "disposition",
)


def _local(moment: datetime, zone: str) -> str:
    try:
        return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")
    except (ValueError, KeyError):
        return ""


def _seconds(value: float | None) -> float | None:
    """A duration to the tenth of a second: what the PBX's own timing is worth."""
    return None if value is None else round(value, 1)


def call_rows(session: Session, campaign_id: int) -> Iterator[dict[str, Any]]:
    """Every attempt of a campaign in dialling order, times in UTC and in the callee's zone."""
    query = select(Attempt).where(Attempt.campaign_id == campaign_id).order_by(Attempt.created_at, Attempt.id)
    for attempt in session.scalars(query.execution_options(yield_per=1000)):
        started = attempt.originated_at or attempt.created_at
        yield {
            "attempt_id": attempt.id, "lead_id": attempt.lead_id, "attempt_no": attempt.attempt_no,
            "phone_e164": attempt.phone_e164, "callee_tz": attempt.callee_tz,
            "started_at_utc": started.astimezone(UTC).isoformat(timespec="seconds"),
            "started_at_local": _local(started, attempt.callee_tz), "outcome": attempt.outcome,
            "ring_s": _seconds(attempt.ring_s), "wait_s": _seconds(attempt.wait_s), "talk_s": _seconds(attempt.talk_s),
            "agent": attempt.agent, "disposition": attempt.disposition,
        }


def write_calls(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Write the rows as CSV or XLSX (by extension), formula-safe, as every export is; returns the row count."""
    return write_table(path, COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
