"""The distinct callee zones of a campaign's leads, found by index seeks and cached until new leads arrive; which of
them are open at a moment, checked once per group of zones that share a calendar."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from campaigns.calendar import Schedule
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


# The shape of the hopper's zone filter: the distinct (time zone, country) of the open zones, sorted.
Shape = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OpenZones:
    """The zones open at a moment, and the same grouped by (time zone, country) for the hopper's filter."""

    zones: tuple[Zone, ...]
    shape: Shape  # what the statements are built for
    subdivisions: tuple[tuple[str, ...], ...]  # the open ones of each group: the filter's bound parameters
    prefix: str = "zone"  # of the parameters' names: another for the zones open to callees exempt from the hours

    def params(self, arrays: bool) -> dict[str, Any]:
        """The filter's bound parameters, `<prefix>_<i>`: the open subdivisions of the i-th group as a JSON list
        (SQLite) or an array (PostgreSQL); kept, do not modify.

        One parameter per group, not one per value nor an expanding list: each cost as much as the rest of a
        small claim (SQLAlchemy renders an expanding list anew at each execution; psycopg parses a long
        statement's parameters again at each execution)."""
        return self._arrays if arrays else self._json

    @cached_property
    def _json(self) -> dict[str, Any]:
        return {zone_param(i, self.prefix): json.dumps(subs) for i, subs in enumerate(self.subdivisions)}

    @cached_property
    def _arrays(self) -> dict[str, Any]:
        return {zone_param(i, self.prefix): list(subs) for i, subs in enumerate(self.subdivisions)}


# The parameters' prefix of the zones open only to callees whose consent lifts the profile's hours.
EXEMPT_PREFIX = "xzone"


def zone_param(group: int, prefix: str = "zone") -> str:
    """The name of the bound parameter of the open subdivisions of the `group`-th (time zone, country)."""
    return f"{prefix}_{group}"


def group_zones(zones: Iterable[Zone], prefix: str = "zone") -> OpenZones:
    """Open zones as the hopper's filter takes them (see OpenZones)."""
    kept = tuple(zones)
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for tz, country, subdivision in kept:
        grouped[(tz, country)].add(subdivision)
    shape = tuple(sorted(grouped))
    return OpenZones(kept, shape, tuple(tuple(sorted(grouped[key])) for key in shape), prefix)


NO_ZONES = group_zones(())


@dataclass
class _Day:
    """The zones not closed all day, from `since` to `until` (while no zone's local date changes), in groups that
    open and close together: each group needs all of some distinct schedules open."""

    since: datetime
    until: datetime
    schedules: list[Schedule]
    groups: list[tuple[tuple[int, ...], list[int]]]  # (indexes of the schedules it needs, indexes of its zones)
    found: dict[tuple[bool, ...], OpenZones] = field(default_factory=dict)


