"""The kinds of value a campaign setting takes: each parses text people type and formats it back, and says in
the message catalogue's words what it expected (never Python's own "invalid literal for int()")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from config.i18n import _
from leads.phone import InvalidPhoneNumber, normalise

DURATION = re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$")
TIME_OF_DAY = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
# Longer than any retry delay or grace a campaign could mean, short enough for every date computation.
LONGEST = timedelta(days=366)
Kind = tuple[Callable[[str], Any], Callable[[Any], str]]


def parse_duration(text: str) -> timedelta:
    """`15m`, `4h`, `2d`, `1h30m`, `90s`."""
    match = DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(_("expected a duration such as 15m, 4h or 2d"))
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds  # in integers: no overflow
    if total > LONGEST.total_seconds():
        raise ValueError(_("expected a duration of at most {days} days").format(days=LONGEST.days))
    return timedelta(seconds=total)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0m"


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on", "oui"}:
        return True
    if value in {"0", "false", "no", "off", "non"}:
        return False
    raise ValueError(_("expected yes or no"))


def int_between(low: int, high: int) -> Callable[[str], int]:
    """Whole numbers from `low` to `high`."""

    def parse(text: str) -> int:
        raw = text.strip()
        if not re.fullmatch(r"[+-]?\d{1,9}", raw) or not low <= int(raw) <= high:
            raise ValueError(_("expected a whole number from {low} to {high}").format(low=low, high=high))
        return int(raw)

    return parse


def parse_ratio(text: str) -> float:
    """`3 %`, `3%`, `0,03` or `0.03`."""
    raw = text.strip().replace(",", ".")
    number = raw.rstrip("% \u00a0\u202f")
    if not re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", number):
        raise ValueError(_("expected a share between 0 % and 100 %"))
    value = float(number) / 100 if raw.endswith("%") else float(number)
    if not 0 <= value <= 1:
        raise ValueError(_("expected a share between 0 % and 100 %"))
    return value


def format_ratio(value: float) -> str:
    return f"{round(value * 100, 2):g}%"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_suggestion(text: str) -> str | None:
    """The IANA zone someone probably meant: `Paris` → `Europe/Paris`, `europe/paris`, `Pariss` → `Europe/Paris`."""
    wanted = re.sub(r"[\s_-]+", "_", text.strip()).lower()
    by_name = {zone.lower(): zone for zone in sorted(_zones())}
    # A city names its zone (Europe/Paris); the first zone of a name wins (America/Martinique, not a link).
    by_city: dict[str, str] = {}
    # Etc/GMT+1 is UTC-1 (POSIX signs): never suggested for "GMT+1".
    for zone in sorted((z for z in _zones() if not z.startswith("Etc/")), key=lambda z: (z.count("/") != 1, z)):
        by_city.setdefault(zone.rsplit("/", 1)[-1].lower(), zone)
    for names in (by_name, by_city):
        if wanted in names:
            return names[wanted]
    if any(c.isdigit() for c in wanted):
        return None  # a near miss of GMT+1 is another offset, not a typo
    for names in (by_city, by_name):
        close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.8)
        if close:
            return names[close[0]]
    return None


def check_zone(text: str) -> str:
    """An IANA time zone name, with a suggestion when it is not one."""
    name = text.strip()
    try:
        valid = name in _zones() or bool(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        valid = False
    if not valid:
        suggestion = zone_suggestion(name)
        if suggestion:
            raise ValueError(_("not a time zone name: did you mean {zone}?").format(zone=suggestion))
        raise ValueError(_("not a time zone name such as Europe/Paris"))
    return name


def parse_optional_zone(text: str) -> str:
    """An IANA time zone name, or nothing (the site's own setting applies)."""
    return check_zone(text) if text.strip() else ""


def parse_date(text: str) -> date:
    """`2026-12-24` or `24/12/2026`."""
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return date.fromisoformat(raw)
        found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        pass
    raise ValueError(_("{value} is not a date (write 2026-12-24 or 24/12/2026)").format(value=raw))


def parse_dates(text: str) -> frozenset[date]:
    return frozenset(parse_date(p) for p in text.replace(";", ",").split(",") if p.strip())


def format_dates(value: frozenset[date]) -> str:
    return ", ".join(d.isoformat() for d in sorted(value))


def parse_time(text: str) -> time:
    """`19:15`, `9:00` or `9`."""
    found = TIME_OF_DAY.fullmatch(text.strip())
    if found is None or int(found[1]) > 23 or int(found[2] or 0) > 59:
        raise ValueError(_("{value} is not a time of day (write 19:15)").format(value=text.strip()))
    return time(int(found[1]), int(found[2] or 0))


def parse_times(text: str) -> tuple[time, ...]:
    return tuple(sorted(parse_time(p) for p in text.split(",") if p.strip()))


def format_times(value: tuple[time, ...]) -> str:
    return ", ".join(t.strftime("%H:%M") for t in value)


def choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise ValueError(_("expected one of {choices}").format(choices=", ".join(choices)))
        return text.strip()

    return parse


def as_text(value: Any) -> str:
    return str(value)


def parse_caller_number(text: str) -> str:
    """A caller number in E.164 (French numbers may be written as dialled), or empty: none declared."""
    if not text.strip():
        return ""
    try:
        return normalise(text, "FR").e164
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None
