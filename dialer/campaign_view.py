"""What the engine keeps per campaign: its queue, calendar day, pacing policy, wrap-up time and statistics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaigns.errors import CampaignNotFound
from campaigns.models import Campaign
from campaigns.settings import campaign_settings
from dialer.pacing import DialOutcome, PacingMode, PacingPolicy, PacingStats
from dialer.store import StoredDial, finished_dials

# Recent finished dials that seed pacing's rates and distributions at start (its live window's size).
SEED_DIALS = 1000
ROLLING_DAYS = 30  # the abandonment rule's window (dialer.pacing)


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
    caller_id: str = ""  # the campaign's declared caller number (E.164); empty: the engine's default

    def day(self, moment: datetime) -> date:
        """The campaign's calendar day at `moment`: abandonment is counted per local day."""
        return moment.astimezone(self.timezone).date()


def load_campaign_views(
    session: Session, campaign_ids: Iterable[int], policies: Mapping[int, PacingPolicy], now: datetime
) -> dict[int, CampaignView]:
    """Views of the given campaigns from their stored settings and calls; an explicit policy for a campaign wins.

    Pacing starts from the stored attempts: a restart mid-day carries the day's and the rolling 30 days'
    abandonment on, and the measured rates, instead of starting from zero.
    """
    views: dict[int, CampaignView] = {}
    for campaign_id in campaign_ids:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(str(campaign_id))
        stored = campaign_settings(campaign.settings or {})
        policy = policies.get(campaign_id) or PacingPolicy(
            mode=PacingMode(stored.pacing_mode), abandon_target=stored.abandonment_target,
            max_lines_per_agent=float(stored.max_lines_per_agent),
        )
        view = CampaignView(
            campaign_id, queue_name(campaign_id), ZoneInfo(campaign.timezone), policy, float(stored.wrap_up_seconds),
            caller_id=stored.caller_number,
        )
        # One day more than the window: the campaign's local day may start before the server's.
        humans, recent = finished_dials(session, campaign_id, now - timedelta(days=ROLLING_DAYS + 1), SEED_DIALS)
        seed_stats(view, humans, recent, now)
        views[campaign_id] = view
    return views


def seed_stats(view: CampaignView, humans: list[StoredDial], recent: list[StoredDial], now: datetime) -> None:
    """Feed a fresh view's pacing statistics with stored dials (see `load_campaign_views`)."""
    first = view.day(now) - timedelta(days=ROLLING_DAYS - 1)
    days: dict[date, tuple[int, int]] = {}
    for dial in humans:
        day = view.day(dial.answered_at or dial.ended_at)
        if day >= first:
            answered, dropped = days.get(day, (0, 0))
            days[day] = (answered + 1, dropped + (dial.outcome == "dropped"))
    dials = [(_pacing_outcome(d.outcome), _delay(d)) for d in recent]
    talks = [d.talk_s for d in recent if d.outcome == "connected" and d.talk_s is not None]
    wraps = [d.wrap_s for d in recent if d.outcome == "connected" and d.wrap_s is not None]
    view.stats.seed(days, dials, talks, wraps)


def _pacing_outcome(outcome: str) -> DialOutcome:
    if outcome in ("connected", "dropped"):
        return DialOutcome.HUMAN
    return DialOutcome.MACHINE if outcome == "machine" else DialOutcome.OTHER


def _delay(dial: StoredDial) -> float:
    """Originate to resolution: to the answer for a human, to the end otherwise."""
    start = dial.originated_at or dial.ended_at
    end = dial.answered_at if dial.outcome in ("connected", "dropped") and dial.answered_at else dial.ended_at
    return max(0.0, (end - start).total_seconds())
