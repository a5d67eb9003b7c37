"""The distinct callee zones of a campaign's leads, found by index seeks and cached until new leads arrive; which of
them are open at a moment, checked once per group of zones that share a calendar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from campaigns.calendar import Calendar, is_callable
from campaigns.rules import CampaignRules
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


@dataclass(frozen=True)
class OpenZones:
    """The zones open at a moment, and the same grouped by (time zone, country) for the hopper's filter."""

    zones: tuple[Zone, ...]
    # Distinct (time zone, country) of the open zones, sorted: the shape of the filter, which statements are
    # built for; and the open subdivisions of each, the values of its bound parameters (see `params`).
    shape: tuple[tuple[str, str], ...]
    subdivisions: tuple[tuple[str, ...], ...]

    def params(self) -> dict[str, list[str]]:
        """The filter's bound parameters: `zone_<i>`, the open subdivisions of the i-th (time zone, country)."""
        return {zone_param(i): list(subs) for i, subs in enumerate(self.subdivisions)}


def zone_param(index: int) -> str:
    """The name of the bound parameter listing the open subdivisions of the `index`-th (time zone, country)."""
    return f"zone_{index}"


def group_zones(zones: Iterable[Zone]) -> OpenZones:
    """Open zones as the hopper's filter takes them (see OpenZones)."""
    kept = tuple(zones)
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for tz, country, subdivision in kept:
        grouped[(tz, country)].append(subdivision)
    shape = tuple(sorted(grouped))
    return OpenZones(kept, shape, tuple(tuple(sorted(set(grouped[key]))) for key in shape))


@dataclass
class _Day:
    """One local day of a campaign's zones: those not closed all day, in groups that open and close together."""

    groups: list[tuple[Calendar, list[int]]]
    found: dict[tuple[bool, ...], OpenZones] = field(default_factory=dict)


class _Zoning:
    """A campaign's zones and their calendars, so that a claim checks one calendar per group, not per zone.

    Zones with the same callee time zone, weekly hours and centre hours open and close together on a day that
    is not closed for them; what tells them apart is a closure or holiday of the day (a holiday of one
    subdivision only, such as Good Friday in Moselle), which depends on the local date alone. So the grouping
    is made once per local date and each claim runs `is_callable` once per group, with the same answer as per
    zone.
    """

    def __init__(self, rules: CampaignRules, zones: Sequence[Zone]) -> None:
        self.rules, self.zones = rules, zones
        self.calendars = [rules.calendar(*zone) for zone in zones]
        self.timezones = tuple(sorted({calendar.callee.zone for calendar in self.calendars}))
        self.days: dict[tuple[date, ...], _Day] = {}

    def open_at(self, now: datetime) -> OpenZones:
        local = tuple(now.astimezone(ZoneInfo(tz)).date() for tz in self.timezones)
        day = self.days.get(local)
        if day is None:
            if len(self.days) > 16:
                self.days.clear()
            day = self.days[local] = self._day(dict(zip(self.timezones, local, strict=True)))
        mask = tuple(is_callable(now, calendar) for calendar, _members in day.groups)
        opened = day.found.get(mask)
        if opened is None:
            members = sorted(i for (_calendar, group), is_open in zip(day.groups, mask, strict=True) if is_open
                             for i in group)
            opened = day.found[mask] = group_zones(self.zones[i] for i in members)
        return opened

    def _day(self, local: dict[str, date]) -> _Day:
        groups: dict[tuple[Any, ...], tuple[Calendar, list[int]]] = {}
        for i, calendar in enumerate(self.calendars):
            callee = calendar.callee
            if callee.closed_on(local[callee.zone]):
                continue
            key = (callee.zone, callee.weekly, calendar.centre)
            groups.setdefault(key, (calendar, []))[1].append(i)
        return _Day(list(groups.values()))


# (rules, zones) by identity → their zoning: the rules are cached on the campaign's columns and the zones on
# its highest lead id, so the same objects come back until either changes.
_ZONINGS: dict[tuple[int, int], _Zoning] = {}


def open_zones(rules: CampaignRules, zones: Sequence[Zone], now: datetime) -> OpenZones:
    """The zones whose calendar allows a call now."""
    zoning = _ZONINGS.get((id(rules), id(zones)))
    if zoning is None or zoning.rules is not rules or zoning.zones is not zones:
        if len(_ZONINGS) > 256:
            _ZONINGS.clear()
        zoning = _ZONINGS[(id(rules), id(zones))] = _Zoning(rules, zones)
    return zoning.open_at(now)
