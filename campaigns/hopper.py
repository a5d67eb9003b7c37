"""The hopper: which leads the dialer dials next, claimed so that no two dialers get the same lead.

A claim sets `Lead.claimed_by`/`claimed_at` (the lead keeps its status); it lasts until the attempt finishes
(`campaigns.outcomes.finish_attempt`), `release_lead`, or `release_stale_claims` after a dialer crash.
PostgreSQL: candidates are read `FOR UPDATE SKIP LOCKED`; on every backend the claim itself is a conditional
UPDATE (`claimed_by = ''`), which SQLite's single writer serialises, so a lead is never claimed twice.
The claim is part of the caller's transaction: commit it before dialling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, update
from sqlalchemy.orm import Session

from campaigns.calendar import is_callable
from campaigns.models import Attempt, Callback, Campaign
from campaigns.profiles import cap_allows_from, consent_required
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE, CampaignRules, campaign_rules
from campaigns.zones import Zone, campaign_zones
from leads.models import DoNotCall, Lead

DIALABLE = ("new", "retry", "callback")


@dataclass(frozen=True)
class DialTarget:
    """One lead to dial now, as the dialer needs it."""

    lead_id: int
    campaign_id: int
    attempt_no: int
    phone_e164: str
    callee_tz: str
    callback_id: int | None = None
    preferred_agent: str = ""


def load_rules(session: Session, campaign_id: int, centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> CampaignRules:
    """The rules of a stored campaign."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        from campaigns.errors import CampaignNotFound

        raise CampaignNotFound(str(campaign_id))
    return campaign_rules(
        campaign.id, campaign.client_id, campaign.profile, campaign.settings or {}, campaign.timezone, centre_timezone
    )


def _zone_filter(rules: CampaignRules, zones: list[Zone], now: datetime) -> ColumnElement[bool]:
    # Always an explicit list of open zones: a lead in a zone not seen yet (edited since the scan) waits,
    # it is never dialled at an hour nobody checked.
    open_zones = [z for z in zones if is_callable(now, rules.calendar(*z))]
    if not open_zones:
        return false()
    return or_(*(and_(Lead.timezone == tz, Lead.country == c, Lead.subdivision == s) for tz, c, s in open_zones))


def _eligible(rules: CampaignRules, zones: list[Zone], now: datetime) -> list[ColumnElement[bool]]:
    """Conditions every dialable lead meets, whatever its bucket."""
    conditions = [Lead.campaign_id == rules.campaign_id, Lead.claimed_by == "", _zone_filter(rules, zones, now)]
    if consent_required(rules.profile, now):
        proven = and_(
            Lead.consent_at.is_not(None), Lead.consent_at <= now, Lead.consent_source != "", Lead.consent_proof != ""
        )
        conditions.append(
            or_(Lead.contract_exemption.is_(True), proven) if rules.profile.contract_exemption else proven
        )
    if rules.profile.refusal_cooloff_days:
        conditions.append(or_(Lead.refused_at.is_(None), Lead.refused_at <= now - rules.profile.refusal_cooloff))
    listed = exists().where(
        DoNotCall.e164 == Lead.phone_e164,
        or_(DoNotCall.client_id == rules.client_id, DoNotCall.client_id.is_(None)),
    )
    conditions.append(~listed)
    return conditions


# What a claim returns of each lead: enough to order the batch, check the cap and build the DialTarget.
_RETURNED = (Lead.id, Lead.attempts, Lead.phone_e164, Lead.timezone, Lead.priority, Lead.next_attempt_at)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _claim(session: Session, which: list[int] | Select[int], dialer_id: str, now: datetime) -> dict[int, Any]:
    """Claim the given leads, or those a candidate query picks, in one UPDATE … RETURNING.

    With a query, selecting and claiming is one statement: PostgreSQL locks the candidates (SKIP LOCKED) and
    SQLite holds its single write lock throughout, so two dialers never race between reading and claiming.
    """
    if isinstance(which, list) and not which:
        return {}
    if isinstance(which, Select):
        # A materialised CTE picks the rows once: as a plain IN (subquery), PostgreSQL may rescan the
        # LIMIT … SKIP LOCKED subquery per row and claim more rows than asked.
        picked = which.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
        target: Any = select(picked.c.id)
    else:
        target = which
    rows = session.execute(
        update(Lead)
        .where(Lead.id.in_(target), Lead.claimed_by == "")
        .values(claimed_by=dialer_id, claimed_at=now)
        .returning(*_RETURNED)
        .execution_options(synchronize_session=False)
    )
    return {row.id: row for row in rows}


