"""A campaign's rules in one value: typed settings, profile, dispositions, retry policy, calendars. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from campaigns.calendar import Calendar
from campaigns.dispositions import Disposition, dispositions_for
from campaigns.effective import CalleeZone, build_calendar, hours_exemption_matters
from campaigns.errors import InvalidStoredSetting
from campaigns.profiles import Profile, get_profile
from campaigns.retry import RetryPolicy
from campaigns.setting_values import check_zone
from campaigns.settings import CampaignSettings, campaign_settings

DEFAULT_CENTRE_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class CampaignRules:
    """What decides who may be called when, for one campaign."""

    campaign_id: int
    client_id: int
    profile: Profile
    settings: CampaignSettings
    dispositions: Mapping[str, Disposition]
    policy: RetryPolicy
    fallback_zone: str
    centre_zone: str

    def calendar(self, timezone: str, country: str = "FR", subdivision: str = "",
                 hours_exempt: bool = False) -> Calendar:
        """The effective calendar of a callee in this zone (campaign ∩ profile ∩ holidays ∩ centre hours);
        `hours_exempt`: of a callee whose consent lifts the profile's days and hours (campaign ∩ holidays ∩
        centre hours, see `campaigns.effective`)."""
        zone = CalleeZone(timezone or self.fallback_zone, country, subdivision)
        return build_calendar(self.settings, self.profile, zone, self.centre_zone, hours_exempt)

    @property
    def hours_exemptible(self) -> bool:
        """Whether a consent outside hours lets some callee be called when others may not."""
        return hours_exemption_matters(self.settings, self.profile)


def campaign_rules(
    campaign_id: int,
    client_id: int,
    profile_name: str,
    stored_settings: Mapping[str, Any],
    fallback_zone: str = DEFAULT_CENTRE_TIMEZONE,
    centre_zone: str = DEFAULT_CENTRE_TIMEZONE,
) -> CampaignRules:
    """The rules of a campaign from its stored columns (cached on their content)."""
    return _rules(campaign_id, client_id, profile_name, json.dumps(dict(stored_settings), sort_keys=True),
                  fallback_zone, centre_zone)


@cache
def _rules(campaign_id: int, client_id: int, profile_name: str, stored_json: str, fallback_zone: str,
           centre_zone: str) -> CampaignRules:
    stored = json.loads(stored_json)
    try:
        check_zone(fallback_zone)
    except ValueError as exc:
        raise InvalidStoredSetting("timezone", fallback_zone, str(exc)) from None
    profile = get_profile(profile_name)
    settings = campaign_settings(stored)
    dispositions = dispositions_for(stored)
    return CampaignRules(
        campaign_id=campaign_id,
        client_id=client_id,
        profile=profile,
        settings=settings,
        dispositions=dispositions,
        policy=RetryPolicy.from_settings(settings, dispositions, profile),
        fallback_zone=fallback_zone,
        centre_zone=settings.centre_timezone or centre_zone,
    )
