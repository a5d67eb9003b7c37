"""Per-campaign settings, declared once: the registry drives storage (`Campaign.settings`), the CLI and web
form, help texts and validation. Stored values are the canonical texts of the settings that differ from the
defaults; `campaign_settings()` turns them into one typed, frozen object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, time, timedelta
from typing import Any

from campaigns.calendar import Window, parse_windows, windows_text
from campaigns.errors import InvalidSetting, InvalidStoredSetting, UnknownSetting
from campaigns.legal_checks import SECTORS
from campaigns.setting_values import (
    Kind,
    as_text,
    choice,
    format_dates,
    format_duration,
    format_ratio,
    format_times,
    int_between,
    parse_bool,
    parse_caller_number,
    parse_dates,
    parse_duration,
    parse_optional_zone,
    parse_ratio,
    parse_time,
    parse_times,
)
from config.i18n import _

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
    max_lines_per_agent: int
    daily_mail_time: time
    send_empty_daily_mail: bool
    send_rdv_as_taken: bool
    caller_number: str
    sector: str
    record_calls: bool
    recording_retention_days: int
    sla_answer_rate: float
    sla_transmission_minutes: int
    sla_transmission_share: float
    sla_completeness: float
    sla_conformity: float


@dataclass(frozen=True)
class Spec:
    """One setting: its key, default (as text), parser, formatter and help."""

    key: str
    default: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    help: Callable[[], str]
    group: str


_windows: Kind = (parse_windows, windows_text)
_duration: Kind = (parse_duration, format_duration)
_yesno: Kind = (parse_bool, lambda v: "yes" if v else "no")


def _spec(
    key: str,
    default: str,
    kind: Kind,
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
        (parse_dates, format_dates),
        lambda: _("Dates without calls (YYYY-MM-DD, comma-separated)"),
        "calendar",
    ),
    _spec(
        "centre_timezone",
        "",
        (parse_optional_zone, as_text),
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
        (int_between(1, 100), as_text),
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
        (parse_times, format_times),
        lambda: _("Boundaries of the hour bands attempts are spread over"),
        "retry",
    ),
    _spec(
        "hopper_fresh_share",
        "30%",
        (parse_ratio, format_ratio),
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
        (int_between(0, 3600), as_text),
        lambda: _("Wrap-up time after each call, in seconds: the agent gets no new call until the disposition "
                  "is saved or this time runs out (the call is then 'unqualified')"),
        "dialer",
    ),
    _spec(
        "abandonment_target",
        "3%",
        (parse_ratio, format_ratio),
        lambda: _("Highest share of dropped calls pacing aims at"),
        "dialer",
    ),
    _spec(
        "pacing_mode",
        "predictive",
        (choice(PACING_MODES), as_text),
        lambda: _("Pacing: predictive, progressive or preview"),
        "dialer",
    ),
    # Pacing's hard cap on lines in progress per logged-in agent: 4 suits answer rates from about 25 %; a list
    # that answers one call in ten needs about 10 to keep its agents busy (abandonment still bounds pacing).
    _spec(
        "max_lines_per_agent",
        "4",
        (int_between(1, 20), as_text),
        lambda: _("Most lines pacing keeps ringing per logged-in agent (raise it for lists that rarely answer)"),
        "dialer",
    ),
    _spec(
        "daily_mail_time",
        "19:15",
        (parse_time, lambda v: v.strftime("%H:%M")),
        lambda: _("Daily close and RDV e-mail, centre time"),
        "mail",
    ),
    _spec("send_empty_daily_mail", "yes", _yesno, lambda: _("Send the daily e-mail even without any RDV"), "mail"),
    _spec(
        "send_rdv_as_taken",
        "no",
        _yesno,
        lambda: _("E-mail each RDV to the client as soon as it is taken (one e-mail per RDV)"),
        "mail",
    ),
    _spec("caller_number", "", (parse_caller_number, as_text),
          lambda: _("Number shown to the people called (consumers: an ARCEP range for automated calls)"), "legal"),
    _spec("sector", "unspecified", (choice(tuple(SECTORS)), as_text),
          lambda: _("Subject of the calls: {codes}").format(codes=", ".join(SECTORS)), "legal"),
    _spec("record_calls", "no", _yesno,
          lambda: _("Record every connected call (the script's notice is read to the prospect)"), "recording"),
    # The CNIL's guidance for recordings made for quality and training: six months at most.
    _spec("recording_retention_days", "30", (int_between(1, 183), as_text),
          lambda: _("Days a recording is kept before it is deleted (at most 183, the CNIL's six months)"),
          "recording"),
    # Service-level targets agreed with the client; the defaults are the answering-service model contract's.
    _spec("sla_answer_rate", "20%", (parse_ratio, format_ratio),
          lambda: _("Service level: lowest answer rate (human answers ÷ dials) in every hour band"), "targets"),
    _spec("sla_transmission_minutes", "10", (int_between(1, 1440), as_text),
          lambda: _("Service level: minutes within which an RDV taken in business hours reaches the client"),
          "targets"),
    _spec("sla_transmission_share", "95%", (parse_ratio, format_ratio),
          lambda: _("Service level: share of the RDVs taken in business hours that reach the client in time"),
          "targets"),
    _spec("sla_completeness", "98%", (parse_ratio, format_ratio),
          lambda: _("Service level: share of RDV sheets with every required field filled"), "targets"),
    _spec("sla_conformity", "90%", (parse_ratio, format_ratio),
          lambda: _("Service level: share of RDVs meeting every agreed criterion"), "targets"),
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
    """The typed settings of a campaign from its stored overrides (unknown keys are left to their owners);
    InvalidStoredSetting says how to repair a stored value that is not valid."""
    values = {}
    for key, spec in REGISTRY.items():
        text = str(stored.get(key, spec.default))
        try:
            values[key] = spec.parse(text)
        except ValueError as exc:
            raise InvalidStoredSetting(key, text, str(exc) or _("not understood")) from None
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
    """A typed value as a person reads it: yes/no in the reader's language (oui/non), the rest canonical."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return REGISTRY[key].format(value)


def describe(stored: Mapping[str, Any]) -> list[tuple[str, str, bool, str]]:
    """(key, value as text, changed from default?, help) for every setting, in registry order; a stored value
    that is not valid is shown as stored, with why, so that it can be repaired."""
    rows = []
    for spec in SPECS:
        text = str(stored.get(spec.key, spec.default))
        try:
            shown = display(spec.key, spec.parse(text))
        except ValueError as exc:
            shown = _("{value} (invalid: {reason})").format(value=text, reason=str(exc))
        rows.append((spec.key, shown, spec.key in stored, spec.help()))
    return rows

