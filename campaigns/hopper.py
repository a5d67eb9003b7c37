"""The hopper: which leads the dialer dials next, claimed so that no two dialers get the same lead.

A claim sets `Lead.claimed_by`/`claimed_at` (the lead keeps its status) and notes the lead in the claim journal
(`LeadClaim`); it lasts until the attempt finishes (`campaigns.outcomes.finish_attempt`), `release_lead`, or
`release_stale_claims` after a dialer crash. No index covers the two claim columns, so that on PostgreSQL a claim
is a HOT update (no index entry rewritten); the journal is how stale claims are found instead.
PostgreSQL claims in one statement (`campaigns.hopper_pg`): candidates read `FOR UPDATE SKIP LOCKED`, the
frequency cap, the claim, the journal and the dial data together. SQLite claims bucket by bucket, each as an
UPDATE over its candidate query, which SQLite's single writer serialises. On both, the claim is conditional
(`claimed_by = ''`), so a lead is never claimed twice. The claim is part of the caller's transaction: commit it
before dialling.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ClauseElement,
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    false,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns.calendar import is_callable
from campaigns.models import Attempt, Callback, Campaign, LeadClaim
from campaigns.profiles import cap_allows_from, consent_required
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE, CampaignRules, campaign_rules
from campaigns.zones import Zone, campaign_zones, newest_lead
from config.orm import UTCDateTime
from leads.models import DoNotCall, Lead

DIALABLE = ("new", "retry", "callback")
# Fresh leads the campaign's profile may not call for want of consent (campaigns.services sets them aside).
NO_CONSENT = "no_consent"


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


def _rules_and_zones(session: Session, campaign_id: int, centre_timezone: str,
                     zones: list[Zone] | None) -> tuple[CampaignRules, list[Zone]]:
    """A campaign's rules and callee zones, with one query (the zones' cache needs the highest lead id)."""
    row = session.execute(
        select(Campaign.client_id, Campaign.profile, Campaign.settings, Campaign.timezone, newest_lead())
        .where(Campaign.id == campaign_id)
    ).one_or_none()
    if row is None:
        from campaigns.errors import CampaignNotFound

        raise CampaignNotFound(str(campaign_id))
    client_id, profile, settings, timezone, highest = row
    rules = campaign_rules(campaign_id, client_id, profile, settings or {}, timezone, centre_timezone)
    return rules, campaign_zones(session, campaign_id, highest or 0) if zones is None else zones


def open_zones(rules: CampaignRules, zones: list[Zone], now: datetime) -> tuple[Zone, ...]:
    """The zones whose calendar allows a call now."""
    return tuple(z for z in zones if is_callable(now, rules.calendar(*z)))


def _now() -> BindParameter[datetime]:
    # The moment is a bound parameter, so that PostgreSQL's claim statement is built once and reused.
    return bindparam("now", type_=UTCDateTime())


def claim_params(rules: CampaignRules, now: datetime) -> dict[str, Any]:
    """The values of the bound parameters of the conditions and candidate queries, at `now`."""
    profile = rules.profile
    return {"now": now, "refused_before": now - profile.refusal_cooloff, "dialled_since": now - profile.period}


def eligible(rules: CampaignRules, opened: tuple[Zone, ...], consent: bool) -> list[ColumnElement[bool]]:
    """Conditions every dialable lead meets, whatever its bucket (bound parameters: see `claim_params`).

    Always an explicit list of open zones: a lead in a zone not seen yet (edited since the scan) waits, it is
    never dialled at an hour nobody checked.
    """
    zone_filter = or_(*(and_(Lead.timezone == tz, Lead.country == c, Lead.subdivision == s) for tz, c, s in opened))
    conditions = [Lead.campaign_id == rules.campaign_id, Lead.claimed_by == "", zone_filter if opened else false()]
    if consent:
        proven = and_(
            Lead.consent_at.is_not(None), Lead.consent_at <= _now(), Lead.consent_source != "",
            Lead.consent_proof != "",
        )
        conditions.append(
            or_(Lead.contract_exemption.is_(True), proven) if rules.profile.contract_exemption else proven
        )
    if rules.profile.refusal_cooloff_days:
        refused_before = bindparam("refused_before", type_=UTCDateTime())
        conditions.append(or_(Lead.refused_at.is_(None), Lead.refused_at <= refused_before))
    listed = exists().where(
        DoNotCall.e164 == Lead.phone_e164,
        or_(DoNotCall.client_id == rules.client_id, DoNotCall.client_id.is_(None)),
    )
    conditions.append(~listed)
    return conditions


# What a claim returns of each lead: enough to order the batch, check the cap and build the DialTarget.
_RETURNED = (Lead.id, Lead.attempts, Lead.phone_e164, Lead.timezone, Lead.priority, Lead.next_attempt_at)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A claim round: the claimed lead rows in dialling order, lead id → (callback id, agent waited for), and
# whether the frequency cap held some candidates back (another round then fills the gap).
Round = tuple[list[Any], dict[int, tuple[int, str]], bool]
# Candidates of a bucket: id, phone, priority, next attempt; of callbacks: id, phone, callback id, agent, due.
Candidates = Select[int, str, int, datetime | None]
CallbackCandidates = Select[int, str, int, str, datetime]


def bucket_query(conditions: list[ColumnElement[bool]], status: str, limit: int | ColumnElement[Any]) -> Candidates:
    """Fresh leads or due retries, best first, locked (PostgreSQL) and skipping rows another dialer holds."""
    due = Lead.next_attempt_at <= _now()
    if status == "new":
        due = or_(Lead.next_attempt_at.is_(None), due)
    return (
        select(Lead.id, Lead.phone_e164, Lead.priority, Lead.next_attempt_at)
        .where(*conditions, Lead.status == status, due)
        .order_by(Lead.priority.desc(), Lead.next_attempt_at, Lead.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def callback_query(conditions: list[ColumnElement[bool]], rules: CampaignRules,
                   limit: int | ColumnElement[Any]) -> CallbackCandidates:
    """Due personal callbacks, oldest first, with their lead locked (PostgreSQL)."""
    return (
        select(Lead.id, Lead.phone_e164, Callback.id.label("callback_id"), Callback.agent, Callback.due_at)
        .join(Lead, Lead.id == Callback.lead_id)
        .where(
            *conditions,
            Callback.campaign_id == rules.campaign_id,
            Callback.status == "pending",
            Callback.due_at <= _now(),
            Lead.status == "callback",
        )
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Lead)
    )


def waiting_for(rules: CampaignRules, row: Any, now: datetime) -> str:
    """Within the grace period a callback waits for the agent who booked it; then anyone takes it."""
    return str(row.agent) if now < row.due_at + rules.settings.callback_grace else ""


def claim_queries(session: Session, campaign_id: int, now: datetime, n: int, dialer_id: str,
                  centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> dict[str, ClauseElement]:
    """What a claim of `n` runs first, for EXPLAIN in bench/hopper.py: PostgreSQL's whole claim statement, or
    SQLite's two candidate queries; with their parameters bound."""
    rules = load_rules(session, campaign_id, centre_timezone)
    opened = open_zones(rules, campaign_zones(session, campaign_id), now)
    params = claim_params(rules, now)
    if session.get_bind().dialect.name == "postgresql":
        from campaigns.hopper_pg import claim_statement

        statement = claim_statement(rules, opened, consent_required(rules.profile, now))
        return {"claim": statement.params(**params, wanted=n, dialer=dialer_id)}
    conditions = eligible(rules, opened, consent_required(rules.profile, now))
    return {status: bucket_query(conditions, status, n).params(**params) for status in ("retry", "new")}


