"""What the engine keeps per campaign: its queue, calendar day, pacing policy, wrap-up time and statistics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaigns.errors import CampaignNotFound
from campaigns.models import Campaign
from campaigns.settings import campaign_settings
from dialer.pacing import PacingMode, PacingPolicy, PacingStats


def queue_name(campaign_id: int) -> str:
    """The PBX queue of a campaign's agents."""
    return f"rdv-{campaign_id}"


@dataclass
class CampaignView:
    campaign_id: int
    queue: str
    timezone: ZoneInfo
    policy: PacingPolicy
    wrap_up_s: float
    stats: PacingStats = field(default_factory=PacingStats)

    def day(self, moment: datetime) -> date:
        """The campaign's calendar day at `moment`: abandonment is counted per local day."""
        return moment.astimezone(self.timezone).date()


def load_campaign_views(
    session: Session, campaign_ids: Iterable[int], policies: Mapping[int, PacingPolicy]
) -> dict[int, CampaignView]:
    """Views of the given campaigns from their stored settings; an explicit policy for a campaign wins."""
    views: dict[int, CampaignView] = {}
    for campaign_id in campaign_ids:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(str(campaign_id))
        stored = campaign_settings(campaign.settings or {})
        policy = policies.get(campaign_id) or PacingPolicy(
            mode=PacingMode(stored.pacing_mode), abandon_target=stored.abandonment_target
        )
        views[campaign_id] = CampaignView(
            campaign_id, queue_name(campaign_id), ZoneInfo(campaign.timezone), policy, float(stored.wrap_up_seconds)
        )
    return views
