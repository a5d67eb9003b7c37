"""What a dial does to its lead: start, finish (retry policy), disposition, personal callbacks.

Every function works in the caller's transaction and is idempotent: finishing or qualifying the same attempt
twice changes nothing the second time, so a replayed AMI event or a double click never counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, Update, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from campaigns.calendar import Calendar
from campaigns.claimer import DialTarget
from campaigns.errors import AttemptNotFound, CallbackRefused, LeadNotFound, UnknownOutcome
from campaigns.explain import closed_reason
from campaigns.journal import note_claims
from campaigns.models import Attempt, Callback, Campaign
from campaigns.profiles import cap_allows_from, consent_valid, cooloff_until
from campaigns.retry import OUTCOMES, NextAttempt, PastAttempt, plan_next_attempt
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE, CampaignRules, campaign_rules
from campaigns.store import load_rules
from config import audit
from config.i18n import _, fmt_date, fmt_datetime
from leads.consent_store import rule_records
from leads.models import DoNotCall, Lead, LeadPhone


def start_attempt(session: Session, target: DialTarget, now: datetime, dialer_id: str, action_id: str,
                  pbx: str = "") -> Attempt:
    """Record the dial of a claimed lead through the PBX `pbx` (its AMI "host:port") and count it (once per
    action id)."""
    existing = session.scalar(_ATTEMPT_OF_ACTION, {"p_action": action_id})
    if existing is not None:
        return _attempt(session, existing)
    lead = session.execute(_LEAD_CLAIM, {"p_id": target.lead_id}).one_or_none()
    if lead is None:
        raise LeadNotFound(target.lead_id)
    if lead.claimed_by != dialer_id or lead.claimed_at is None:  # dialled without a hopper claim: claim it now
        note_claims(session, [target.lead_id], dialer_id, lead.claimed_at or now)
    session.execute(_COUNT_DIAL, {"p_id": target.lead_id, "p_now": now, "p_dialer": dialer_id,
                                  "p_claimed": lead.claimed_at or now})
    forget(session, Lead, target.lead_id)
    attempt = Attempt(
        campaign_id=target.campaign_id, lead_id=target.lead_id, attempt_no=lead.attempts + 1,
        phone_e164=target.phone_e164, callee_tz=target.callee_tz, state="created", action_id=action_id,
        dialer_id=dialer_id, pbx=pbx, created_at=now,
    )
    session.add(attempt)
    if target.callback_id is not None:
        session.execute(update(Callback).where(Callback.id == target.callback_id, Callback.status == "pending")
                        .values(status="done"))
    session.flush()
    return attempt


_ATTEMPT_OF_ACTION = select(Attempt.id).where(Attempt.action_id == bindparam("p_action"))
_LEAD_CLAIM = select(Lead.attempts, Lead.claimed_by, Lead.claimed_at).where(Lead.id == bindparam("p_id"))
_COUNT_DIAL = (
    update(cast(Table, Lead.__table__)).where(Lead.__table__.c.id == bindparam("p_id"))
    .values(attempts=Lead.__table__.c.attempts + 1, claimed_by=bindparam("p_dialer", type_=String()),
            last_attempt_at=bindparam("p_now", type_=Lead.__table__.c.last_attempt_at.type),
            claimed_at=bindparam("p_claimed", type_=Lead.__table__.c.claimed_at.type))
)


def finish_attempt(
    session: Session, attempt_id: int, outcome: str, now: datetime, *, hangup_cause: int | None = None,
    centre_timezone: str = DEFAULT_CENTRE_TIMEZONE,
) -> bool:
    """Close an attempt with its outcome, reschedule the lead by the retry policy and release its claim.

    False (and nothing changed) when the attempt already had an outcome. Four statements and no ORM load:
    a conditional UPDATE … RETURNING closes the attempt, one SELECT reads the lead, its campaign and its
    pending callback, one the lead's dial history, one UPDATE reschedules the lead.
    """
    if outcome not in OUTCOMES:
        raise UnknownOutcome(outcome)
    closed = session.execute(_CLOSE_CAUSE if hangup_cause is not None else _CLOSE, {
        "p_id": attempt_id, "p_outcome": outcome, "p_now": now, "p_cause": hangup_cause}).one_or_none()
    if closed is None:
        if session.scalar(select(Attempt.id).where(Attempt.id == attempt_id)) is None:
            raise AttemptNotFound(attempt_id)
        return False
    forget(session, Attempt, attempt_id)
    lead_id, campaign_id, disposition = closed
    row = session.execute(_LEAD_FACTS, {"p_lead": lead_id, "p_campaign": campaign_id}).one_or_none()
    if row is None:
        raise LeadNotFound(lead_id)
    # Built once per content of the campaign's columns (cached): a change of its settings is seen at once.
    rules = campaign_rules(campaign_id, row.client_id, row.profile, row.settings or {}, row.campaign_zone,
                           centre_timezone)
    callee = Callee(row.id, row.status, row.phone_e164, row.refused_at, row.timezone, row.country, row.subdivision)
    status, next_at = _decide(session, callee, rules, row.pending_due, now)
    params = {"p_id": lead_id, "p_status": status, "p_next": next_at, "p_outcome": outcome}
    session.execute(_RELEASE_KEEP_OUTCOME if disposition else _RELEASE, params)
    forget(session, Lead, lead_id)
    return True


def _close(with_cause: bool) -> Update:
    a = cast(Table, Attempt.__table__).c
    values: dict[str, Any] = {"outcome": bindparam("p_outcome", type_=a.outcome.type), "state": "ended",
                              "ended_at": bindparam("p_now", type_=a.ended_at.type)}
    if with_cause:
        values["hangup_cause"] = bindparam("p_cause", type_=a.hangup_cause.type)
    return (update(a.id.table).where(a.id == bindparam("p_id"), a.outcome == "").values(values)
            .returning(a.lead_id, a.campaign_id, a.disposition))


def _release(last_outcome: bool) -> Update:
    c = cast(Table, Lead.__table__).c
    values: dict[str, Any] = {"status": bindparam("p_status", type_=c.status.type), "claimed_by": "",
                              "next_attempt_at": bindparam("p_next", type_=c.next_attempt_at.type), "claimed_at": None}
    if last_outcome:
        values["last_outcome"] = bindparam("p_outcome", type_=c.last_outcome.type)
    return update(c.id.table).where(c.id == bindparam("p_id")).values(values)


# finish_attempt's statements, built once with bound parameters: building them costs more than running them.
_CLOSE, _CLOSE_CAUSE = _close(False), _close(True)
_RELEASE, _RELEASE_KEEP_OUTCOME = _release(True), _release(False)
_LEAD_FACTS = (
    select(Lead.id, Lead.status, Lead.phone_e164, Lead.refused_at, Lead.timezone, Lead.country, Lead.subdivision,
           Campaign.client_id, Campaign.profile, Campaign.settings, Campaign.timezone.label("campaign_zone"),
           select(Callback.due_at).where(Callback.lead_id == Lead.id, Callback.status == "pending")
           .order_by(Callback.due_at.desc()).limit(1).scalar_subquery().label("pending_due"))
    .join(Campaign, Campaign.id == bindparam("p_campaign")).where(Lead.id == bindparam("p_lead"))
)


@dataclass(frozen=True)
class Callee:
    """What the retry policy reads of a lead (a `Lead` row has the same attributes)."""

    id: int
    status: str
    phone_e164: str
    refused_at: datetime | None
    timezone: str
    country: str
    subdivision: str


def forget(session: Session, model: type[Any], ident: int) -> None:
    """Expire a row the session holds, after a Core UPDATE changed it behind the identity map's back."""
    loaded = session.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        session.expire(loaded)