def note_claims(session: Session, lead_ids: Iterable[int], dialer_id: str, now: datetime) -> None:
    """Write claims into the journal (the latest claim of a lead replaces an earlier row)."""
    rows = [{"lead_id": lead_id, "dialer_id": dialer_id, "claimed_at": now} for lead_id in lead_ids]
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LeadClaim)
    # A list of rows: executemany of one cached statement.
    session.execute(statement.on_conflict_do_update(
        index_elements=[LeadClaim.lead_id],
        set_={"dialer_id": statement.excluded.dialer_id, "claimed_at": statement.excluded.claimed_at},
    ), rows)


def _claim(session: Session, which: list[int] | Candidates, dialer_id: str, now: datetime,
           params: dict[str, Any]) -> dict[int, Any]:
    """SQLite: claim the given leads, or those a candidate query picks, in one UPDATE … RETURNING.

    With a query, selecting and claiming is one statement, during which SQLite holds its single write lock,
    so two dialers never race between reading and claiming.
    """
    if isinstance(which, list) and not which:
        return {}
    target: Any = select(which.subquery().c.id) if isinstance(which, Select) else which
    rows = session.execute(
        update(Lead)
        .where(Lead.id.in_(target), Lead.claimed_by == "")
        .values(claimed_by=dialer_id, claimed_at=now)
        .returning(*_RETURNED)
        .execution_options(synchronize_session=False),
        params,
    )
    return {row.id: row for row in rows}


def _dialling_order(row: Any) -> tuple[int, bool, datetime, int]:
    return (-row.priority, row.next_attempt_at is None, row.next_attempt_at or EPOCH, row.id)


def _claim_bucket(session: Session, conditions: list[ColumnElement[bool]], status: str, params: dict[str, Any],
                  limit: int, dialer_id: str) -> list[Any]:
    """SQLite: claim up to `limit` leads of one bucket; returns their rows in dialling order."""
    if limit <= 0:
        return []
    claimed = _claim(session, bucket_query(conditions, status, limit), dialer_id, params["now"], params)
    return sorted(claimed.values(), key=_dialling_order)


def _claim_callbacks(
    session: Session, conditions: list[ColumnElement[bool]], rules: CampaignRules, params: dict[str, Any],
    limit: int, dialer_id: str,
) -> tuple[list[Any], dict[int, tuple[int, str]]]:
    """SQLite: due personal callbacks, oldest first: their lead rows, and lead id → (callback id, agent)."""
    if limit <= 0:
        return [], {}
    now = params["now"]
    rows = session.execute(callback_query(conditions, rules, limit), params).all()
    claimed = _claim(session, [r.id for r in rows], dialer_id, now, params)
    agents = {r.id: (r.callback_id, waiting_for(rules, r, now)) for r in rows if r.id in claimed}
    return [claimed[r.id] for r in rows if r.id in claimed], agents


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


