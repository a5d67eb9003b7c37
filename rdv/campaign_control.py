"""A supervisor starts, pauses or stops a campaign or changes its pacing, and a running dialer follows at once.

The web side calls the same services as `rdv campaign start|pause|stop|set` (same checks, same messages) and
notifies `control:<id>` at the commit. The dialer side (`ControlWatcher`, in the dialer process) waits on
that topic for each of its campaigns, reads the stored campaign again and applies it: a paused campaign dials
nothing new while its agents stay logged in, a stopped one also lets them leave once their calls are over, and
the pacing mode, abandonment target, lines per agent and wrap-up time replace the running policy. The database
is the truth: a lost notification is made up for by the next one, and a dialer started later reads the same rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import services
from campaigns.check import Conflict
from campaigns.errors import CampaignNotFound, UnknownSetting
from campaigns.models import Campaign
from campaigns.settings import InvalidStoredSetting, campaign_settings
from config.clock import Clock
from dialer.campaign_view import CampaignView
from dialer.pacing import PacingMode
from rdv.wakeup import Notifier, next_wake

log = logging.getLogger(__name__)

# What the console may change while a campaign runs (the rest stays with `rdv campaign set`).
CONSOLE_SETTINGS = ("pacing_mode", "abandonment_target")
HALTS = ("paused", "stopped")
# Orders are read again this often (seconds) without any notification: a change made behind the notifier's
# back (an older client, a hand-made SQL update) still reaches the dialer.
REFRESH_EVERY_S = 10.0


def control_topic(campaign_id: int) -> str:
    """Where a running dialer hears that a campaign's status or pacing changed."""
    return f"control:{campaign_id}"


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(str(campaign_id))
    return campaign


def start(session: Session, campaign_id: int, now: datetime, centre_timezone: str,
          notifier: Notifier | None) -> tuple[Campaign, list[Conflict]]:
    """`rdv campaign start`: blocking conflicts refuse (CampaignBlocked), the others are returned to be shown."""
    campaign, conflicts = services.start_campaign(session, _campaign(session, campaign_id).name, now, centre_timezone)
    _announce(session, campaign_id, notifier)
    return campaign, conflicts


def pause(session: Session, campaign_id: int, notifier: Notifier | None) -> Campaign:
    """`rdv campaign pause`."""
    campaign = services.pause_campaign(session, _campaign(session, campaign_id).name)
    _announce(session, campaign_id, notifier)
    return campaign


def stop(session: Session, campaign_id: int, notifier: Notifier | None) -> Campaign:
    """`rdv campaign stop`."""
    campaign = services.stop_campaign(session, _campaign(session, campaign_id).name)
    _announce(session, campaign_id, notifier)
    return campaign


def change_setting(session: Session, campaign_id: int, key: str, value: str, notifier: Notifier | None) -> Campaign:
    """`rdv campaign set` for the settings the console offers; InvalidSetting says what is wrong with `value`."""
    if key not in CONSOLE_SETTINGS:
        raise UnknownSetting(key, list(CONSOLE_SETTINGS))
    campaign = services.set_setting(session, _campaign(session, campaign_id).name, key, value)
    _announce(session, campaign_id, notifier)
    return campaign


def _announce(session: Session, campaign_id: int, notifier: Notifier | None) -> None:
    if notifier is not None:
        notifier.notify(control_topic(campaign_id), "control", session=session)


@dataclass(frozen=True)
class Orders:
    """What a stored campaign asks of the dialers running it."""

    status: str
    mode: PacingMode | None
    abandon_target: float | None
    wrap_up_s: float | None
    max_lines_per_agent: float | None = None


def read_orders(session: Session, campaign_ids: Iterable[int]) -> dict[int, Orders]:
    """The orders of the given campaigns, in one query; a stored setting that is invalid leaves pacing as it is."""
    orders: dict[int, Orders] = {}
    rows = session.execute(select(Campaign.id, Campaign.status, Campaign.settings)
                           .where(Campaign.id.in_(list(campaign_ids))))  # fmt: skip
    for campaign_id, status, stored in rows:
        try:
            settings = campaign_settings(stored or {})
        except InvalidStoredSetting:
            orders[campaign_id] = Orders(status, None, None, None)
            continue
        orders[campaign_id] = Orders(status, PacingMode(settings.pacing_mode), settings.abandonment_target,
                                     float(settings.wrap_up_seconds), float(settings.max_lines_per_agent))
    return orders


def apply_orders(view: CampaignView, orders: Orders, halted: dict[int, str]) -> None:
    """Make a campaign's running view and halt follow its orders (pure: only the objects given change)."""
    if orders.mode is not None and orders.abandon_target is not None:
        view.policy = replace(view.policy, mode=orders.mode, abandon_target=orders.abandon_target)
    if orders.max_lines_per_agent is not None:
        view.policy = replace(view.policy, max_lines_per_agent=orders.max_lines_per_agent)
    if orders.wrap_up_s is not None:
        view.wrap_up_s = orders.wrap_up_s
    if orders.status in HALTS:
        halted[view.campaign_id] = orders.status
    else:
        halted.pop(view.campaign_id, None)


class Staffed(Protocol):
    """What the watcher needs of `rdv.runtime.Staffing`."""

    halted: dict[int, str]

    async def apply(self, now: datetime) -> None: ...


class ControlWatcher:
    """In the dialer process: applies each campaign's stored orders at start and whenever they change."""

    def __init__(self, views: dict[int, CampaignView], staffing: Staffed, sessions: sessionmaker[Session],
                 clock: Clock) -> None:
        self.views, self.staffing, self.sessions, self.clock = views, staffing, sessions, clock
        self.applied = 0  # how many times orders were read and applied (tests watch it)

    async def refresh(self) -> None:
        """Read the campaigns' orders and apply them now."""
        orders = await asyncio.to_thread(self._read)
        for campaign_id, order in orders.items():
            view = self.views.get(campaign_id)
            if view is not None:
                before = (view.policy.mode, view.policy.abandon_target, self.staffing.halted.get(campaign_id))
                apply_orders(view, order, self.staffing.halted)
                after = (view.policy.mode, view.policy.abandon_target, self.staffing.halted.get(campaign_id))
                if before != after:
                    log.info("campaign %s: now %s, pacing %s, target %.3f", campaign_id,
                             after[2] or "running", after[0], after[1])  # fmt: skip
        await self.staffing.apply(self.clock.now())
        self.applied += 1

    def _read(self) -> dict[int, Orders]:
        with self.sessions() as session:
            return read_orders(session, self.views)

    async def run(self, notifier: Notifier) -> None:
        """Refresh now, then at each notification of the campaigns' control topics (or every REFRESH_EVERY_S)."""
        subs = {cid: notifier.subscribe(control_topic(cid)) for cid in self.views}
        try:
            while True:
                for cid in self.views.keys() - subs.keys():  # a campaign started while the dialer runs
                    subs[cid] = notifier.subscribe(control_topic(cid))
                try:
                    await self.refresh()
                except Exception:  # a database hiccup: the next notification (or refresh) tries again
                    log.exception("campaign orders not applied")
                await next_wake(list(subs.values()), timeout=REFRESH_EVERY_S)
        finally:
            for sub in subs.values():
                sub.close()