def record_disposition(
    session: Session, attempt_id: int, code: str, now: datetime, agent: str, callback_at: datetime | None = None,
    note: str = "", *, centre_timezone: str = DEFAULT_CENTRE_TIMEZONE,
) -> Attempt:
    """Apply the agent's disposition to the attempt and its lead (callback, refusal, do-not-call, final …)."""
    attempt = _attempt(session, attempt_id)
    rules = load_rules(session, attempt.campaign_id, centre_timezone)
    disposition = rules.dispositions.get(code)
    if disposition is None:
        from campaigns.errors import UnknownDisposition

        raise UnknownDisposition(code, sorted(rules.dispositions))
    lead = _lead(session, attempt.lead_id)
    pending = _pending_callback(session, lead.id)
    if attempt.disposition == code and (disposition.effect != "callback" or (
            pending is not None and pending.due_at == callback_at)):
        return attempt
    if disposition.effect == "callback":
        if callback_at is None:
            raise CallbackRefused("?", _("no callback time given"))
        check_callback(session, lead, rules, callback_at, now)
    if pending is not None:
        pending.status = "cancelled"
    attempt.disposition, attempt.agent = code, agent or attempt.agent
    lead.last_outcome = code
    if disposition.effect == "callback" and callback_at is not None:
        session.add(Callback(campaign_id=attempt.campaign_id, lead_id=lead.id, due_at=callback_at, agent=agent,
                             note=note, status="pending", created_at=now))
    if disposition.effect == "refusal" and lead.refused_at is None:
        lead.refused_at = now
    if disposition.effect in {"do_not_call", "objection"}:
        _list_do_not_call(session, lead, rules.client_id, code, now)
        # L. 221-16: the proof that the objection was heard and applied, in the same transaction.
        audit.record(session, agent or attempt.agent or "?", "teleoperator",
                     "objection" if disposition.effect == "objection" else "dnc_add", f"lead {lead.id}",
                     detail=f"client {rules.client_id}; attempt {attempt.id}; disposition {code}", now=now)
    session.flush()
    # The pending callback is now the one just booked, or none (an earlier one was cancelled above).
    _reschedule(session, lead, rules, callback_at if disposition.effect == "callback" else None, now)
    return attempt


