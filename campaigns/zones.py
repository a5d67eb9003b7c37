"""The distinct callee zones of a campaign's leads, found by index seeks and cached until new leads arrive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from leads.models import Lead

Zone = tuple[str, str, str]  # (time zone, country, holiday subdivision)


def _distinct(session: Session, column: Any, conditions: list[ColumnElement[bool]]) -> list[str]:
    """Distinct values of an indexed column by successive seeks (a loose index scan), not a full scan."""
    values: list[str] = []
    while True:
        query = select(column).where(*conditions)
        if values:
            query = query.where(column > values[-1])
        value = session.scalar(query.order_by(column).limit(1))
        if value is None:
            return values
        values.append(value)


def _scan_zones(session: Session, campaign_id: int) -> list[Zone]:
    here = Lead.campaign_id == campaign_id
    return [
        (tz, country, subdivision)
        for tz in _distinct(session, Lead.timezone, [here])
        for country in _distinct(session, Lead.country, [here, Lead.timezone == tz])
        for subdivision in _distinct(session, Lead.subdivision, [here, Lead.timezone == tz, Lead.country == country])
    ]


# (database, campaign) → (highest lead id when scanned, zones): new leads raise the id and trigger a rescan.
_ZONES: dict[tuple[str, int], tuple[int, list[Zone]]] = {}


def newest_lead() -> ScalarSelect[int | None]:
    """The highest lead id, which rises when leads arrive (the hopper reads it with its campaign)."""
    return select(func.max(Lead.id)).scalar_subquery()


def campaign_zones(session: Session, campaign_id: int, highest: int | None = None) -> list[Zone]:
    """Distinct (time zone, country, subdivision) of a campaign's leads; rescanned only after new leads arrive
    (`highest`: the highest lead id if the caller read it already)."""
    key = (str(session.get_bind().engine.url), campaign_id)
    if highest is None:
        highest = session.scalar(select(func.max(Lead.id))) or 0
    cached = _ZONES.get(key)
    if cached is None or cached[0] != highest:
        cached = (highest, _scan_zones(session, campaign_id))
        _ZONES[key] = cached
    return cached[1]