def _dialling_order(row: Any) -> tuple[int, bool, datetime, int]:
    return (-row.priority, row.next_attempt_at is None, row.next_attempt_at or EPOCH, row.id)


def _bucket_query(conditions: list[ColumnElement[bool]], status: str, now: datetime, limit: int) -> Select[int]:
    """Fresh leads or due retries, best first, locked (PostgreSQL) and skipping rows another dialer holds."""
    due = Lead.next_attempt_at <= now
    if status == "new":
        due = or_(Lead.next_attempt_at.is_(None), due)
    return (
        select(Lead.id)
        .where(*conditions, Lead.status == status, due)
        .order_by(Lead.priority.desc(), Lead.next_attempt_at, Lead.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def bucket_queries(
    session: Session, campaign_id: int, now: datetime, n: int, centre_timezone: str = DEFAULT_CENTRE_TIMEZONE
) -> dict[str, Select[int]]:
    """The candidate queries `claim_leads` runs, for EXPLAIN in bench/hopper.py."""
    rules = load_rules(session, campaign_id, centre_timezone)
    conditions = _eligible(rules, campaign_zones(session, campaign_id), now)
    return {status: _bucket_query(conditions, status, now, n) for status in ("retry", "new")}


def _claim_bucket(
    session: Session,
    conditions: list[ColumnElement[bool]],
    status: str,
    now: datetime,
    limit: int,
    dialer_id: str,
) -> list[Any]:
    """Claim up to `limit` leads of one bucket; returns their rows in dialling order."""
    if limit <= 0:
        return []
    claimed = _claim(session, _bucket_query(conditions, status, now, limit), dialer_id, now)
    return sorted(claimed.values(), key=_dialling_order)


def _claim_callbacks(
    session: Session,
    conditions: list[ColumnElement[bool]],
    rules: CampaignRules,
    now: datetime,
    limit: int,
    dialer_id: str,
) -> tuple[list[Any], dict[int, tuple[int, str]]]:
    """Due personal callbacks, oldest first: their lead rows, and lead id → (callback id, agent waited for, or '')."""
    if limit <= 0:
        return [], {}
    rows = session.execute(
        select(Callback.id, Callback.lead_id, Callback.agent, Callback.due_at)
        .join(Lead, Lead.id == Callback.lead_id)
        .where(
            *conditions,
            Callback.campaign_id == rules.campaign_id,
            Callback.status == "pending",
            Callback.due_at <= now,
            Lead.status == "callback",
        )
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Lead)
    ).all()
    claimed = _claim(session, [r.lead_id for r in rows], dialer_id, now)
    grace = rules.settings.callback_grace
    # Within the grace period the callback waits for the agent who booked it; then anyone takes it.
    agents = {r.lead_id: (r.id, r.agent if now < r.due_at + grace else "") for r in rows if r.lead_id in claimed}
    return [claimed[r.lead_id] for r in rows if r.lead_id in claimed], agents


def _over_cap(session: Session, rules: CampaignRules, leads: list[Any], now: datetime) -> dict[int, datetime]:
    """Claimed leads whose number reached the profile's cap across the client's campaigns → when allowed again."""
    profile = rules.profile
    if profile.max_solicitations is None or not leads:
        return {}
    client_campaigns = select(Campaign.id).where(Campaign.client_id == rules.client_id)
    dials: dict[str, list[datetime]] = defaultdict(list)
    for phone, at in session.execute(
        select(Attempt.phone_e164, Attempt.created_at).where(
            Attempt.phone_e164.in_({lead.phone_e164 for lead in leads}),
            Attempt.created_at > now - profile.period,
            Attempt.campaign_id.in_(client_campaigns),
        )
    ):
        dials[phone].append(at)
    blocked = {}
    for lead in leads:
        allowed = cap_allows_from(dials[lead.phone_e164], profile)
        if allowed is not None and allowed > now:
            blocked[lead.id] = allowed
    return blocked


def claim_leads(
    session: Session,
    campaign_id: int,
    now: datetime,
    n: int,
    dialer_id: str,
    *,
    centre_timezone: str = DEFAULT_CENTRE_TIMEZONE,
    zones: list[Zone] | None = None,
) -> list[DialTarget]:
    """Claim up to `n` leads to dial now: due callbacks first, then the campaign's mix of fresh leads and retries."""
    rules = load_rules(session, campaign_id, centre_timezone)
    zones = campaign_zones(session, campaign_id) if zones is None else zones
    conditions = _eligible(rules, zones, now)
    callbacks: dict[int, tuple[int, str]] = {}
    chosen: list[Any] = []
    # A lead held back by the frequency cap leaves a gap: up to two more rounds fill it.
    for _round in range(3):
        wanted = n - len(chosen)
        if wanted <= 0:
            break
        batch, agents = _claim_callbacks(session, conditions, rules, now, wanted, dialer_id)
        callbacks.update(agents)
        rest = wanted - len(batch)
        fresh_quota = round(rest * rules.settings.hopper_fresh_share)
        # Claimed rows no longer match `claimed_by = ''`, so later buckets cannot pick them again.
        retries = _claim_bucket(session, conditions, "retry", now, rest - fresh_quota, dialer_id)
        fresh = _claim_bucket(session, conditions, "new", now, rest - len(retries), dialer_id)
        if len(retries) + len(fresh) < rest:
            retries += _claim_bucket(session, conditions, "retry", now, rest - len(retries) - len(fresh), dialer_id)
        batch += retries + fresh
        if not batch:
            break
        blocked = _hold_back_over_cap(session, rules, batch, now)
        chosen += [row for row in batch if row.id not in blocked]
        if not blocked:
            break
    return [_target(rules, row, callbacks.get(row.id)) for row in chosen]


def _hold_back_over_cap(session: Session, rules: CampaignRules, batch: list[Any], now: datetime) -> set[int]:
    """Unclaim the leads whose number reached the cap, and schedule them for when the cap allows."""
    blocked = _over_cap(session, rules, batch, now)
    for lead_id, allowed in blocked.items():
        session.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(claimed_by="", claimed_at=None, next_attempt_at=allowed)
            .execution_options(synchronize_session=False)
        )
    return set(blocked)


