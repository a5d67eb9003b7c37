"""Per-campaign settings, declared once: the registry drives storage (`Campaign.settings`), the CLI and web
form, help texts and validation. Stored values are the canonical texts of the settings that differ from the
defaults; `campaign_settings()` turns them into one typed, frozen object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.calendar import Window, parse_windows, windows_text
from campaigns.errors import InvalidSetting, UnknownSetting
from config.i18n import _

DURATION = re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$")
PACING_MODES = ("predictive", "progressive", "preview")


@dataclass(frozen=True)
class CampaignSettings:
    """Every per-campaign setting, typed; field names are the setting keys."""

    weekday_windows: tuple[Window, ...]
    saturday: bool
    saturday_windows: tuple[Window, ...]
    closures: frozenset[date]
    centre_timezone: str
    centre_weekday_hours: tuple[Window, ...]
    centre_saturday_hours: tuple[Window, ...]
    max_attempts: int
    retry_no_answer: timedelta
    retry_busy: timedelta
    retry_machine: timedelta
    retry_dropped: timedelta
    retry_congestion: timedelta
    retry_failed: timedelta
    retry_connected: timedelta
    spread_attempts: bool
    hour_bands: tuple[time, ...]
    hopper_fresh_share: float
    callback_grace: timedelta
    wrap_up_seconds: int
    abandonment_target: float
    pacing_mode: str
    daily_mail_time: time
    send_empty_daily_mail: bool


@dataclass(frozen=True)
class Spec:
    """One setting: its key, default (as text), parser, formatter and help."""

    key: str
    default: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    help: Callable[[], str]
    group: str


def parse_duration(text: str) -> timedelta:
    """`15m`, `4h`, `2d`, `1h30m`, `90s`."""
    match = DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(_("expected a duration such as 15m, 4h or 2d"))
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0m"


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on", "oui"}:
        return True
    if value in {"0", "false", "no", "off", "non"}:
        return False
    raise ValueError(_("expected yes or no"))


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ValueError(_("expected a whole number from {low} to {high}").format(low=low, high=high))
        return value

    return parse


def _ratio(text: str) -> float:
    """`3 %`, `3%` or `0.03`."""
    raw = text.strip().replace(",", ".")
    try:
        value = float(raw.rstrip("% ")) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise ValueError(_("expected a share between 0 % and 100 %"))
    return value


def _zone(text: str) -> str:
    if text.strip():
        try:
            ZoneInfo(text.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("not a time zone name such as Europe/Paris")) from None
    return text.strip()


def _dates(text: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(p.strip()) for p in text.replace(";", ",").split(",") if p.strip())
    except ValueError:
        raise ValueError(_("expected dates such as 2026-12-24, separated by commas")) from None


def _time(text: str) -> time:
    hours, _sep, minutes = text.strip().partition(":")
    try:
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise ValueError(_("expected times of day such as 10:00 or 14:30")) from None


def _times(text: str) -> tuple[time, ...]:
    return tuple(sorted(_time(p) for p in text.split(",") if p.strip()))


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise ValueError(_("expected one of {choices}").format(choices=", ".join(choices)))
        return text.strip()

    return parse


def _text(value: Any) -> str:
    return str(value)


_windows = (parse_windows, windows_text)
_duration = (parse_duration, format_duration)
_yesno = (_bool, lambda v: "yes" if v else "no")


def _spec(
    key: str,
    default: str,
    kind: tuple[Callable[[str], Any], Callable[[Any], str]],
    help_: Callable[[], str],
    group: str,
) -> Spec:
    return Spec(key, default, kind[0], kind[1], help_, group)


SPECS: tuple[Spec, ...] = (
    _spec(
        "weekday_windows",
        "10:00-19:00",
        _windows,
        lambda: _("Calling windows Monday to Friday, callee's local time"),
        "calendar",
    ),
    _spec(
        "saturday",
        "no",
        _yesno,
        lambda: _("Call on Saturdays (only if the client asks and the profile allows)"),
        "calendar",
    ),
    _spec("saturday_windows", "10:00-13:00", _windows, lambda: _("Calling windows on Saturdays"), "calendar"),
    _spec(
        "closures",
        "",
        (_dates, lambda v: ", ".join(d.isoformat() for d in sorted(v))),
        lambda: _("Dates without calls (YYYY-MM-DD, comma-separated)"),
        "calendar",
    ),
    _spec(
        "centre_timezone",
        "",
        (_zone, _text),
        lambda: _("Time zone of the call centre (empty: the site's setting)"),
        "centre",
    ),
    _spec(
        "centre_weekday_hours",
        "09:00-21:00",
        _windows,
        lambda: _("Opening hours of the centre Monday to Friday, its own time"),
        "centre",
    ),
    _spec(
        "centre_saturday_hours",
        "09:00-18:00",
        _windows,
        lambda: _("Opening hours of the centre on Saturdays"),
        "centre",
    ),
    _spec(
        "max_attempts",
        "20",
        (_int_between(1, 100), _text),
        lambda: _("Dial attempts per lead before it is exhausted"),
        "retry",
    ),
    _spec("retry_no_answer", "3h", _duration, lambda: _("Delay before retrying after no answer"), "retry"),
    _spec("retry_busy", "15m", _duration, lambda: _("Delay before retrying after a busy line"), "retry"),
    _spec("retry_machine", "4h", _duration, lambda: _("Delay before retrying after an answering machine"), "retry"),
    _spec("retry_dropped", "1h", _duration, lambda: _("Delay before retrying a call the dialer dropped"), "retry"),
    _spec("retry_congestion", "30m", _duration, lambda: _("Delay before retrying after network congestion"), "retry"),
    _spec("retry_failed", "30m", _duration, lambda: _("Delay before retrying after a technical failure"), "retry"),
    _spec(
        "retry_connected",
        "1d",
        _duration,
        lambda: _("Delay before retrying an answered call left without disposition"),
        "retry",
    ),
    _spec("spread_attempts", "yes", _yesno, lambda: _("Spread attempts over hour bands and weekdays"), "retry"),
    _spec(
        "hour_bands",
        "12:00, 14:00, 17:00",
        (_times, lambda v: ", ".join(t.strftime("%H:%M") for t in v)),
        lambda: _("Boundaries of the hour bands attempts are spread over"),
        "retry",
    ),
    _spec(
        "hopper_fresh_share",
        "30%",
        (_ratio, lambda v: f"{round(v * 100, 2):g}%"),
        lambda: _("Share of fresh leads among the leads dialled when retries are due too"),
        "hopper",
    ),
    _spec(
        "callback_grace",
        "10m",
        _duration,
        lambda: _("How long a personal callback waits for its agent before anyone takes it"),
        "hopper",
    ),
    _spec(
        "wrap_up_seconds",
        "30",
        (_int_between(0, 3600), _text),
        lambda: _("Wrap-up time after each call, in seconds"),
        "dialer",
    ),
    _spec(
        "abandonment_target",
        "3%",
        (_ratio, lambda v: f"{round(v * 100, 2):g}%"),
        lambda: _("Highest share of dropped calls pacing aims at"),
        "dialer",
    ),
    _spec(
        "pacing_mode",
        "predictive",
        (_choice(PACING_MODES), _text),
        lambda: _("Pacing: predictive, progressive or preview"),
        "dialer",
    ),
    _spec(
        "daily_mail_time",
        "19:15",
        (_time, lambda v: v.strftime("%H:%M")),
        lambda: _("Daily close and RDV e-mail, centre time"),
        "mail",
    ),
    _spec("send_empty_daily_mail", "yes", _yesno, lambda: _("Send the daily e-mail even without any RDV"), "mail"),
)
REGISTRY: dict[str, Spec] = {spec.key: spec for spec in SPECS}
assert list(REGISTRY) == [f.name for f in fields(CampaignSettings)], "registry and CampaignSettings differ"


def parse_value(key: str, text: str) -> Any:
    """The typed value of a setting from its text; InvalidSetting names the key, the value and why."""
    spec = REGISTRY.get(key)
    if spec is None:
        raise UnknownSetting(key, sorted(REGISTRY))
    try:
        return spec.parse(str(text))
    except ValueError as exc:
        raise InvalidSetting(key, text, str(exc) or _("not understood")) from None


def campaign_settings(stored: Mapping[str, Any]) -> CampaignSettings:
    """The typed settings of a campaign from its stored overrides (unknown keys are left to their owners)."""
    values = {key: parse_value(key, str(stored.get(key, spec.default))) for key, spec in REGISTRY.items()}
    return CampaignSettings(**values)


def set_value(stored: Mapping[str, Any], key: str, text: str) -> dict[str, Any]:
    """New stored settings with `key` set from `text` (validated, kept in canonical form)."""
    value = parse_value(key, text)
    spec = REGISTRY[key]
    canonical = spec.format(value)
    updated = dict(stored)
    if canonical == spec.format(spec.parse(spec.default)):
        updated.pop(key, None)
    else:
        updated[key] = canonical
    return updated


def display(key: str, value: Any) -> str:
    """A typed value as a person reads it: yes/no in the user's language, the rest in its canonical text."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return REGISTRY[key].format(value)


def describe(stored: Mapping[str, Any]) -> list[tuple[str, str, bool, str]]:
    """(key, value as text, changed from default?, help) for every setting, in registry order."""
    typed = campaign_settings(stored)
    return [(spec.key, display(spec.key, getattr(typed, spec.key)), spec.key in stored, spec.help()) for spec in SPECS]
