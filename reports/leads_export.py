"""The leads of a campaign as a file ("export des fiches"): the client's shape, or the raw one for integrations.

The client's shape is French, from the catalogue: labelled statuses, outcomes and line types, the next call
as a date-time in the callee's zone with the zone named, phones as dialled from France. The raw one keeps
the stored codes, E.164 numbers and ISO 8601 times in UTC, under column names that never change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.i18n import _, fmt_zone
from leads import store
from leads.report import line_type_label
from reports.exports import Progress, Table, write_table
from reports.labels import outcome_label, phone_cell, status_label

_AT = {name: i for i, name in enumerate(store.EXPORT_COLUMNS)}


def headers() -> list[str]:
    """The client's headers of the fixed columns, in the interface language."""
    return [
        _("Lead no."), _("Reference"), _("Civility"), _("Last name"), _("First name"), _("Phone"), _("Line type"),
        _("Postcode"), _("City"), _("Status"), _("Calls"), _("Last outcome"), _("Next call (callee's time)"),
        _("Callee's time zone"),
    ]


# Coded columns and how each code reads; a few codes, so each is translated once per export.
_LABELLED = (
    (_AT["phone_type"], lambda code: line_type_label(code) if code else ""), (_AT["status"], status_label),
    (_AT["last_outcome"], outcome_label), (_AT["timezone"], lambda zone: fmt_zone(zone) if zone else ""),
)


def _client_row(values: list[Any], labels: dict[tuple[int, Any], str]) -> list[Any]:
    shown = list(values)
    shown[_AT["phone_e164"]] = phone_cell(values[_AT["phone_e164"]])
    for at, label in _LABELLED:
        key = (at, values[at])
        found = labels.get(key)
        if found is None:
            found = labels[key] = label(values[at])
        shown[at] = found
    return shown


def _raw_row(values: list[Any]) -> list[Any]:
    shown = list(values)
    moment: datetime | None = values[_AT["next_attempt_at"]]
    shown[_AT["next_attempt_at"]] = "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")
    return shown


def export_leads(
    session: Session, campaign_id: int, path: Path, raw: bool = False, progress: Progress | None = None,
    worked_only: bool = False,
) -> int:
    """Write the campaign's leads to `path` (.csv or .xlsx); returns the number of leads written.

    `worked_only`: the results file sent with the weekly dashboard, every lead called so far.
    """
    columns, rows = store.export_rows(session, campaign_id, worked_only=worked_only)
    custom = columns[len(store.EXPORT_COLUMNS):]
    if raw:
        return write_table(path, Table(columns, (_raw_row(r) for r in rows), sheet="leads"), progress=progress)
    labels: dict[tuple[int, Any], str] = {}

    def client_rows() -> Iterator[list[Any]]:
        for values in rows:
            yield _client_row(values, labels)

    return write_table(path, Table([*headers(), *custom], client_rows(), sheet=_("Leads")), progress=progress)
