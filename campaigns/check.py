"""`check_campaign`: every way a campaign's settings clash with its legal profile or the centre, in plain words.

The stricter rule always applies anyway (the effective calendar is the intersection); these conflicts tell the
supervisor what will not happen as configured. Blocking conflicts leave no time to call at all. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.calendar import Calendar, Schedule, Weekly, Window, next_open, open_intervals, subtract, windows_text
from campaigns.dispositions import Disposition
from campaigns.effective import CalleeZone, build_calendar, campaign_weekly
from campaigns.legal_checks import caller_number_problem, sector_problem
from campaigns.profiles import Profile, cap_allows_from
from campaigns.settings import CampaignSettings
from config.i18n import _, fmt_date, fmt_number, fmt_percent, locale


@dataclass(frozen=True)
class Conflict:
    """One clash between what the campaign asks for and what applies; `blocking` leaves nothing to call."""

    code: str
    message: str
    blocking: bool = False


def _day_names(days: list[int]) -> str:
    names = locale().days["format"]["wide"]
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return _("{first} to {last}").format(first=names[days[0]], last=names[days[-1]])
    listed = ", ".join(names[d] for d in days)
    # It starts a sentence; str.capitalize() would also lower "Tuesday" in English.
    return listed[:1].upper() + listed[1:]


def _window_conflicts(asked: Weekly, profile: Profile) -> list[Conflict]:
    groups: dict[tuple[tuple[Window, ...], tuple[Window, ...], tuple[Window, ...]], list[int]] = {}
    for day in range(7):
        removed = subtract(asked[day], profile.weekly[day])
        if removed:
            groups.setdefault((asked[day], profile.weekly[day], removed), []).append(day)
    conflicts = []
    for (windows, allowed, removed), days in groups.items():
        if not allowed:
            message = _("{days} window {windows} is not allowed by {profile}").format(
                days=_day_names(days), windows=windows_text(windows), profile=profile.name)
        else:
            message = _("{days} window {windows} goes beyond {profile} ({allowed}): no calls {removed}").format(
                days=_day_names(days), windows=windows_text(windows), profile=profile.name,
                allowed=windows_text(allowed), removed=windows_text(removed))
        conflicts.append(Conflict("window", message))
    if conflicts:
        # D. 223-9, second paragraph: `campaigns.effective`, and the hopper reads it from the consent records.
        conflicts.append(Conflict("hours_exempt", _(
            "Leads whose recorded consent allows calls outside the legal days and hours are called in these "
            "windows all the same, never outside the campaign's own")))
    return conflicts


def last_attempt_date(settings: CampaignSettings, profile: Profile, calendar: Calendar, now: datetime) -> datetime:
    """When the last of `max_attempts` dials would fall at the earliest, under the frequency cap and calendar."""
    shortest = min(settings.retry_busy, settings.retry_no_answer, settings.retry_congestion, settings.retry_failed)
    dials: list[datetime] = []
    moment = now
    for _attempt in range(settings.max_attempts):
        allowed = cap_allows_from(dials, profile)
        moment = next_open(max(moment, allowed) if allowed else moment, calendar)
        dials.append(moment)
        moment += shortest
    return dials[-1]


def _weekly_hours(calendar: Calendar, now: datetime) -> float:
    spans = open_intervals(now, now + timedelta(days=7), calendar)
    return sum((hi - lo).total_seconds() for lo, hi in spans) / 3600


def check_campaign(
    settings: CampaignSettings, profile: Profile, dispositions: dict[str, Disposition], now: datetime,
    callee_zone: str, centre_zone: str,
) -> list[Conflict]:
    """Every conflict between the campaign's settings, its profile and the centre's hours."""
    conflicts = _window_conflicts(campaign_weekly(settings), profile)
    calendar = build_calendar(settings, profile, CalleeZone(callee_zone), centre_zone)
    callee_only = Calendar(callee=calendar.callee)
    own_hours, shared_hours = _weekly_hours(callee_only, now), _weekly_hours(calendar, now)
    if shared_hours == 0:
        conflicts.append(Conflict("no_time", _("No time is left to call {zone} at all over the next week").format(
            zone=callee_zone), blocking=True))
        return conflicts
    centre = calendar.centre or Schedule(centre_zone)
    if shared_hours < own_hours:
        conflicts.append(Conflict("centre", _(
            "The centre's opening hours ({zone}) leave {shared} of the {own} weekly calling hours in {callee}"
        ).format(zone=centre.zone, shared=fmt_number(round(shared_hours, 1)), own=fmt_number(round(own_hours, 1)),
                 callee=callee_zone)))
    cap = profile.max_solicitations
    if cap is not None and settings.max_attempts > cap:
        last = last_attempt_date(settings, profile, calendar, now)
        conflicts.append(Conflict("cap", _(
            "{attempts} attempts cannot fit in {cap} per {days} days: the last attempt would be on {date}"
        ).format(attempts=settings.max_attempts, cap=cap, days=profile.period_days, date=fmt_date(last.date()))))
    refused = dispositions.get("refused")
    if refused is not None and not refused.final and profile.refusal_cooloff_days:
        if refused.retry is None or refused.retry < profile.refusal_cooloff:
            conflicts.append(Conflict("cooloff", _(
                "A refusal is retried sooner than the {days}-day cool-off of {profile}: {days} days apply"
            ).format(days=profile.refusal_cooloff_days, profile=profile.name)))
    for code, problem in (("caller_number", caller_number_problem(settings.caller_number, profile)),
                          ("sector", sector_problem(settings.sector, profile))):
        if problem is not None:
            conflicts.append(Conflict(code, problem, blocking=True))
    if profile.max_abandonment is not None and settings.abandonment_target > profile.max_abandonment:
        conflicts.append(Conflict("abandonment", _(
            "Abandonment target {target} is above the {limit} that {profile} allows"
        ).format(target=fmt_percent(settings.abandonment_target), limit=fmt_percent(profile.max_abandonment),
                 profile=profile.name)))
    return conflicts
