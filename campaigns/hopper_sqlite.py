"""SQLite's claim, bucket by bucket: due callbacks, the retries' share, fresh leads, retries again, then the cap.

Each bucket is one UPDATE … RETURNING over its candidate query, during which SQLite holds its single write lock,
so two dialers never race between reading and claiming. The dialer claims a lead or three every two seconds:
what a claim cost was mostly Python building, keying and compiling statements, not SQLite running them. So the
statements are built once per campaign shape (campaign, client, profile, open (time zone, country) groups,
consent rule) and kept, so that SQLAlchemy reuses their memoised cache key; everything that changes from one
claim to the next is a bound parameter (the open subdivisions too, one JSON list per group); they run on the
connection, not through the ORM's execute (about 100 us more per statement); and the callbacks' query runs
only when the campaign row said a callback is due.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ClauseElement, Connection, Integer, Row, String, Update, bindparam, exists, select, update

from campaigns.candidates import (
    CAMPAIGN_ROW,
    CallbackCandidates,
    bucket_query,
    callback_query,
    eligible,
    now_param,
    waiting_for,
)
from campaigns.claimer import Round
from campaigns.journal import note_claims
from campaigns.models import Attempt, Callback, Campaign
from campaigns.profiles import cap_allows_from
from campaigns.rules import CampaignRules
from campaigns.zones import Shape
from config.orm import UTCDateTime
from leads.models import Lead

# What a claim returns of each lead: enough to order the batch, check the cap and build the DialTarget.
_RETURNED = (Lead.id, Lead.attempts, Lead.phone_e164, Lead.timezone, Lead.country, Lead.subdivision, Lead.priority,
             Lead.next_attempt_at)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The campaign's row, with whether a callback is due (an index seek), so that most claims skip the callbacks' query.
_CAMPAIGN_ROW = CAMPAIGN_ROW.add_columns(exists().where(
    Callback.campaign_id == bindparam("campaign_id"), Callback.status == "pending", Callback.due_at <= now_param(),
))


def _claiming(target: Any) -> Update:
    """Claim the leads `target` names, unless another dialer got them first, returning what the dialer needs."""
    return (
        update(Lead)
        .where(Lead.id.in_(target), Lead.claimed_by == "")
        .values(claimed_by=bindparam("dialer", type_=String()), claimed_at=bindparam("now", type_=UTCDateTime()))
        .returning(*_RETURNED)
        .execution_options(synchronize_session=False)
    )


# The callbacks' leads by id (bound parameter `ids`).
_CLAIM_IDS = _claiming(bindparam("ids", expanding=True, type_=Integer()))
# The client's dials of some numbers within the cap's period (bound: `phones`, `since`, `client`).
_DIALS = select(Attempt.phone_e164, Attempt.created_at).where(
    Attempt.phone_e164.in_(bindparam("phones", expanding=True, type_=String())),
    Attempt.created_at > bindparam("since", type_=UTCDateTime()),
    Attempt.campaign_id.in_(select(Campaign.id).where(Campaign.client_id == bindparam("client", type_=Integer()))),
)
# A lead the cap holds back: unclaimed and scheduled for when the cap allows (bound: `lead`, `allowed`).
_HOLD_BACK = (
    update(Lead)
    .where(Lead.id == bindparam("lead", type_=Integer()))
    .values(claimed_by="", claimed_at=None, next_attempt_at=bindparam("allowed", type_=UTCDateTime()))
    .execution_options(synchronize_session=False)
)
_LIMIT = "limit"


@dataclass(frozen=True)
class SqliteClaim:
    """The statements of one campaign shape's claim; `of` builds them once and keeps them."""

    callbacks: CallbackCandidates
    buckets: dict[str, Update]
    candidates: dict[str, Any]

    @classmethod
    def of(cls, rules: CampaignRules, shape: Shape, consent: bool, exempt_shape: Shape = ()) -> SqliteClaim:
        """The statements for this campaign, open (time zone, country) groups, consent rule and groups open only
        to callees exempt from the profile's hours."""
        key = (rules.campaign_id, rules.client_id, rules.profile, shape, consent, exempt_shape)
        found = _STATEMENTS.get(key)
        if found is None:
            if len(_STATEMENTS) > 1000:
                _STATEMENTS.clear()
            conditions = eligible(rules, shape, consent, exempt_shape=exempt_shape)
            limit = bindparam(_LIMIT, type_=Integer())
            candidates = {status: bucket_query(conditions, status, limit) for status in ("retry", "new")}
            found = _STATEMENTS[key] = cls(
                callback_query(conditions, rules, limit),
                {status: _claiming(select(query.subquery().c.id)) for status, query in candidates.items()},
                candidates,
            )
        return found

    def round(self, conn: Connection, rules: CampaignRules, params: dict[str, Any], wanted: int,
              dialer_id: str, callbacks_due: bool = True) -> Round:
        """One claim round: callbacks (if `callbacks_due`), then the campaign's mix of retries and fresh leads,
        then the cap."""
        now = params["now"]
        params = {**params, "dialer": dialer_id}
        batch, agents = self._callbacks(conn, rules, params, wanted) if callbacks_due else ([], {})
        rest = wanted - len(batch)
        fresh_quota = round(rest * rules.settings.hopper_fresh_share)
        # Claimed rows no longer match `claimed_by = ''`, so later buckets cannot pick them again.
        retries = self._bucket(conn, "retry", params, rest - fresh_quota)
        fresh = self._bucket(conn, "new", params, rest - len(retries))
        if len(retries) + len(fresh) < rest:
            retries += self._bucket(conn, "retry", params, rest - len(retries) - len(fresh))
        batch += retries + fresh
        blocked = _hold_back_over_cap(conn, rules, batch, now) if batch else set()
        chosen = [row for row in batch if row.id not in blocked]
        note_claims(conn, (row.id for row in chosen), dialer_id, now)
        return chosen, agents, bool(blocked)

    def _bucket(self, conn: Connection, status: str, params: dict[str, Any], limit: int) -> list[Any]:
        """Claim up to `limit` leads of one bucket; their rows in dialling order."""
        if limit <= 0:
            return []
        rows = conn.execute(self.buckets[status], {**params, _LIMIT: limit})
        return sorted(rows, key=_dialling_order)

    def _callbacks(self, conn: Connection, rules: CampaignRules, params: dict[str, Any],
                   limit: int) -> tuple[list[Any], dict[int, tuple[int, str]]]:
        """Due personal callbacks, oldest first: their lead rows, and lead id → (callback id, agent)."""
        if limit <= 0:
            return [], {}
        rows = conn.execute(self.callbacks, {**params, _LIMIT: limit}).all()
        if not rows:
            return [], {}
        claimed = {row.id: row for row in conn.execute(_CLAIM_IDS, {**params, "ids": [r.id for r in rows]})}
        now = params["now"]
        agents = {r.id: (r.callback_id, waiting_for(rules, r, now)) for r in rows if r.id in claimed}
        return [claimed[r.id] for r in rows if r.id in claimed], agents


    def queries(self, params: dict[str, Any], n: int, dialer_id: str) -> dict[str, ClauseElement]:
        """The two candidate queries, with their parameters bound."""
        return {status: self.candidates[status].params(**params, **{_LIMIT: n}) for status in ("retry", "new")}


