"""Visit slots the client accepts, as campaign data, and the slots offered to the agent for a prospect.

Pure. A campaign's script file says, in its `[visits]` table, on which weekdays and between which hours
the client's technicians visit, how much notice they need and how far ahead the agent may book; the slot
length is the campaign's `slot_minutes`. Slots are in the prospect's zone; public holidays are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from campaigns.appointment_rules import InvalidSlot, TimeSlot
from campaigns.calendar import WEEKDAYS, Window, holiday_dates, parse_windows, zone_info
from config.i18n import _, fmt_time


@dataclass(frozen=True)
class VisitRules:
    """When the client visits: weekdays (0 = Monday), daily hours, notice, horizon and slot length."""

    weekdays: frozenset[int] = frozenset(range(6))
    hours: tuple[Window, ...] = parse_windows("09:00-12:00, 14:00-19:00")
    notice: timedelta = timedelta(hours=24)
    horizon_days: int = 21
    slot_minutes: int = 120
    step_minutes: int = 60

    def with_slot(self, minutes: int) -> VisitRules:
        return VisitRules(self.weekdays, self.hours, self.notice, self.horizon_days, minutes, self.step_minutes)


DEFAULT_VISITS = VisitRules()


@dataclass(frozen=True)
class DaySlots:
    """The slots offered on one day of the prospect's calendar."""

    day: date
    slots: tuple[TimeSlot, ...]


def parse_weekdays(names: list[str]) -> frozenset[int]:
    """`["monday", "saturday"]` → {0, 5}; raises ValueError naming an unknown day."""
    days = set()
    for name in names:
        key = str(name).strip().lower()
        if key not in WEEKDAYS:
            raise ValueError(_("unknown day {day} (known: {known})").format(day=name, known=", ".join(WEEKDAYS)))
        days.add(WEEKDAYS.index(key))
    return frozenset(days)


def day_slots(day: date, rules: VisitRules, zone: str) -> tuple[TimeSlot, ...]:
    """Every slot of a day the client visits on, each wholly inside one of its hours' windows."""
    tz = zone_info(zone)
    length, step = timedelta(minutes=rules.slot_minutes), timedelta(minutes=rules.step_minutes)
    slots = []
    for window in rules.hours:
        start = datetime.combine(day, window.start, tz)
        end = datetime.combine(day, window.end, tz) if window.end != time.max else datetime.combine(
            day + timedelta(days=1), time(0), tz)
        while start + length <= end:
            slots.append(TimeSlot(start, start + length))
            start += step
    return tuple(slots)


def offer_slots(rules: VisitRules, zone: str, now: datetime, country: str = "FR",
                subdivision: str = "") -> tuple[DaySlots, ...]:
    """The slots the agent may offer from `now`: after the notice, within the horizon, no holiday."""
    first = now + rules.notice
    today = now.astimezone(zone_info(zone)).date()
    offered = []
    for offset in range(rules.horizon_days + 1):
        day = today + timedelta(days=offset)
        if day.weekday() not in rules.weekdays or day in holiday_dates(country, subdivision, day.year):
            continue
        slots = tuple(s for s in day_slots(day, rules, zone) if s.start >= first)
        if slots:
            offered.append(DaySlots(day, slots))
    return tuple(offered)


def check_visit(slot: TimeSlot, rules: VisitRules, zone: str, now: datetime, country: str = "FR",
                subdivision: str = "") -> None:
    """Raise InvalidSlot, saying why, unless `slot` is one the client accepts for this prospect."""
    local = slot.start.astimezone(zone_info(zone))
    if slot.start < now + rules.notice:
        raise InvalidSlot(_slot_text(slot, zone), _("the client needs more notice before a visit"))
    if local.date() > now.astimezone(zone_info(zone)).date() + timedelta(days=rules.horizon_days):
        raise InvalidSlot(_slot_text(slot, zone), _("too far ahead: at most {days} days").format(
            days=rules.horizon_days))
    if local.weekday() not in rules.weekdays or local.date() in holiday_dates(country, subdivision, local.year):
        raise InvalidSlot(_slot_text(slot, zone), _("the client does not visit on that day"))
    if slot not in day_slots(local.date(), rules, zone):
        raise InvalidSlot(_slot_text(slot, zone), _("not one of the client's visit slots"))


def _slot_text(slot: TimeSlot, zone: str) -> str:
    tz = zone_info(zone)
    return f"{slot.start.astimezone(tz).date().isoformat()} {fmt_time(slot.start.astimezone(tz))}–" \
           f"{fmt_time(slot.end.astimezone(tz))}"


def slot_value(slot: TimeSlot) -> str:
    """A slot as a form sends it back: its start and end in ISO form."""
    return str(slot)


def parse_slot_value(text: str, zone: str) -> TimeSlot:
    """The slot a form sent (`start/end`, ISO with offset), in the prospect's named zone."""
    start_text, sep, end_text = text.partition("/")
    try:
        if not sep:
            raise ValueError(text)
        start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
    except ValueError:
        raise InvalidSlot(text, _("not a visit slot")) from None
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidSlot(text, _("give the time with the prospect's time zone"))
    tz = zone_info(zone)
    return TimeSlot(start.astimezone(tz), end.astimezone(tz))
