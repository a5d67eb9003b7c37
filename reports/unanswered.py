"""The attempts no person answered (two-thirds of a campaign's), read as cheaply as the database allows.

The figures read only their lead, agent, zone, outcome and dial time. The database packs the last four into one
integer per attempt (`reports.packing`: dial time in ms, zone, outcome, agent), so the driver hands back two
integers a row instead of five values, and numpy unpacks them in bulk. A row with a zone, outcome or agent outside
the known lists is read again plainly (the five columns): the packing is a shortcut, never a filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, case, cast, func, select
from sqlalchemy.orm import Session

from campaigns.models import Attempt
from dialer.models import AgentRecord
from leads.models import Lead
from reports.frame_io import category_index, epoch, raw_columns
from reports.kpis import HUMAN_OUTCOMES
from reports.packing import Layout, category, concatenated, read_packed, widths

# Every outcome an unanswered attempt may have ("" while the call is live).
OUTCOMES = ("", "no_answer", "busy", "congestion", "invalid", "machine", "failed")
WORDS: Layout = ((("created_ms", 43), ("zone_code", 8), ("outcome_code", 4), ("agent_code", 8)),)
BITS = widths(WORDS)
PLAIN_COLUMNS = ["lead_id", "agent", "callee_tz", "outcome", "created_at"]


@dataclass(frozen=True)
class Unanswered:
    """The unanswered attempts' columns: `created_ms` is the dial time in ms since 1970 (UTC)."""

    lead_id: np.ndarray
    agent: pd.Categorical
    callee_tz: pd.Categorical
    outcome: pd.Categorical
    created_ms: np.ndarray


def lead_zones(session: Session, campaign_id: int) -> tuple[str, ...]:
    """The zones of the campaign's leads, sorted: what an attempt's `callee_tz` normally is one of."""
    return tuple(sorted(session.scalars(select(Lead.timezone).where(Lead.campaign_id == campaign_id).distinct())))


def known_agents(session: Session, campaign_id: int, most: int) -> list[str]:
    """No agent (""), then the logins the dialer knows, `most` in all: what an attempt's `agent` normally is.

    The campaign's own agents come first: the database tries the codes in this order on every row."""
    r = AgentRecord
    own_first = case((r.campaign_id == campaign_id, 0), else_=1)
    logins = session.scalars(select(r.login).where(r.login != "").order_by(own_first, r.id).limit(most - 1))
    return ["", *logins]


def _where(query: Any, campaign_id: int, since: datetime, until: datetime) -> Any:
    a = Attempt
    return query.where(a.campaign_id == campaign_id, a.created_at >= since, a.created_at < until,
                       a.outcome.not_in(HUMAN_OUTCOMES))  # fmt: skip


def _plain_columns(a: type[Attempt], dialect: str) -> list[Any]:
    return [a.lead_id.label("lead_id"), a.agent.label("agent"), a.callee_tz.label("callee_tz"),
            a.outcome.label("outcome"), epoch(a.created_at, dialect).label("created_at")]  # fmt: skip


def _from_plain(raw: dict[str, Sequence[Any]]) -> Unanswered:
    return Unanswered(np.array(raw["lead_id"], dtype="int64"), pd.Categorical(raw["agent"]),
                      pd.Categorical(raw["callee_tz"]), pd.Categorical(raw["outcome"]),
                      np.round(np.array(raw["created_at"], dtype="float64") * 1e3).astype("int64"))  # fmt: skip


def load_unanswered_plainly(session: Session, campaign_id: int, since: datetime, until: datetime) -> Unanswered:
    """What `load_unanswered` gives, from the five columns as stored (the reference its packing is held to)."""
    plain = _where(select(*_plain_columns(Attempt, session.get_bind().dialect.name)), campaign_id, since, until)
    return _from_plain(raw_columns(session, plain, PLAIN_COLUMNS))


def load_unanswered(session: Session, campaign_id: int, since: datetime, until: datetime,
                    zones: Sequence[str] | None = None) -> Unanswered:
    """The campaign's attempts created in [since, until) whose outcome is not a human answer (`zones`: the leads'
    zones, if already read)."""
    a, dialect = Attempt, session.get_bind().dialect.name
    zones = list(lead_zones(session, campaign_id) if zones is None else zones)[: 2 ** BITS["zone_code"] - 2]
    if not zones:  # no lead, so no attempt (and an empty CASE is no SQL)
        return load_unanswered_plainly(session, campaign_id, since, until)
    agents = known_agents(session, campaign_id, 2 ** BITS["agent_code"] - 2)
    values = [cast(func.round(epoch(a.created_at, dialect) * 1000.0), BigInteger).label("created_ms"),
              category_index(a.callee_tz, zones).label("zone_code"),
              category_index(a.outcome, OUTCOMES).label("outcome_code"),
              category_index(a.agent, agents).label("agent_code")]  # fmt: skip
    read = read_packed(session, lambda query: _where(query, campaign_id, since, until), a.lead_id,
                       _plain_columns(a, dialect), values, WORDS)  # fmt: skip
    f = read.fields
    fast = Unanswered(read.key, category(f["agent_code"], agents), category(f["zone_code"], zones),
                      category(f["outcome_code"], OUTCOMES), f["created_ms"] - 2)  # fmt: skip
    return fast if read.rest is None else concatenated(fast, _from_plain(read.rest))