def book_callback(
    session: Session, lead_id: int, when: datetime, now: datetime, agent: str = "", note: str = "", *,
    centre_timezone: str = DEFAULT_CENTRE_TIMEZONE,
) -> Callback:
    """Book a personal callback outside of a disposition (e.g. from the lead screen); refused with the reason."""
    lead = _lead(session, lead_id)
    rules = load_rules(session, lead.campaign_id, centre_timezone)
    check_callback(session, lead, rules, when, now)
    pending = _pending_callback(session, lead.id)
    if pending is not None:
        pending.status = "cancelled"
    callback = Callback(campaign_id=lead.campaign_id, lead_id=lead.id, due_at=when, agent=agent, note=note,
                        status="pending", created_at=now)
    session.add(callback)
    session.flush()
    reschedule(session, lead, rules, now)
    return callback


def check_callback(session: Session, lead: Lead, rules: CampaignRules, when: datetime, now: datetime) -> None:
    """Raise CallbackRefused with the reason when the calendar, the profile or the lists forbid a call then."""
    shown = fmt_datetime(when.astimezone(lead_calendar(lead, rules).callee.tz()), "medium")
    if when.tzinfo is None or when <= now:
        raise CallbackRefused(shown, _("the time is not in the future"))
    reason = closed_reason(when, lead_calendar(lead, rules))
    if reason is not None:
        raise CallbackRefused(shown, reason)
    profile = rules.profile
    if on_do_not_call(session, lead, rules.client_id):
        raise CallbackRefused(shown, _("the number is on the do-not-call list"))
    if not consent_valid(rule_records(session, lead.id, rules.client_id), profile, when):
        raise CallbackRefused(shown, _("no provable consent to be called ({profile})").format(profile=profile.name))
    cooloff = cooloff_until(lead.refused_at, profile)
    if cooloff is not None and when < cooloff:
        raise CallbackRefused(shown, _("{profile} allows no call until {date} after a refusal").format(
            profile=profile.name, date=fmt_date(cooloff.date())))
    if profile.callbacks_count:
        dials = [at for at in dials_of_number(session, lead.phone_e164, rules, when) if at < when]
        allowed = cap_allows_from(dials, profile)
        if allowed is not None and allowed > when:
            raise CallbackRefused(shown, _("{profile} allows {count} calls in {days} days: next possible on {date}")
                                  .format(profile=profile.name, count=profile.max_solicitations,
                                          days=profile.period_days, date=fmt_date(allowed.date())))


def lead_calendar(lead: Lead | Callee, rules: CampaignRules) -> Calendar:
    """The effective calendar of one lead."""
    return rules.calendar(lead.timezone, lead.country, lead.subdivision)


def dials_of_number(session: Session, phone: str, rules: CampaignRules, until: datetime,
                    other_campaigns_only: bool = False) -> list[datetime]:
    """When the client's campaigns dialled this number within the profile's period before `until`."""
    since = until - rules.profile.period
    client_campaigns = select(Campaign.id).where(Campaign.client_id == rules.client_id)
    if other_campaigns_only:
        client_campaigns = client_campaigns.where(Campaign.id != rules.campaign_id)
    return list(session.scalars(select(Attempt.created_at).where(
        Attempt.phone_e164 == phone, Attempt.created_at > since, Attempt.created_at <= until,
        Attempt.campaign_id.in_(client_campaigns))))