def _target(rules: CampaignRules, row: Any, callback: tuple[int, str] | None) -> DialTarget:
    return DialTarget(
        lead_id=row.id,
        campaign_id=rules.campaign_id,
        attempt_no=row.attempts + 1,
        phone_e164=row.phone_e164,
        callee_tz=row.timezone or rules.fallback_zone,
        callback_id=callback[0] if callback else None,
        preferred_agent=callback[1] if callback else "",
    )


def release_lead(session: Session, lead_id: int, dialer_id: str) -> bool:
    """Give back a claimed lead that was not dialled; False if this dialer did not hold it."""
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.claimed_by == dialer_id)
        .values(claimed_by="", claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_stale_claims(session: Session, older_than: datetime, now: datetime,
                         centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> int:
    """Free the leads claimed before `older_than` (a dialer that crashed); returns how many.

    Their attempts left without an outcome end as `failed` (a late hangup event then changes nothing) and the
    lead is rescheduled by the retry policy, so it is neither lost nor redialled at once.
    """
    from campaigns.outcomes import finish_attempt  # outcomes builds on the hopper

    stale = list(session.execute(
        select(Lead.id, Lead.claimed_by).where(Lead.claimed_by != "", Lead.claimed_at < older_than)
        .with_for_update(skip_locked=True)
    ))
    for lead_id, dialer_id in stale:
        open_attempts = session.scalars(select(Attempt.id).where(
            Attempt.lead_id == lead_id, Attempt.dialer_id == dialer_id, Attempt.outcome == ""))
        for attempt_id in list(open_attempts):
            finish_attempt(session, attempt_id, "failed", now, centre_timezone=centre_timezone)
        session.execute(
            update(Lead).where(Lead.id == lead_id, Lead.claimed_by == dialer_id)
            .values(claimed_by="", claimed_at=None).execution_options(synchronize_session=False)
        )
    return len(stale)
