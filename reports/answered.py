"""The human answers (connected or dropped calls, a third of a campaign's attempts), read as four integers a row.

The figures read ten values of each: lead, zone, outcome, agent, disposition, talk and wrap-up, and the dial,
answer and end times. The database packs them (`reports.packing`) into three integers besides the lead:

- dial time in ms since 1970, zone, outcome, disposition;
- answer and end, in ms after the dial; agent;
- talk and wrap-up in µs.

Codes are indexes into lists known before the read (the leads' zones, the agents' logins, the campaign's
dispositions). A row with a value that cannot be packed exactly (a code not in the lists, a time out of range, a
duration that is not a whole number of µs) is read again plainly (the ten columns), so the frames are those of a
plain read whatever is stored: the packing is a shortcut, never a filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Float, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from campaigns.dispositions import dispositions_for
from campaigns.models import Attempt, Campaign
from reports.frame_io import category_index, epoch, floats, raw_columns
from reports.kpis import HUMAN_OUTCOMES
from reports.packing import Layout, category, concatenated, read_packed, value, widths
from reports.unanswered import known_agents, lead_zones

WORDS: Layout = (
    (("created_ms", 43), ("zone_code", 8), ("outcome_code", 2), ("disposition_code", 7)),
    (("answered_ms", 24), ("ended_ms", 26), ("agent_code", 13)),  # answer up to 4.6 h after the dial, end 18.6 h
    (("talk_us", 33), ("wrap_us", 30)),  # talk up to 2.3 h, wrap-up 17 min
)
BITS = widths(WORDS)
PLAIN_COLUMNS = ["lead_id", "callee_tz", "outcome", "agent", "disposition", "talk_s", "wrap_s", "created_at",
                 "answered_at", "ended_at"]  # fmt: skip


@dataclass(frozen=True)
class Answered:
    """The human answers' columns: times in ms since 1970 (UTC), NaN where empty; talk and wrap-up in seconds."""

    lead_id: np.ndarray
    callee_tz: pd.Categorical
    outcome: pd.Categorical
    agent: pd.Categorical
    disposition: pd.Categorical
    talk_s: np.ndarray
    wrap_s: np.ndarray
    created_ms: np.ndarray
    answered_ms: np.ndarray
    ended_ms: np.ndarray


def _where(query: Any, campaign_id: int, since: datetime, until: datetime) -> Any:
    a = Attempt
    return query.where(a.campaign_id == campaign_id, a.created_at >= since, a.created_at < until,
                       a.outcome.in_(HUMAN_OUTCOMES))  # fmt: skip


def _ms(column: Any, dialect: str) -> Any:
    # As `frame_io.moments` rounds epoch seconds to the ms (the same double, the same rounding to even on PG;
    # SQLite keeps times to the ms, so no tie arises there).
    return cast(func.round(epoch(column, dialect) * 1000.0), BigInteger)


def _microseconds(column: Any, bits: int) -> Any:
    """The seconds as a whole number of µs when dividing it back by 10⁶ gives the stored double exactly, -1 when
    not (a value numpy would not rebuild), NULL for NULL."""
    us = cast(func.round(column * 1e6), BigInteger)
    # One WHEN after the other (a CASE keeps that order, AND may not): never a cast of a value out of range.
    return case((column.is_(None), None), (or_(column < 0, column >= 2**bits / 1e6), -1),
                (type_coerce(cast(us, Float) / 1e6, Float) == column, us), else_=-1)  # fmt: skip


def _values(a: type[Attempt], dialect: str, zones: Sequence[str], agents: Sequence[str],
            dispositions: Sequence[str]) -> list[Any]:
    """Each field's value (before packing), labelled with its name: what the subquery computes once a row."""
    return [
        _ms(a.created_at, dialect).label("created_ms"), category_index(a.callee_tz, zones).label("zone_code"),
        category_index(a.outcome, HUMAN_OUTCOMES).label("outcome_code"),
        category_index(a.disposition, dispositions).label("disposition_code"),
        _ms(a.answered_at, dialect).label("answered_ms"),
        case((a.outcome == "connected", _ms(a.ended_at, dialect)), else_=None).label("ended_ms"),
        category_index(a.agent, agents).label("agent_code"),
        _microseconds(a.talk_s, BITS["talk_us"]).label("talk_us"),
        _microseconds(a.wrap_s, BITS["wrap_us"]).label("wrap_us"),
    ]  # fmt: skip


