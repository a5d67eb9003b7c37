"""The call log of a campaign ("journal d'appels"): one row per attempt, as CSV or XLSX, for proof to a client.

Two shapes of the same rows. The client's (default) is French, from the catalogue: labelled outcomes and
dispositions, start times as date-time cells in the callee's own zone with the zone named beside them,
phones as the client dials them, agents by name. The raw one (`raw=True`) is for integrations: English
codes, E.164 numbers, ISO 8601 times in UTC and in the callee's zone, column names that never change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.dispositions import dispositions_for
from campaigns.models import Attempt, Campaign
from config.i18n import _, fmt_zone
from reports.agent_names import agent_label, display_names
from reports.exports import Progress, Table, write_table
from reports.labels import outcome_label, phone_cell

COLUMNS = (
    "attempt_id", "lead_id", "attempt_no", "phone_e164", "callee_tz", "started_at_utc", "started_at_local",
    "outcome", "ring_s", "wait_s", "talk_s", "agent", "disposition",
)


def headers() -> list[str]:
    """The client's column headers, in the interface language."""
    return [
        _("Call no."), _("Lead no."), _("Attempt"), _("Phone"), _("Start (callee's time)"), _("Callee's time zone"),
        _("Call outcome"), _("Ringing (s)"), _("Queue wait (s)"), _("Conversation (s)"), _("Teleoperator"),
        _("Disposition"),
    ]


def _seconds(value: float | None) -> float | None:
    """A duration to the tenth of a second: what the PBX's own timing is worth."""
    return None if value is None else round(value, 1)


def call_rows(session: Session, campaign_id: int) -> Iterator[dict[str, Any]]:
    """Every attempt of a campaign in dialling order, times in UTC and in the callee's zone."""
    zones: dict[str, ZoneInfo | None] = {}
    query = select(Attempt).where(Attempt.campaign_id == campaign_id).order_by(Attempt.created_at, Attempt.id)
    for attempt in session.scalars(query.execution_options(yield_per=1000)):
        started = (attempt.originated_at or attempt.created_at).astimezone(UTC)
        if attempt.callee_tz not in zones:
            zones[attempt.callee_tz] = _zone(attempt.callee_tz)
        zone = zones[attempt.callee_tz]
        yield {
            "attempt_id": attempt.id, "lead_id": attempt.lead_id, "attempt_no": attempt.attempt_no,
            "phone_e164": attempt.phone_e164, "callee_tz": attempt.callee_tz, "started_at_utc": started,
            "started_at_local": started.astimezone(zone) if zone is not None else None, "outcome": attempt.outcome,
            "ring_s": _seconds(attempt.ring_s), "wait_s": _seconds(attempt.wait_s), "talk_s": _seconds(attempt.talk_s),
            "agent": attempt.agent, "disposition": attempt.disposition,
        }


def _zone(key: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(key)
    except (ValueError, KeyError):
        return None


def count_calls(session: Session, campaign_id: int) -> int:
    """How many rows the call log of a campaign has (for a progress bar)."""
    return int(session.scalar(select(func.count()).select_from(Attempt).where(Attempt.campaign_id == campaign_id))
               or 0)


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def raw_table(rows: Iterator[dict[str, Any]]) -> Table:
    """The machine-readable log: the COLUMNS, English codes, ISO 8601 times."""
    def values() -> Iterator[list[Any]]:
        for row in rows:
            times = {"started_at_utc": _iso(row["started_at_utc"]), "started_at_local": _iso(row["started_at_local"])}
            yield [times.get(c, row[c]) for c in COLUMNS]

    return Table(COLUMNS, values(), sheet="calls")


def client_table(
    rows: Iterator[dict[str, Any]], dispositions: Callable[[str], str], agents: Mapping[str, str]
) -> Table:
    """The log as the client reads it: labels, local date-times, phones as dialled, agents by name."""
    labels: dict[tuple[str, Any], str] = {}  # a few codes: each translated once per export
    readers: dict[str, Callable[[Any], str]] = {
        "callee_tz": lambda zone: fmt_zone(zone) if zone else "", "outcome": outcome_label,
        "agent": lambda login: agent_label(login, agents),
        "disposition": lambda code: dispositions(code) if code else "",
    }

    def label(column: str, code: Any) -> str:
        found = labels.get((column, code))
        if found is None:
            found = labels[column, code] = readers[column](code)
        return found

    def values() -> Iterator[list[Any]]:
        for row in rows:
            yield [
                row["attempt_id"], row["lead_id"], row["attempt_no"], phone_cell(row["phone_e164"]),
                row["started_at_local"], label("callee_tz", row["callee_tz"]), label("outcome", row["outcome"]),
                row["ring_s"], row["wait_s"], row["talk_s"], label("agent", row["agent"]),
                label("disposition", row["disposition"]),
            ]

    return Table(headers(), values(), sheet=_("Calls"))


def export_calls(
    session: Session, campaign_id: int, path: Path, raw: bool = False, progress: Progress | None = None
) -> int:
    """Write the campaign's call log to `path` (.csv or .xlsx); returns the number of calls written."""
    rows = call_rows(session, campaign_id)
    if raw:
        return write_table(path, raw_table(rows), progress=progress)
    campaign = session.get_one(Campaign, campaign_id)
    known = dispositions_for(campaign.settings)

    def disposition(code: str) -> str:
        found = known.get(code)
        return found.label() if found is not None else code

    table = client_table(rows, disposition, display_names(session))
    return write_table(path, table, progress=progress)


def write_calls(rows: Iterator[dict[str, Any]], path: Path) -> int:
    """Write rows in the raw shape as CSV or XLSX (by extension); returns the row count."""
    return write_table(path, raw_table(rows))
