"""Plain-words reasons why a moment is not callable, and why a lead is tried when it is. Pure."""

from __future__ import annotations

from datetime import datetime

from campaigns.calendar import Calendar, Schedule, holiday_dates, windows_text
from config.i18n import _, fmt_date, fmt_datetime


def _schedule_reason(moment: datetime, schedule: Schedule, who: str) -> str | None:
    local = moment.astimezone(schedule.tz())
    day = local.date()
    if day in schedule.closures:
        return _("{day} is a closure date of the campaign").format(day=fmt_date(day))
    if day in holiday_dates(schedule.holidays_country, schedule.holidays_subdivision, day.year):
        return _("{day} is a public holiday in {zone}").format(day=fmt_date(day), zone=schedule.zone)
    if schedule.is_open(moment):
        return None
    windows = schedule.weekly[day.weekday()]
    shown = windows_text(windows) if windows else _("no calls that day")
    if who == "centre":
        return _("{time} ({zone}) is outside the centre's opening hours ({windows})").format(
            time=local.strftime("%H:%M"), zone=schedule.zone, windows=shown
        )
    return _("{time} ({zone}) is outside the allowed calling windows ({windows})").format(
        time=local.strftime("%H:%M"), zone=schedule.zone, windows=shown
    )


def closed_reason(moment: datetime, calendar: Calendar) -> str | None:
    """Why calling is not allowed at this moment, or None when it is."""
    reason = _schedule_reason(moment, calendar.callee, "callee")
    if reason is None and calendar.centre is not None:
        reason = _schedule_reason(moment, calendar.centre, "centre")
    return reason


def next_attempt_reason(reason: str, profile_name: str) -> str:
    """The retry policy's reason code in plain words."""
    texts = {
        "fresh": _("never dialled yet: as soon as it is callable"),
        "delay": _("the retry delay after the last outcome"),
        "calendar": _("the next time its calling windows open"),
        "spread": _("spread to an hour band and weekday not tried yet"),
        "cap": _("the frequency cap of {profile}").format(profile=profile_name),
        "cooloff": _("the cool-off after a refusal ({profile})").format(profile=profile_name),
        "dropped_rule": _("no recall after a dropped call ({profile})").format(profile=profile_name),
        "final": _("final disposition: never again"),
        "exhausted": _("all attempts used: exhausted"),
        "callback": _("personal callback booked"),
        "dnc": _("on the do-not-call list: never again"),
        "no_consent": _("no provable consent: not dialable under {profile}").format(profile=profile_name),
    }
    return texts.get(reason, reason)


def when_text(moment: datetime, zone_name: str) -> str:
    """A moment shown in the callee's zone."""
    from zoneinfo import ZoneInfo

    return f"{fmt_datetime(moment.astimezone(ZoneInfo(zone_name)), 'medium')} ({zone_name})"
