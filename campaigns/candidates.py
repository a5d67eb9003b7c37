"""The hopper's candidate queries, shared by the SQLite and PostgreSQL claimers: which leads may be dialled now.

Everything that changes from one claim to the next (the moment, the open subdivisions, the cut-offs) is a bound
parameter (`claim_params`), so that each claimer builds its statements once per campaign shape and keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Boolean,
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
)

from campaigns.models import Callback, Campaign
from campaigns.rules import CampaignRules
from campaigns.zones import EXEMPT_PREFIX, OpenZones, Shape, newest_lead, zone_param
from config.orm import UTCDateTime
from leads.consent_store import callable_clause, hours_exempt_clause
from leads.models import DoNotCall, Lead


def now_param() -> BindParameter[datetime]:
    """The moment of the claim, bound (so that a statement built once is reused)."""
    return bindparam("now", type_=UTCDateTime())


# The campaign's columns and the highest lead id (the zones' cache needs it), built once: a claim runs it each time.
CAMPAIGN_ROW = select(Campaign.client_id, Campaign.profile, Campaign.settings, Campaign.timezone,
                      newest_lead()).where(Campaign.id == bindparam("campaign_id"))


def claim_params(rules: CampaignRules, now: datetime, opened: OpenZones | None = None,
                 arrays: bool = False, ready_agents: Collection[str] | None = None,
                 exempt_only: OpenZones | None = None) -> dict[str, Any]:
    """The values of the bound parameters of the conditions and candidate queries, at `now`, with `opened`'s
    subdivisions and `exempt_only`'s (as `zone_filter` with `arrays` takes them); with `ready_agents`, a callback
    still in its grace period is a candidate only if the agent who booked it is among them (see `callback_query`)."""
    profile = rules.profile
    ready = sorted(ready_agents or ())
    return {"now": now, "refused_before": now - profile.refusal_cooloff, "dialled_since": now - profile.period,
            "grace_over": now - rules.settings.callback_grace, "any_agent": ready_agents is None,
            "ready_agents": ready if arrays else json.dumps(ready),
            **({} if opened is None else opened.params(arrays)),
            **({} if exempt_only is None else exempt_only.params(arrays))}


def zone_filter(shape: Shape, arrays: bool = False, prefix: str = "zone") -> ColumnElement[bool]:
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
            return Lead.subdivision == any_(bindparam(zone_param(group, prefix), type_=ARRAY(String())))
        listed = func.json_each(bindparam(zone_param(group, prefix), type_=String())).table_valued("value")
        return Lead.subdivision.in_(select(listed.c.value))

    return or_(*(and_(Lead.timezone == tz, Lead.country == country, among(i))
                 for i, (tz, country) in enumerate(shape)))


def eligible(rules: CampaignRules, shape: Shape, consent: bool, arrays: bool = False,
             exempt_shape: Shape = ()) -> list[ColumnElement[bool]]:
    """Conditions every dialable lead meets, whatever its bucket (bound parameters: see `claim_params`);
    `shape`: `OpenZones.shape` of the open zones; `exempt_shape`: of the zones open only to callees whose consent
    lifts the profile's days and hours (`campaigns.zones.exempt_only_zones`); `arrays`: see `zone_filter`."""
    zone = zone_filter(shape, arrays)
    if exempt_shape:
        exempt = and_(zone_filter(exempt_shape, arrays, EXEMPT_PREFIX),
                      hours_exempt_clause(now_param(), rules.client_id))
        zone = or_(zone, exempt) if shape else exempt
    conditions = [Lead.campaign_id == rules.campaign_id, Lead.claimed_by == "", zone]
    if consent:
        conditions.append(callable_clause(now_param(), rules.profile.contract_exemption, rules.client_id))
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
    due = Lead.next_attempt_at <= now_param()
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
                   limit: int | ColumnElement[Any], arrays: bool = False) -> CallbackCandidates:
    """Due personal callbacks, oldest first, with their lead locked (PostgreSQL).

    One still in its grace period waits, unclaimed, while the agent who booked it is not ready (bound
    `ready_agents`, see `claim_params`): claimed, it would take a line from the leads behind it at every claim.
    """
    return (
        select(Lead.id, Lead.phone_e164, Callback.id.label("callback_id"), Callback.agent, Callback.due_at)
        .join(Lead, Lead.id == Callback.lead_id)
        .where(
            *conditions,
            Callback.campaign_id == rules.campaign_id,
            Callback.status == "pending",
            Callback.due_at <= now_param(),
            Lead.status == "callback",
            _for_a_ready_agent(arrays),
        )
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Lead)
    )


def _for_a_ready_agent(arrays: bool) -> ColumnElement[bool]:
    """A callback anyone may take (booked by nobody, or its grace period over), or whose agent is ready; every
    callback when the claim names no ready agents (`any_agent`). The list bound as `zone_filter`'s are."""
    if arrays:
        ready = Callback.agent == any_(bindparam("ready_agents", type_=ARRAY(String())))
    else:
        listed = func.json_each(bindparam("ready_agents", type_=String())).table_valued("value")
        ready = Callback.agent.in_(select(listed.c.value))
    grace_over = bindparam("grace_over", type_=UTCDateTime())
    return or_(bindparam("any_agent", type_=Boolean()), Callback.agent == "", Callback.due_at <= grace_over, ready)


def waiting_for(rules: CampaignRules, row: Any, now: datetime) -> str:
    """Within the grace period a callback waits for the agent who booked it; then anyone takes it."""
    return str(row.agent) if now < row.due_at + rules.settings.callback_grace else ""
