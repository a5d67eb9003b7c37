"""The attempts no person answered (two-thirds of a campaign's), read as cheaply as the database allows.

The figures read only their lead, agent, zone, outcome and dial time. The database packs the last three into one
integer per attempt (`time in ms × 4096 + zone × 16 + outcome`), so the driver hands back three plain values a
row instead of five, and numpy unpacks them in bulk. A zone or outcome outside the known lists (a code of 0)
sends the whole read to the plain five-column query: the packing is a shortcut, never a filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from campaigns.models import Attempt
from leads.models import Lead
from reports.frame_io import category_index, epoch, raw_columns
from reports.kpis import HUMAN_OUTCOMES

# Every outcome an unanswered attempt may have ("" while the call is live).
OUTCOMES = ("", "no_answer", "busy", "congestion", "invalid", "machine", "failed")
ZONE_BITS, OUTCOME_BITS = 8, 4


@dataclass(frozen=True)
class Unanswered:
    """The unanswered attempts' columns: `created_ms` is the dial time in ms since 1970 (UTC)."""

    lead_id: np.ndarray
    agent: pd.Categorical
    callee_tz: pd.Categorical
    outcome: pd.Categorical
    created_ms: np.ndarray


def _code(column: Any, values: Sequence[str]) -> Any:
    """1 + the index of the column's value in `values`, 0 when it is none of them."""
    return category_index(column, values) + 1


def lead_zones(session: Session, campaign_id: int) -> tuple[str, ...]:
    """The zones of the campaign's leads, sorted: what an attempt's `callee_tz` normally is one of."""
    return tuple(sorted(session.scalars(select(Lead.timezone).where(Lead.campaign_id == campaign_id).distinct())))


def _where(query: Any, campaign_id: int, since: datetime, until: datetime) -> Any:
    a = Attempt
    return query.where(a.campaign_id == campaign_id, a.created_at >= since, a.created_at < until,
                       a.outcome.not_in(HUMAN_OUTCOMES))  # fmt: skip


def _plain(session: Session, campaign_id: int, since: datetime, until: datetime) -> Unanswered:
    a, dialect = Attempt, session.get_bind().dialect.name
    query = _where(select(a.lead_id, a.agent, a.callee_tz, a.outcome, epoch(a.created_at, dialect)),
                   campaign_id, since, until)  # fmt: skip
    raw = raw_columns(session, query, ["lead_id", "agent", "callee_tz", "outcome", "at"])
    return Unanswered(np.array(raw["lead_id"], dtype="int64"), pd.Categorical(raw["agent"]),
                      pd.Categorical(raw["callee_tz"]), pd.Categorical(raw["outcome"]),
                      np.round(np.array(raw["at"], dtype="float64") * 1e3).astype("int64"))  # fmt: skip


def _categories(codes: np.ndarray, values: tuple[str, ...]) -> pd.Categorical:
    # Only the values present, as a categorical read from text has: a grouping never shows an empty one.
    return pd.Categorical.from_codes(codes, categories=list(values)).remove_unused_categories()


def load_unanswered(session: Session, campaign_id: int, since: datetime, until: datetime,
                    zones: Sequence[str] | None = None) -> Unanswered:
    """The campaign's attempts created in [since, until) whose outcome is not a human answer (`zones`: the leads'
    zones, sorted, if already read)."""
    a, dialect = Attempt, session.get_bind().dialect.name
    zones = tuple(lead_zones(session, campaign_id) if zones is None else zones)
    if not zones or len(zones) >= 2**ZONE_BITS:  # no lead (an empty CASE is no SQL), or too many zones to pack
        return _plain(session, campaign_id, since, until)
    ms = cast(func.round(epoch(a.created_at, dialect) * 1000.0), BigInteger)
    packed = type_coerce(ms * 2 ** (ZONE_BITS + OUTCOME_BITS) + _code(a.callee_tz, zones) * 2**OUTCOME_BITS
                         + _code(a.outcome, OUTCOMES), BigInteger)  # fmt: skip
    raw = raw_columns(session, _where(select(a.lead_id, a.agent, packed), campaign_id, since, until),
                      ["lead_id", "agent", "packed"])  # fmt: skip
    values = np.array(raw["packed"], dtype="int64")
    zone_codes = (values >> OUTCOME_BITS) & (2**ZONE_BITS - 1)
    outcome_codes = values & (2**OUTCOME_BITS - 1)
    if (zone_codes == 0).any() or (outcome_codes == 0).any():  # a value the lists do not know: read it plainly
        return _plain(session, campaign_id, since, until)
    return Unanswered(np.array(raw["lead_id"], dtype="int64"), pd.Categorical(raw["agent"]),
                      _categories(zone_codes - 1, zones), _categories(outcome_codes - 1, OUTCOMES),
                      values >> (ZONE_BITS + OUTCOME_BITS))  # fmt: skip
