"""The hopper: which leads the dialer dials next, claimed so that no two dialers get the same lead.

A claim sets `Lead.claimed_by`/`claimed_at` (the lead keeps its status) and notes the lead in the claim journal
(`LeadClaim`); it lasts until the attempt finishes (`campaigns.outcomes.finish_attempt`), `release_lead`, or
`release_stale_claims` after a dialer crash. No index covers the two claim columns, so that on PostgreSQL a claim
is a HOT update (no index entry rewritten); the journal is how stale claims are found instead.
PostgreSQL claims in one statement (`campaigns.hopper_pg`): candidates read `FOR UPDATE SKIP LOCKED`, the
frequency cap, the claim, the journal and the dial data together. SQLite claims bucket by bucket
(`campaigns.hopper_sqlite`), each as an UPDATE over its candidate query, which SQLite's single writer serialises.
On both, the claim is conditional (`claimed_by = ''`), so a lead is never claimed twice. The claim is part of the
caller's transaction: commit it before dialling.

The dialer claims one to three leads every two seconds, so a claim's fixed cost is what counts: its statements
are built once per campaign shape and kept (everything that changes from one claim to the next, the moment and
the open subdivisions included, is a bound parameter), they run on the session's connection, and which zones are
open is checked once per group of zones sharing a calendar (`campaigns.zones.open_zones`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ClauseElement,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns.models import Attempt, Callback, Campaign, LeadClaim
from campaigns.profiles import consent_required
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE, CampaignRules, campaign_rules
from campaigns.zones import OpenZones, Shape, Zone, campaign_zones, newest_lead, open_zones, zone_param
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


def _now() -> BindParameter[datetime]:
    # The moment is a bound parameter, so that PostgreSQL's claim statement is built once and reused.
    return bindparam("now", type_=UTCDateTime())


# The campaign's columns and the highest lead id (the zones' cache needs it), built once: a claim runs it each time.
_CAMPAIGN_ROW = select(Campaign.client_id, Campaign.profile, Campaign.settings, Campaign.timezone,
                       newest_lead()).where(Campaign.id == bindparam("campaign_id"))
# SQLite's adds whether a callback is due (an index seek), so that most claims skip the callbacks' query.
_CAMPAIGN_ROW_SQLITE = _CAMPAIGN_ROW.add_columns(exists().where(
    Callback.campaign_id == bindparam("campaign_id"), Callback.status == "pending", Callback.due_at <= _now(),
))


def _rules_and_zones(conn: Connection, session: Session, campaign_id: int, now: datetime, centre_timezone: str,
                     zones: Sequence[Zone] | None) -> tuple[CampaignRules, Sequence[Zone], bool]:
    """A campaign's rules, callee zones and whether a callback may be due (always on PostgreSQL), in one query."""
    sqlite = conn.dialect.name == "sqlite"
    row = conn.execute(_CAMPAIGN_ROW_SQLITE if sqlite else _CAMPAIGN_ROW,
                       {"campaign_id": campaign_id, "now": now} if sqlite else {"campaign_id": campaign_id},
                       ).one_or_none()
    if row is None:
        from campaigns.errors import CampaignNotFound

        raise CampaignNotFound(str(campaign_id))
    client_id, profile, settings, timezone, highest = row[:5]
    rules = campaign_rules(campaign_id, client_id, profile, settings or {}, timezone, centre_timezone)
    zones = campaign_zones(session, campaign_id, highest or 0) if zones is None else zones
    return rules, zones, bool(row[5]) if sqlite else True


def claim_params(rules: CampaignRules, now: datetime, opened: OpenZones | None = None,
                 arrays: bool = False) -> dict[str, Any]:
    """The values of the bound parameters of the conditions and candidate queries, at `now`, with `opened`'s
    subdivisions (as `zone_filter` with `arrays` takes them)."""
    profile = rules.profile
    return {"now": now, "refused_before": now - profile.refusal_cooloff, "dialled_since": now - profile.period,
            **({} if opened is None else opened.params(arrays))}


def zone_filter(shape: Shape, arrays: bool = False) -> ColumnElement[bool]:
    """Leads in an open zone: per open (time zone, country), a subdivision among its open ones, bound as one
    parameter per group (`OpenZones.params`): a JSON list read with SQLite's json_each, or with `arrays` a
    PostgreSQL array.

    Always an explicit list of subdivisions: a lead in a zone not seen yet (edited since the scan) waits, it is
    never dialled at an hour nobody checked; nor is a lead of a subdivision closed while others of its time
    zone and country are open (a local holiday).
    """
    if not shape:
        return false()

    def among(group: int) -> ColumnElement[bool]:
        if arrays:
            return Lead.subdivision == any_(bindparam(zone_param(group), type_=ARRAY(String())))
        listed = func.json_each(bindparam(zone_param(group), type_=String())).table_valued("value")
        return Lead.subdivision.in_(select(listed.c.value))

    return or_(*(and_(Lead.timezone == tz, Lead.country == country, among(i))
                 for i, (tz, country) in enumerate(shape)))