def _offset_ms(created: np.ndarray, code: np.ndarray) -> np.ndarray:
    return created + value(code)


def _from_packed(lead_id: np.ndarray, f: dict[str, np.ndarray], zones: Sequence[str], agents: Sequence[str],
                 dispositions: Sequence[str]) -> Answered:
    created = f["created_ms"] - 2
    return Answered(lead_id, category(f["zone_code"], zones), category(f["outcome_code"], HUMAN_OUTCOMES),
                    category(f["agent_code"], agents), category(f["disposition_code"], dispositions),
                    value(f["talk_us"]) / 1e6, value(f["wrap_us"]) / 1e6, created,
                    _offset_ms(created, f["answered_ms"]), _offset_ms(created, f["ended_ms"]))  # fmt: skip


def _from_plain(raw: dict[str, Sequence[Any]]) -> Answered:
    def ms(name: str) -> np.ndarray:
        return np.round(floats(raw[name]) * 1e3)

    return Answered(np.array(raw["lead_id"], dtype="int64"), pd.Categorical(raw["callee_tz"]),
                    pd.Categorical(raw["outcome"]), pd.Categorical(raw["agent"]), pd.Categorical(raw["disposition"]),
                    floats(raw["talk_s"]), floats(raw["wrap_s"]), ms("created_at").astype("int64"),
                    ms("answered_at"), ms("ended_at"))  # fmt: skip


def _plain_columns(a: type[Attempt], dialect: str) -> list[Any]:
    """The ten columns as they are stored (times as epoch seconds), one per value: the reference read."""
    stored = [getattr(a, name).label(name) for name in PLAIN_COLUMNS[:7]]
    return [*stored, epoch(a.created_at, dialect).label("created_at"),
            epoch(a.answered_at, dialect).label("answered_at"),
            case((a.outcome == "connected", epoch(a.ended_at, dialect)), else_=None).label("ended_at")]  # fmt: skip


def _known_dispositions(session: Session, campaign_id: int) -> list[str]:
    codes = dispositions_for(session.get_one(Campaign, campaign_id).settings or {})
    return ["", *(code for code in codes if code)][: 2 ** BITS["disposition_code"] - 2]


def load_answered_plainly(session: Session, campaign_id: int, since: datetime, until: datetime) -> Answered:
    """What `load_answered` gives, from the ten columns as stored (the reference its packing is held to)."""
    plain = _where(select(*_plain_columns(Attempt, session.get_bind().dialect.name)), campaign_id, since, until)
    return _from_plain(raw_columns(session, plain, PLAIN_COLUMNS))


def load_answered(session: Session, campaign_id: int, since: datetime, until: datetime,
                  zones: Sequence[str] | None = None) -> Answered:
    """The campaign's human answers created in [since, until) (`zones`: the leads' zones, if already read)."""
    a, dialect = Attempt, session.get_bind().dialect.name
    zones = list(lead_zones(session, campaign_id) if zones is None else zones)[: 2 ** BITS["zone_code"] - 2]
    agents = known_agents(session, campaign_id, 2 ** BITS["agent_code"] - 2)
    dispositions = _known_dispositions(session, campaign_id)
    if not zones:  # no lead, so no attempt (and an empty CASE is no SQL)
        return load_answered_plainly(session, campaign_id, since, until)
    read = read_packed(session, lambda query: _where(query, campaign_id, since, until), a.lead_id,
                       _plain_columns(a, dialect), _values(a, dialect, zones, agents, dispositions), WORDS,
                       after={"answered_ms": "created_ms", "ended_ms": "created_ms"})  # fmt: skip
    fast = _from_packed(read.key, read.fields, zones, agents, dispositions)
    return fast if read.rest is None else concatenated(fast, _from_plain(read.rest))