class _Zoning:
    """A campaign's zones and their calendars, so that a claim checks a few schedules, not each zone's calendar.

    Zones with the same callee time zone, weekly hours and centre hours open and close together on a day that
    is not closed for them; what tells them apart is a closure or holiday of the day (a holiday of one
    subdivision only, such as Good Friday in Moselle), which depends on the local date alone. So the grouping
    is made once per local date, and each claim checks each distinct schedule once (`is_callable` is "every
    schedule of the calendar is open"), with the same answer as `is_callable` per zone.
    """

    def __init__(self, rules: CampaignRules, zones: Sequence[Zone], hours_exempt: bool = False) -> None:
        self.rules, self.zones = rules, zones
        self.calendars = [rules.calendar(*zone, hours_exempt=hours_exempt) for zone in zones]
        self.timezones = sorted({s.zone for calendar in self.calendars for s in calendar.schedules()})
        # Held so that ZoneInfo's cache keeps them: it keeps only the 8 last used otherwise, and the schedules ask
        # for theirs by name at each check, which with more time zones than that reads the zone files again.
        self.zoneinfos = [ZoneInfo(tz) for tz in self.timezones]
        self.day: _Day | None = None
        self._both: dict[tuple[tuple[Zone, ...], tuple[Zone, ...]], OpenZones] = {}

    def open_at(self, now: datetime) -> OpenZones:
        day = self.day
        if day is None or not day.since <= now < day.until:
            day = self.day = self._day(now)
        mask = tuple(schedule.is_open(now) for schedule in day.schedules)
        opened = day.found.get(mask)
        if opened is None:
            members = sorted(i for needs, group in day.groups if all(mask[k] for k in needs) for i in group)
            opened = day.found[mask] = group_zones(self.zones[i] for i in members)
        return opened

    def both(self, first: OpenZones, second: OpenZones) -> OpenZones:
        """The zones open in both, kept: near a closing the same pair comes back at every claim."""
        key = (first.zones, second.zones)
        found = self._both.get(key)
        if found is None:
            if len(self._both) > 64:
                self._both.clear()
            kept = set(second.zones)
            found = self._both[key] = group_zones(z for z in first.zones if z in kept)
        return found

    def _day(self, now: datetime) -> _Day:
        local: dict[str, date] = {}
        starts, ends = [], []
        for tz, zone in zip(self.timezones, self.zoneinfos, strict=True):
            local[tz] = today = now.astimezone(zone).date()
            # The first instant of the local day and of the next (a midnight in a DST gap maps to its end).
            starts.append(datetime.combine(today, time(0), tzinfo=zone).astimezone(UTC))
            ends.append(datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC))
        since, until = max(starts), min(ends)
        if not since <= now < until:  # not expected; then this moment only
            since, until = now, now + timedelta(microseconds=1)
        schedules: dict[Schedule, int] = {}
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, calendar in enumerate(self.calendars):
            if any(s.closed_on(local[s.zone]) for s in calendar.schedules()):
                continue
            # Without its closures and holidays, which close none of them today: the same for every subdivision.
            needs = tuple(schedules.setdefault(replace(s, closures=frozenset(), holidays_country="",
                                                       holidays_subdivision=""), len(schedules))
                          for s in calendar.schedules())
            groups.setdefault(needs, []).append(i)
        return _Day(since, until, list(schedules), list(groups.items()))


# (rules, zones, hours exemption) with the first two by identity → their zoning: the rules are cached on the
# campaign's columns and the zones on its highest lead id, so the same objects come back until either changes.
_ZONINGS: dict[tuple[int, int, bool], _Zoning] = {}
# (zones open to all, zones open to the exempt) → the second without the first, with the exempt's prefix.
_EXEMPT_ONLY: dict[tuple[tuple[Zone, ...], tuple[Zone, ...]], OpenZones] = {}


def open_zones(rules: CampaignRules, zones: Sequence[Zone], now: datetime, ring: timedelta = timedelta(0),
               hours_exempt: bool = False) -> OpenZones:
    """The zones whose calendar allows a call now, and with `ring` still allows it when the call has rung that long;
    `hours_exempt`: the calendars of callees whose consent lifts the profile's days and hours.

    Open at both ends is open all along when the ring is shorter than any closed gap (a minute: windows are in
    whole minutes, holidays whole days); the dialer checks each call's whole ring at Originate anyway.
    """
    key = (id(rules), id(zones), hours_exempt)
    zoning = _ZONINGS.get(key)
    if zoning is None or zoning.rules is not rules or zoning.zones is not zones:
        if len(_ZONINGS) > 256:
            _ZONINGS.clear()
        zoning = _ZONINGS[key] = _Zoning(rules, zones, hours_exempt)
    opened = zoning.open_at(now)
    if ring <= timedelta(0) or not opened.zones:
        return opened
    later = zoning.open_at(now + ring - timedelta(microseconds=1))  # the ring's last instant: it ends at now + ring
    return opened if later is opened else zoning.both(opened, later)


def exempt_only_zones(rules: CampaignRules, zones: Sequence[Zone], opened: OpenZones, now: datetime,
                      ring: timedelta = timedelta(0)) -> OpenZones:
    """The zones open now (for `ring`) only to callees whose consent lifts the profile's days and hours, with
    the parameters' prefix `EXEMPT_PREFIX`; `opened`: the zones open to all (`open_zones`). Their calendar is the
    other's without the profile's windows, so it is open whenever the other is: these zones are the rest."""
    if not rules.hours_exemptible:
        return NO_ZONES
    exempt = open_zones(rules, zones, now, ring, hours_exempt=True)
    key = (opened.zones, exempt.zones)
    found = _EXEMPT_ONLY.get(key)
    if found is None:
        if len(_EXEMPT_ONLY) > 256:
            _EXEMPT_ONLY.clear()
        common = set(opened.zones)
        found = _EXEMPT_ONLY[key] = group_zones((z for z in exempt.zones if z not in common), EXEMPT_PREFIX)
    return found
