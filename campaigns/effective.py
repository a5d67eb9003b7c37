"""The effective calendar of a callee: campaign windows ∩ profile windows, minus closures and public holidays,
intersected with the centre's opening hours. Pure; the stricter rule always wins.

One exception, the law's own (D. 223-9, second paragraph): a consumer whose proven consent says they may be
called outside the legal days and hours (`leads.consent.hours_rule_lifted`) is called within the campaign's own
windows without the profile's. Only those windows: the campaign's closures, public holidays (the campaign
never calls on one) and the centre's hours still apply, and so do the profile's other rules (frequency cap,
cool-off, consent).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from campaigns.calendar import Calendar, Schedule, Weekly, weekly_intersect
from campaigns.profiles import Profile
from campaigns.settings import CampaignSettings

# Overseas departments by the first three digits of the postcode: (holiday subdivision, time zone).
OVERSEAS = {
    "971": ("971", "America/Guadeloupe"),
    "972": ("972", "America/Martinique"),
    "973": ("973", "America/Cayenne"),
    "974": ("974", "Indian/Reunion"),
    "976": ("976", "Indian/Mayotte"),
    "975": ("PM", "America/Miquelon"),
    "977": ("BL", "America/St_Barthelemy"),
    "978": ("MF", "America/Marigot"),
}
ALSACE_MOSELLE = {"57", "67", "68"}


@dataclass(frozen=True)
class CalleeZone:
    """Where a callee is, as far as calling hours and holidays go."""

    timezone: str
    country: str = "FR"
    subdivision: str = ""


def zone_for_postcode(postcode: str, country: str, fallback_zone: str) -> CalleeZone:
    """The zone and holiday subdivision of a French postcode (overseas, Alsace-Moselle); else the fallback zone."""
    code = postcode.strip().replace(" ", "")
    if country == "FR" and code[:3] in OVERSEAS:
        subdivision, zone = OVERSEAS[code[:3]]
        return CalleeZone(zone, "FR", subdivision)
    if country == "FR" and code[:2] in ALSACE_MOSELLE:
        return CalleeZone(fallback_zone, "FR", code[:2])
    return CalleeZone(fallback_zone, country)


def campaign_weekly(settings: CampaignSettings) -> Weekly:
    """The campaign's own windows, Monday first (no Sunday calls)."""
    saturday = settings.saturday_windows if settings.saturday else ()
    return (*(settings.weekday_windows,) * 5, saturday, ())


def centre_weekly(settings: CampaignSettings) -> Weekly:
    return (*(settings.centre_weekday_hours,) * 5, settings.centre_saturday_hours, ())


def effective_weekly(settings: CampaignSettings, profile: Profile) -> Weekly:
    """What the campaign asks for and the profile allows."""
    return weekly_intersect(campaign_weekly(settings), profile.weekly)


def hours_exemption_matters(settings: CampaignSettings, profile: Profile) -> bool:
    """Whether the campaign asks for hours the profile takes away, which a consent outside hours gives back."""
    return effective_weekly(settings, profile) != campaign_weekly(settings)


@cache
def build_calendar(settings: CampaignSettings, profile: Profile, callee: CalleeZone, centre_zone: str,
                   hours_exempt: bool = False) -> Calendar:
    """The calendar of one callee zone under a campaign: cached, since a campaign has few distinct zones;
    `hours_exempt`: the callee's consent lifts the profile's days and hours (see the module)."""
    callee_schedule = Schedule(
        zone=callee.timezone,
        weekly=campaign_weekly(settings) if hours_exempt else effective_weekly(settings, profile),
        closures=settings.closures,
        holidays_country=callee.country,
        holidays_subdivision=callee.subdivision,
    )
    centre = Schedule(zone=settings.centre_timezone or centre_zone, weekly=centre_weekly(settings))
    return Calendar(callee=callee_schedule, centre=centre)