class SqliteClaimer:
    """SQLite's claimer (`campaigns.claimer.Claimer`)."""

    arrays = False

    def campaign_row(self, conn: Connection, campaign_id: int, now: datetime) -> Row[Any] | None:
        """The campaign's columns and whether a callback is due."""
        return conn.execute(_CAMPAIGN_ROW, {"campaign_id": campaign_id, "now": now}).one_or_none()

    def statements(self, rules: CampaignRules, shape: Shape, consent: bool, exempt_shape: Shape = ()
                   ) -> SqliteClaim:
        return SqliteClaim.of(rules, shape, consent, exempt_shape)


# (campaign, client, profile, open (time zone, country) groups, consent rule, groups open to the exempt only)
# → statements.
_STATEMENTS: dict[tuple[Any, ...], SqliteClaim] = {}


def _dialling_order(row: Any) -> tuple[int, bool, datetime, int]:
    return (-row.priority, row.next_attempt_at is None, row.next_attempt_at or EPOCH, row.id)


def over_cap(conn: Connection, rules: CampaignRules, leads: list[Any], now: datetime) -> dict[int, datetime]:
    """Claimed leads whose number reached the profile's cap across the client's campaigns → when allowed again."""
    profile = rules.profile
    if profile.max_solicitations is None or not leads:
        return {}
    dials: dict[str, list[datetime]] = defaultdict(list)
    params = {"phones": sorted({lead.phone_e164 for lead in leads}), "since": now - profile.period,
              "client": rules.client_id}
    for phone, at in conn.execute(_DIALS, params):
        dials[phone].append(at)
    blocked = {}
    for lead in leads:
        allowed = cap_allows_from(dials[lead.phone_e164], profile)
        if allowed is not None and allowed > now:
            blocked[lead.id] = allowed
    return blocked


def _hold_back_over_cap(conn: Connection, rules: CampaignRules, batch: list[Any], now: datetime) -> set[int]:
    """Unclaim the leads whose number reached the cap, and schedule them for when the cap allows."""
    blocked = over_cap(conn, rules, batch, now)
    for lead_id, allowed in blocked.items():
        conn.execute(_HOLD_BACK, {"lead": lead_id, "allowed": allowed})
    return set(blocked)