def _hold_back_over_cap(session: Session, rules: CampaignRules, batch: list[Any], now: datetime) -> set[int]:
    """SQLite: unclaim the leads whose number reached the cap, and schedule them for when the cap allows."""
    blocked = _over_cap(session, rules, batch, now)
    for lead_id, allowed in blocked.items():
        session.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(claimed_by="", claimed_at=None, next_attempt_at=allowed)
            .execution_options(synchronize_session=False)
        )
    return set(blocked)


def _round_sqlite(session: Session, rules: CampaignRules, conditions: list[ColumnElement[bool]],
                  params: dict[str, Any], wanted: int, dialer_id: str) -> Round:
    """One claim round on SQLite: callbacks, then the campaign's mix of retries and fresh leads, then the cap."""
    now = params["now"]
    batch, agents = _claim_callbacks(session, conditions, rules, params, wanted, dialer_id)
    rest = wanted - len(batch)
    fresh_quota = round(rest * rules.settings.hopper_fresh_share)
    # Claimed rows no longer match `claimed_by = ''`, so later buckets cannot pick them again.
    retries = _claim_bucket(session, conditions, "retry", params, rest - fresh_quota, dialer_id)
    fresh = _claim_bucket(session, conditions, "new", params, rest - len(retries), dialer_id)
    if len(retries) + len(fresh) < rest:
        retries += _claim_bucket(session, conditions, "retry", params, rest - len(retries) - len(fresh), dialer_id)
    batch += retries + fresh
    blocked = _hold_back_over_cap(session, rules, batch, now) if batch else set()
    chosen = [row for row in batch if row.id not in blocked]
    note_claims(session, (row.id for row in chosen), dialer_id, now)
    return chosen, agents, bool(blocked)


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
    rules, zones = _rules_and_zones(session, campaign_id, centre_timezone, zones)
    opened = open_zones(rules, zones, now)
    consent = consent_required(rules.profile, now)
    params = claim_params(rules, now)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        from campaigns.hopper_pg import claim_statement

        statement = claim_statement(rules, opened, consent)
    else:
        conditions = eligible(rules, opened, consent)
    callbacks: dict[int, tuple[int, str]] = {}
    chosen: list[Any] = []
    # A lead held back by the frequency cap leaves a gap: up to two more rounds fill it.
    for _round in range(3):
        wanted = n - len(chosen)
        if wanted <= 0:
            break
        if postgresql:
            rows = session.execute(statement, {**params, "wanted": wanted, "dialer": dialer_id}).all()
            batch = [row for row in rows if row.attempts is not None]
            agents = {row.id: (row.callback_id, waiting_for(rules, row, now)) for row in batch
                      if row.callback_id is not None}
            capped = any(row.capped_since is not None for row in rows)
        else:
            batch, agents, capped = _round_sqlite(session, rules, conditions, params, wanted, dialer_id)
        callbacks.update(agents)
        chosen += batch
        if not capped:
            break
    return [_target(rules, row, callbacks.get(row.id)) for row in chosen]


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
    released = bool(result.rowcount)  # type: ignore[attr-defined]
    if released:
        session.execute(delete(LeadClaim).where(LeadClaim.lead_id == lead_id))
    return released


def claimed_leads(session: Session, dialer_id: str) -> list[int]:
    """The leads a dialer holds now (found through the claim journal), by id."""
    return list(session.scalars(
        select(Lead.id).join(LeadClaim, LeadClaim.lead_id == Lead.id)
        .where(LeadClaim.dialer_id == dialer_id, Lead.claimed_by == dialer_id).order_by(Lead.id)
    ))


def release_stale_claims(session: Session, older_than: datetime, now: datetime,
                         centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> int:
    """Free the leads claimed before `older_than` (a dialer that crashed); returns how many.

    Their attempts left without an outcome end as `failed` (a late hangup event then changes nothing) and the
    lead is rescheduled by the retry policy, so it is neither lost nor redialled at once. The journal rows
    before the cutoff go too, but for leads still held by a live transaction (skipped here, seen next time).
    """
    from campaigns.outcomes import finish_attempt  # outcomes builds on the hopper

    held_before = and_(Lead.claimed_by != "", Lead.claimed_at < older_than)
    stale = list(session.execute(
        select(Lead.id, Lead.claimed_by).join(LeadClaim, LeadClaim.lead_id == Lead.id)
        .where(LeadClaim.claimed_at < older_than, held_before)
        .with_for_update(skip_locked=True, of=Lead)
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
    session.execute(
        delete(LeadClaim).where(
            LeadClaim.claimed_at < older_than, ~exists().where(Lead.id == LeadClaim.lead_id, held_before)
        ).execution_options(synchronize_session=False)
    )
    return len(stale)