def plan_for(session: Session, lead: Lead | Callee, rules: CampaignRules, now: datetime) -> NextAttempt:
    """The retry policy's verdict for a lead, from its finished attempts in this campaign.

    One query: the lead's attempts in this campaign and, for the cross-campaign cap, the dials of its number
    by the client's other campaigns within the profile's period.
    """
    rows = session.execute(_HISTORY, {
        "p_lead": lead.id, "p_campaign": rules.campaign_id, "p_client": rules.client_id, "p_phone": lead.phone_e164,
        "p_since": now - rules.profile.period, "p_until": now}).all()
    history = [PastAttempt(r.created_at, r.outcome, r.disposition) for r in rows
               if r.campaign_id == rules.campaign_id and (r.outcome or r.disposition)]
    other_dials = [r.created_at for r in rows if r.campaign_id != rules.campaign_id]
    return plan_next_attempt(history, rules.policy, lead_calendar(lead, rules), now,
                             refused_at=lead.refused_at, other_dials=other_dials)


_HISTORY = (
    select(Attempt.created_at, Attempt.outcome, Attempt.disposition, Attempt.campaign_id)
    .where(or_(
        and_(Attempt.lead_id == bindparam("p_lead"), Attempt.campaign_id == bindparam("p_campaign")),
        and_(Attempt.phone_e164 == bindparam("p_phone"), Attempt.created_at > bindparam("p_since"),
             Attempt.created_at <= bindparam("p_until"),
             Attempt.campaign_id.in_(select(Campaign.id).where(Campaign.client_id == bindparam("p_client"),
                                                               Campaign.id != bindparam("p_campaign")))),
    ))
    .order_by(Attempt.created_at, Attempt.id)
)


def reschedule(session: Session, lead: Lead, rules: CampaignRules, now: datetime) -> None:
    """Set the lead's status and next attempt from its history, and release its claim."""
    pending = _pending_callback(session, lead.id)
    _reschedule(session, lead, rules, pending.due_at if pending else None, now)


def _reschedule(session: Session, lead: Lead, rules: CampaignRules, pending_due: datetime | None,
                now: datetime) -> None:
    lead.claimed_by, lead.claimed_at = "", None
    lead.status, lead.next_attempt_at = _decide(session, lead, rules, pending_due, now)
    session.flush()


def _decide(session: Session, lead: Lead | Callee, rules: CampaignRules, pending_due: datetime | None,
            now: datetime) -> tuple[str, datetime | None]:
    """The lead's next status and time: do-not-call stays, a pending callback wins unless final, else the policy."""
    if lead.status == "dnc":
        return "dnc", None
    plan = plan_for(session, lead, rules, now)
    if pending_due is not None and plan.reason not in {"final", "exhausted"}:
        return "callback", pending_due
    if plan.at is None:
        return ("final" if plan.reason == "final" else "exhausted"), None
    return "retry", plan.at


def _list_do_not_call(session: Session, lead: Lead, client_id: int, code: str, now: datetime) -> None:
    phones = {lead.phone_e164} | set(session.scalars(select(LeadPhone.e164).where(LeadPhone.lead_id == lead.id)))
    known = set(session.scalars(select(DoNotCall.e164).where(DoNotCall.client_id == client_id,
                                                             DoNotCall.e164.in_(phones))))
    for phone in sorted(phones - known):
        session.add(DoNotCall(client_id=client_id, e164=phone, reason=code, added_at=now))
    lead.status = "dnc"


def on_do_not_call(session: Session, lead: Lead | Callee, client_id: int) -> bool:
    """Whether the lead is never to be called for this client: set to `dnc`, or its number on the client's or the
    centre's do-not-call list (which the hopper reads, whatever the lead's status)."""
    return lead.status == "dnc" or session.scalar(select(DoNotCall.id).where(
        DoNotCall.e164 == lead.phone_e164, (DoNotCall.client_id == client_id) | DoNotCall.client_id.is_(None))
        .limit(1)) is not None


def _pending_callback(session: Session, lead_id: int) -> Callback | None:
    return session.scalar(_PENDING_CALLBACK, {"p_lead": lead_id})


_PENDING_CALLBACK = (select(Callback).where(Callback.lead_id == bindparam("p_lead"), Callback.status == "pending")
                     .order_by(Callback.due_at.desc()).limit(1))


def _attempt(session: Session, attempt_id: int) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise AttemptNotFound(attempt_id)
    return attempt


def _lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead
