"""Campaign commands over storage: settings, check, start/pause, calendar overview, a lead's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns import dispositions as dispositions_module
from campaigns import settings as settings_module
from campaigns import store
from campaigns.calendar import open_intervals
from campaigns.check import Conflict, check_campaign
from campaigns.errors import CampaignBlocked, LeadNotFound, UnknownSetting
from campaigns.explain import closed_reason
from campaigns.hopper import NO_CONSENT
from campaigns.models import Attempt, Callback, Campaign
from campaigns.outcomes import on_do_not_call, plan_for
from campaigns.profiles import consent_required, consent_valid
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE
from campaigns.zones import campaign_zones
from config.i18n import _
from leads.consent import hours_rule_lifted
from leads.consent_store import callable_clause, rule_records
from leads.models import Lead


def set_setting(session: Session, campaign_name: str, key: str, value: str) -> Campaign:
    """Validate and store one setting (`disposition.<code>` changes a disposition)."""
    campaign = store.get_campaign(session, campaign_name)
    stored = dict(campaign.settings or {})
    if key.startswith("disposition."):
        campaign.settings = dispositions_module.set_disposition(stored, key.removeprefix("disposition."), value)
    elif key == "timezone":  # a column of its own: the fallback time zone of callees whose zone is unknown
        campaign.timezone = store.campaign_zone(value)
    elif key in settings_module.REGISTRY:
        campaign.settings = settings_module.set_value(stored, key, value)
    else:
        raise UnknownSetting(key, [*settings_module.REGISTRY, "timezone", "disposition.<code>"])
    session.flush()
    return campaign


def campaign_conflicts(session: Session, campaign: Campaign, now: datetime,
                       centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> list[Conflict]:
    """The rule conflicts of a campaign, plus what its stored leads add (missing consent)."""
    rules = store.load_rules(session, campaign.id, centre_timezone)
    conflicts = check_campaign(rules.settings, rules.profile, dict(rules.dispositions), now,
                               campaign.timezone, rules.centre_zone)
    if consent_required(rules.profile, now):
        missing = session.scalar(select(func.count(Lead.id)).where(
            Lead.campaign_id == campaign.id, Lead.status.in_(("new", "retry", "callback", NO_CONSENT)),
            ~callable_clause(now, rules.profile.contract_exemption, rules.client_id),
        )) or 0
        if missing:
            # Two msgids rather than ngettext: the count is never 0 here, and French and English agree on 1.
            message = (
                _("One lead has no provable consent (date, source, proof) nor a contract in progress: "
                  "{profile} forbids calling it")
                if missing == 1
                else _("{n} leads have no provable consent (date, source, proof) nor a contract in progress: "
                       "{profile} forbids calling them")
            )
            conflicts.append(Conflict("consent", message.format(n=missing, profile=rules.profile.name)))
    return conflicts


def start_campaign(session: Session, name: str, now: datetime,
                   centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> tuple[Campaign, list[Conflict]]:
    """Set a campaign running; its conflicts are returned to be shown, blocking ones refuse the start."""
    campaign = store.get_campaign(session, name)
    conflicts = campaign_conflicts(session, campaign, now, centre_timezone)
    blocking = [c for c in conflicts if c.blocking]
    if blocking:
        raise CampaignBlocked(campaign.name, blocking[0].message)
    campaign.status = "running"
    set_aside_leads_without_consent(session, campaign.id, now, centre_timezone)
    session.flush()
    return campaign, conflicts


def set_aside_leads_without_consent(session: Session, campaign_id: int, now: datetime,
                                    centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> tuple[int, int]:
    """Fresh leads the profile may not call for want of consent become `no_consent`, which the hopper never
    scans; those whose consent was recorded since (or whose profile no longer asks) become `new` again.

    Returns (set aside, back to new). The hopper checks consent on every lead anyway: this only keeps it fast.
    """
    rules = store.load_rules(session, campaign_id, centre_timezone)
    profile = rules.profile
    allowed = callable_clause(now, profile.contract_exemption, rules.client_id)
    here = Lead.campaign_id == campaign_id
    set_aside = 0
    back = update(Lead).where(here, Lead.status == NO_CONSENT)
    if consent_required(profile, now):
        set_aside = session.execute(
            update(Lead).where(here, Lead.status == "new", ~allowed).values(status=NO_CONSENT)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        back = back.where(allowed)
    returned = session.execute(back.values(status="new").execution_options(synchronize_session=False))
    return set_aside, returned.rowcount  # type: ignore[attr-defined]


def pause_campaign(session: Session, name: str) -> Campaign:
    """Stop dialling a campaign; leads and callbacks keep their schedule."""
    campaign = store.get_campaign(session, name)
    campaign.status = "paused"
    session.flush()
    return campaign


def stop_campaign(session: Session, name: str) -> Campaign:
    """Stop a campaign: no new dial, and its agents leave once their calls are over; `start` resumes it."""
    campaign = store.get_campaign(session, name)
    campaign.status = "stopped"
    session.flush()
    return campaign


@dataclass(frozen=True)
class ZoneCalendar:
    """When one callee zone of a campaign is callable over the coming days."""

    timezone: str
    country: str
    subdivision: str
    leads: int
    spans: list[tuple[datetime, datetime]]


def calendar_overview(session: Session, name: str, now: datetime, days: int = 7,
                      centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> list[ZoneCalendar]:
    """Every callee zone of the campaign (or its default zone without leads) with its callable spans."""
    campaign = store.get_campaign(session, name)
    rules = store.load_rules(session, campaign.id, centre_timezone)
    zones = campaign_zones(session, campaign.id) or [(campaign.timezone, "FR", "")]
    result = []
    for tz, country, subdivision in zones:
        count = session.scalar(select(func.count(Lead.id)).where(
            Lead.campaign_id == campaign.id, Lead.timezone == tz, Lead.country == country,
            Lead.subdivision == subdivision)) or 0
        spans = open_intervals(now, now + timedelta(days=days), rules.calendar(tz, country, subdivision))
        result.append(ZoneCalendar(tz, country, subdivision, count, spans))
    return result


@dataclass(frozen=True)
class LeadDetails:
    """A lead's attempts, and when and why it will next be tried."""

    lead: Lead
    campaign: Campaign
    attempts: list[Attempt]
    callbacks: list[Callback]
    next_at: datetime | None
    reason: str
    # Why its calendar allows no call at that moment (its consent may lift the legal hours), None when open.
    closed_now: str | None = None


def lead_details(session: Session, lead_id: int, now: datetime,
                 centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> LeadDetails:
    """What `rdv leads show` prints."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    campaign = session.get(Campaign, lead.campaign_id)
    assert campaign is not None
    rules = store.load_rules(session, campaign.id, centre_timezone)
    attempts = list(session.scalars(select(Attempt).where(Attempt.lead_id == lead.id)
                                    .order_by(Attempt.created_at, Attempt.id)))
    callbacks = list(session.scalars(select(Callback).where(Callback.lead_id == lead.id).order_by(Callback.due_at)))
    pending = [c for c in callbacks if c.status == "pending"]
    records = rule_records(session, lead.id, rules.client_id)
    if on_do_not_call(session, lead, rules.client_id):
        next_at, reason = None, "dnc"
    elif not consent_valid(records, rules.profile, now):
        next_at, reason = None, "no_consent"
    elif pending:
        next_at, reason = pending[0].due_at, "callback"
    else:
        plan = plan_for(session, lead, rules, now)
        next_at, reason = plan.at, plan.reason
        # The stored schedule may be later than the policy's view (e.g. held back by the cap at claim time).
        if next_at is not None and lead.next_attempt_at is not None and lead.next_attempt_at > next_at:
            next_at, reason = lead.next_attempt_at, "cap"
    calendar = rules.calendar(lead.timezone, lead.country, lead.subdivision, hours_rule_lifted(records, now))
    return LeadDetails(lead, campaign, attempts, callbacks, next_at, reason, closed_reason(now, calendar))
