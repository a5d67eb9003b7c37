"""PostgreSQL's claim in one statement: pick, check the frequency cap, claim, journal and return the dial data.

One round trip instead of one per bucket plus the cap lookup. The statement, as common table expressions:
- `cb`, `re1`, `nw`, `re2`: due callbacks, the retries' share, fresh leads, then retries again to fill what
  fresh leads left; each `FOR UPDATE SKIP LOCKED`, each LIMIT computed from the rows the earlier ones found,
  the same quotas as the bucket-by-bucket claim on SQLite;
- `picked`: their union, each with `capped_since`, the dial that makes its number reach the cap across the
  client's campaigns (NULL when the cap does not bind: the lead may be dialled);
- `claimed`: the UPDATE that claims the others (a HOT update: no index covers the claim columns);
- `held`: the UPDATE that reschedules the capped ones for when the cap allows;
- the INSERT of the claims into the journal.
The result is every picked row, with the claimed lead's columns when it was claimed, in dialling order.

Everything that changes from one claim to the next is a bound parameter (`claim_params`, with the open
subdivisions, plus `wanted` and `dialer`), so the statement is built once per campaign, open (time zone, country)
groups and consent rule and kept: building it
costs more Python time than running it costs the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    Connection,
    Integer,
    Interval,
    Row,
    ScalarSelect,
    Select,
    String,
    bindparam,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from campaigns.candidates import CAMPAIGN_ROW, Candidates, bucket_query, callback_query, eligible, waiting_for
from campaigns.claimer import Round
from campaigns.models import Attempt, Campaign, LeadClaim
from campaigns.rules import CampaignRules
from campaigns.zones import Shape
from config.orm import UTCDateTime
from leads.models import Lead


def _count(cte: Any) -> ScalarSelect[Any]:
    return select(func.count()).select_from(cte).scalar_subquery()


def _take(candidates: Candidates, limit: ColumnElement[Any], name: str) -> Any:
    """The first `limit` rows of a candidate query whose own LIMIT is the batch size.

    The inner LIMIT gives the planner a small row estimate (with only the computed one it assumes a tenth of the
    table, plans for that and may compile the statement with JIT); rows are locked as the outer LIMIT pulls
    them, so no more than `limit` rows are locked.
    """
    return select(candidates.subquery()).limit(limit).cte(name).prefix_with("MATERIALIZED")


def _buckets(rules: CampaignRules, conditions: list[ColumnElement[bool]]) -> Any:
    """The union of the four candidate sets, with their bucket rank for the dialling order."""
    wanted = bindparam("wanted", type_=Integer())
    cb = callback_query(conditions, rules, wanted, arrays=True).cte("cb").prefix_with("MATERIALIZED")
    rest = wanted - _count(cb)
    share = literal(rules.settings.hopper_fresh_share)
    # round() of a double rounds half to even in PostgreSQL, as Python's round() does.
    re1 = _take(bucket_query(conditions, "retry", wanted), rest - func.round(rest * share).cast(Integer), "re1")
    nw = _take(bucket_query(conditions, "new", wanted), rest - _count(re1), "nw")
    # Our own locks do not make SKIP LOCKED skip re1's rows: leave them out by id.
    again = bucket_query(conditions, "retry", wanted).where(Lead.id.not_in(select(re1.c.id)))
    re2 = _take(again, rest - _count(re1) - _count(nw), "re2")
    parts: list[Select[Any]] = [select(cb.c.id, cb.c.phone_e164, literal_column("0").label("rank"), cb.c.callback_id,
                                       cb.c.agent, cb.c.due_at, null().label("priority"),
                                       null().label("next_attempt_at"))]
    for rank, bucket in ((1, re1), (2, re2), (3, nw)):
        parts.append(select(bucket.c.id, bucket.c.phone_e164, literal_column(str(rank)), null(), null(), null(),
                            bucket.c.priority, bucket.c.next_attempt_at))
    return union_all(*parts).cte("candidates")


def _build(rules: CampaignRules, shape: Shape, consent: bool, exempt_shape: Shape) -> Select[Any]:
    candidates = _buckets(rules, eligible(rules, shape, consent, arrays=True, exempt_shape=exempt_shape))
    profile = rules.profile
    capped_since: Any = null()
    if profile.max_solicitations is not None:
        # The cap-th latest dial of the number within the period: with it, the cap binds until it is a period old.
        capped_since = (
            select(Attempt.created_at)
            .where(
                Attempt.phone_e164 == candidates.c.phone_e164,
                Attempt.created_at > bindparam("dialled_since", type_=UTCDateTime()),
                Attempt.campaign_id.in_(select(Campaign.id).where(Campaign.client_id == rules.client_id)),
            )
            .order_by(Attempt.created_at.desc())
            .offset(profile.max_solicitations - 1)
            .limit(1)
            .scalar_subquery()
        )
    picked = select(candidates, capped_since.label("capped_since")).cte("picked").prefix_with("MATERIALIZED")
    dialer, now = bindparam("dialer", type_=String()), bindparam("now", type_=UTCDateTime())
    claimed = (
        update(Lead)
        .where(Lead.id == picked.c.id, picked.c.capped_since.is_(None), Lead.claimed_by == "")
        .values(claimed_by=dialer, claimed_at=now)
        .returning(Lead.id, Lead.attempts, Lead.phone_e164, Lead.timezone, Lead.country, Lead.subdivision)
        .cte("claimed")
    )
    # Only when a cap applies: the leads it holds back wait, unclaimed, until it allows a dial again.
    held = [
        update(Lead)
        .where(Lead.id == picked.c.id, picked.c.capped_since.is_not(None), Lead.claimed_by == "")
        .values(next_attempt_at=picked.c.capped_since + literal(profile.period, Interval))
        .returning(Lead.id)
        .cte("held")
    ] if profile.max_solicitations is not None else []
    journal = insert(LeadClaim).from_select(["lead_id", "dialer_id", "claimed_at"], select(claimed.c.id, dialer, now))
    journal = journal.on_conflict_do_update(
        index_elements=[LeadClaim.lead_id],
        set_={"dialer_id": journal.excluded.dialer_id, "claimed_at": journal.excluded.claimed_at},
    )
    return (
        select(picked.c.id, picked.c.callback_id, picked.c.agent, picked.c.due_at, picked.c.capped_since,
               claimed.c.attempts, claimed.c.phone_e164, claimed.c.timezone, claimed.c.country,
               claimed.c.subdivision)
        .outerjoin_from(picked, claimed, claimed.c.id == picked.c.id)
        .add_cte(*held, journal.returning(LeadClaim.lead_id).cte("journal"))
        .order_by(picked.c.rank, picked.c.due_at, picked.c.callback_id, picked.c.priority.desc(),
                  picked.c.next_attempt_at, picked.c.id)
    )


# (campaign, client, profile, fresh share, open (time zone, country) groups, consent rule, groups open only to
# callees exempt from the profile's hours) → statement; a handful per campaign a day: which subdivisions of a
# group are open is a bound parameter.
_STATEMENTS: dict[tuple[Any, ...], PgClaim] = {}


def claim_statement(rules: CampaignRules, shape: Shape, consent: bool, exempt_shape: Shape = ()) -> PgClaim:
    """The statement of one claim round (see the module's docstring), built once per shape (`OpenZones.shape`)."""
    key = (rules.campaign_id, rules.client_id, rules.profile, rules.settings.hopper_fresh_share, shape, consent,
           exempt_shape)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) > 1000:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = PgClaim(_build(rules, shape, consent, exempt_shape))
    return statement