def eligible(rules: CampaignRules, shape: Shape, consent: bool, arrays: bool = False) -> list[ColumnElement[bool]]:
    """Conditions every dialable lead meets, whatever its bucket (bound parameters: see `claim_params`);
    `shape`: `OpenZones.shape` of the open zones; `arrays`: see `zone_filter`."""
    conditions = [Lead.campaign_id == rules.campaign_id, Lead.claimed_by == "", zone_filter(shape, arrays)]
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
    postgresql = session.get_bind().dialect.name == "postgresql"
    params = claim_params(rules, now, opened, arrays=postgresql)
    consent = consent_required(rules.profile, now)
    if postgresql:
        from campaigns.hopper_pg import claim_statement

        statement = claim_statement(rules, opened.shape, consent)
        return {"claim": statement.params(**params, wanted=n, dialer=dialer_id)}
    conditions = eligible(rules, opened.shape, consent)
    return {status: bucket_query(conditions, status, n).params(**params) for status in ("retry", "new")}


# Dialect name → the journal's upsert, built once.
_NOTE_CLAIMS: dict[str, Any] = {}


def note_claims(session: Session | Connection, lead_ids: Iterable[int], dialer_id: str, now: datetime) -> None:
    """Write claims into the journal (the latest claim of a lead replaces an earlier row)."""
    rows = [{"lead_id": lead_id, "dialer_id": dialer_id, "claimed_at": now} for lead_id in lead_ids]
    if not rows:
        return
    name = session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name
    statement = _NOTE_CLAIMS.get(name)
    if statement is None:
        insert = (postgresql if name == "postgresql" else sqlite).insert(LeadClaim)
        statement = _NOTE_CLAIMS[name] = insert.on_conflict_do_update(
            index_elements=[LeadClaim.lead_id],
            set_={"dialer_id": insert.excluded.dialer_id, "claimed_at": insert.excluded.claimed_at},
        )
    # A list of rows: executemany of one cached statement.
    session.execute(statement, rows)


def claim_leads(
    session: Session,
    campaign_id: int,
    now: datetime,
    n: int,
    dialer_id: str,
    *,
    centre_timezone: str = DEFAULT_CENTRE_TIMEZONE,
    zones: Sequence[Zone] | None = None,
) -> list[DialTarget]:
    """Claim up to `n` leads to dial now: due callbacks first, then the campaign's mix of fresh leads and retries.

    `zones`: the callee zones to consider instead of the campaign's scanned ones; pass the same sequence again
    (never modified) to reuse what was worked out for it.
    """
    if session.autoflush:
        session.flush()  # as the ORM's execute would: the claim's statements run on the connection, without its cost
    conn = session.connection()
    rules, zones, callbacks_due = _rules_and_zones(conn, session, campaign_id, now, centre_timezone, zones)
    opened = open_zones(rules, zones, now)
    if not opened.zones or n <= 0:
        return []  # every candidate query filters on an open zone: none can match
    consent = consent_required(rules.profile, now)
    postgresql = conn.dialect.name == "postgresql"
    params = claim_params(rules, now, opened, arrays=postgresql)
    if postgresql:
        from campaigns.hopper_pg import claim_statement

        statement = claim_statement(rules, opened.shape, consent)
    else:
        from campaigns.hopper_sqlite import SqliteClaim

        claim = SqliteClaim.of(rules, opened.shape, consent)
    callbacks: dict[int, tuple[int, str]] = {}
    chosen: list[Any] = []
    # A lead held back by the frequency cap leaves a gap: up to two more rounds fill it.
    for _round in range(3):
        wanted = n - len(chosen)
        if wanted <= 0:
            break
        if postgresql:
            rows = conn.execute(statement, {**params, "wanted": wanted, "dialer": dialer_id}).all()
            batch = [row for row in rows if row.attempts is not None]
            agents = {row.id: (row.callback_id, waiting_for(rules, row, now)) for row in batch
                      if row.callback_id is not None}
            capped = any(row.capped_since is not None for row in rows)
        else:
            batch, agents, capped = claim.round(conn, rules, params, wanted, dialer_id, callbacks_due)
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