@dataclass(frozen=True)
class PgClaim:
    """One campaign shape's claim statement (`campaigns.claimer.ClaimStatements`)."""

    statement: Select[Any]

    def round(self, conn: Connection, rules: CampaignRules, params: dict[str, Any], wanted: int,
              dialer_id: str, callbacks_due: bool = True) -> Round:
        """One claim round, in one statement; the callbacks' part always runs."""
        rows = conn.execute(self.statement, {**params, "wanted": wanted, "dialer": dialer_id}).all()
        now = params["now"]
        batch = [row for row in rows if row.attempts is not None]
        agents = {row.id: (row.callback_id, waiting_for(rules, row, now)) for row in batch
                  if row.callback_id is not None}
        return batch, agents, any(row.capped_since is not None for row in rows)

    def queries(self, params: dict[str, Any], n: int, dialer_id: str) -> dict[str, ClauseElement]:
        """The whole claim statement, with its parameters bound."""
        return {"claim": self.statement.params(**params, wanted=n, dialer=dialer_id)}


class PgClaimer:
    """PostgreSQL's claimer (`campaigns.claimer.Claimer`)."""

    arrays = True

    def campaign_row(self, conn: Connection, campaign_id: int, now: datetime) -> Row[Any] | None:
        """The campaign's columns; whether a callback is due is left to the claim statement (always True)."""
        return conn.execute(_CAMPAIGN_ROW, {"campaign_id": campaign_id}).one_or_none()

    def statements(self, rules: CampaignRules, shape: Shape, consent: bool, exempt_shape: Shape = ()) -> PgClaim:
        return claim_statement(rules, shape, consent, exempt_shape)


_CAMPAIGN_ROW = CAMPAIGN_ROW.add_columns(true())
