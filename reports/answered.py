"""The human answers (connected or dropped calls, a third of a campaign's attempts), read as four integers a row.

The figures read ten values of each: lead, zone, outcome, agent, disposition, talk and wrap-up, and the dial,
answer and end times. The database computes them once per row (in a subquery the planners keep apart:
`OFFSET 0`) and packs them into three integers besides the lead:

- dial time in ms since 1970, zone, outcome, disposition;
- answer and end, in ms after the dial; agent;
- talk and wrap-up in µs.

Codes are indexes into lists known before the read (the leads' zones, the agents' logins, the campaign's
dispositions), so numpy unpacks a million values in a few vectorised steps instead of the driver building a
Python object for each. Every packed field holds 0 when the value cannot be packed exactly (a code not in the
lists, a time out of range, a duration that is not a whole number of µs), 1 for NULL, else the value + 2; the rows
with a 0 anywhere are read again plainly (the ten columns), so the frames are those of a plain read whatever is
stored: the packing is a shortcut, never a filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import BigInteger, Float, and_, case, cast, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from campaigns.dispositions import dispositions_for
from campaigns.models import Attempt, Campaign
from dialer.models import AgentRecord
from reports.frame_io import category_index, epoch, floats, raw_columns, without_cycle_collection
from reports.kpis import HUMAN_OUTCOMES
from reports.unanswered import lead_zones

# (field, bits) of each packed integer, most significant first; 63 bits at most (a signed 64-bit integer).
WORDS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("created_ms", 43), ("zone_code", 8), ("outcome_code", 2), ("disposition_code", 7)),
    (("answered_ms", 24), ("ended_ms", 26), ("agent_code", 13)),  # answer up to 4.6 h after the dial, end 18.6 h
    (("talk_us", 33), ("wrap_us", 30)),  # talk up to 2.3 h, wrap-up 17 min
)
BITS = {name: bits for word in WORDS for name, bits in word}
UNPACKABLE, NULL = 0, 1
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
    exact = and_(column >= 0, column < 2**bits / 1e6, type_coerce(cast(us, Float) / 1e6, Float) == column)
    return case((column.is_(None), None), (exact, us), else_=-1)


def _values(a: type[Attempt], dialect: str, zones: Sequence[str], agents: Sequence[str],
            dispositions: Sequence[str]) -> list[Any]:
    """Each field's value (before packing), labelled with its name: what the subquery computes once a row."""
    created = _ms(a.created_at, dialect)
    return [
        created.label("created_ms"), category_index(a.callee_tz, zones).label("zone_code"),
        category_index(a.outcome, HUMAN_OUTCOMES).label("outcome_code"),
        category_index(a.disposition, dispositions).label("disposition_code"),
        (_ms(a.answered_at, dialect) - created).label("answered_ms"),
        case((a.outcome == "connected", _ms(a.ended_at, dialect) - created), else_=None).label("ended_ms"),
        category_index(a.agent, agents).label("agent_code"),
        _microseconds(a.talk_s, BITS["talk_us"]).label("talk_us"),
        _microseconds(a.wrap_s, BITS["wrap_us"]).label("wrap_us"),
    ]  # fmt: skip


def _encoded(value: Any, bits: int) -> Any:
    return case((value.is_(None), NULL), (and_(value >= 0, value <= 2**bits - 3), value + 2), else_=UNPACKABLE)


def _packed(values: Any) -> list[Any]:
    words = []
    for word in WORDS:
        shift, total = sum(bits for _, bits in word), None
        for name, bits in word:
            shift -= bits
            part = _encoded(values.c[name], bits) * literal(2**shift, BigInteger)
            total = part if total is None else total + part
        words.append(type_coerce(total, BigInteger))
    return words


def _unpack(words: np.ndarray) -> dict[str, np.ndarray]:
    """Each field's stored code (0 unpackable, 1 NULL, else value + 2) from the packed integers."""
    fields = {}
    for column, word in enumerate(WORDS):
        shift = sum(bits for _, bits in word)
        for name, bits in word:
            shift -= bits
            fields[name] = (words[:, column] >> shift) & (2**bits - 1)
    return fields


def _offset_ms(created: np.ndarray, code: np.ndarray) -> np.ndarray:
    return np.where(code == NULL, np.nan, created + (code - 2)).astype("float64")


def _seconds(code: np.ndarray) -> np.ndarray:
    return np.where(code == NULL, np.nan, (code - 2) / 1e6)


def _category(code: np.ndarray, values: Sequence[str]) -> pd.Categorical:
    # Sorted categories, only those present: what a categorical read from the text has.
    order = np.argsort(np.array(values, dtype=object)) if len(values) else np.empty(0, dtype="int64")
    rank = np.empty(len(values), dtype="int64")
    rank[order] = np.arange(len(values))
    return pd.Categorical.from_codes(rank[code - 2], categories=[values[i] for i in order]).remove_unused_categories()


def _from_packed(words: np.ndarray, zones: Sequence[str], agents: Sequence[str],
                 dispositions: Sequence[str]) -> Answered:
    f = _unpack(words[:, 1:])
    created = f["created_ms"] - 2
    return Answered(words[:, 0].copy(), _category(f["zone_code"], zones), _category(f["outcome_code"], HUMAN_OUTCOMES),
                    _category(f["agent_code"], agents), _category(f["disposition_code"], dispositions),
                    _seconds(f["talk_us"]), _seconds(f["wrap_us"]), created,
                    _offset_ms(created, f["answered_ms"]), _offset_ms(created, f["ended_ms"]))  # fmt: skip


def _from_plain(raw: dict[str, Sequence[Any]]) -> Answered:
    def ms(name: str) -> np.ndarray:
        return np.round(floats(raw[name]) * 1e3)

    return Answered(np.array(raw["lead_id"], dtype="int64"), pd.Categorical(raw["callee_tz"]),
                    pd.Categorical(raw["outcome"]), pd.Categorical(raw["agent"]), pd.Categorical(raw["disposition"]),
                    floats(raw["talk_s"]), floats(raw["wrap_s"]), ms("created_at").astype("int64"),
                    ms("answered_at"), ms("ended_at"))  # fmt: skip


def _joined(parts: list[pd.Categorical]) -> pd.Categorical:
    present = [part for part in parts if len(part)]  # an empty part's categories are of no text type
    return union_categoricals(present, sort_categories=True) if len(present) > 1 else (present or parts)[0]


def _concatenated(first: Answered, second: Answered) -> Answered:
    columns: dict[str, Any] = {}
    for name in Answered.__dataclass_fields__:
        one, two = getattr(first, name), getattr(second, name)
        columns[name] = _joined([one, two]) if isinstance(one, pd.Categorical) else np.concatenate([one, two])
    return Answered(**columns)


def _plain_columns(a: type[Attempt], dialect: str) -> list[Any]:
    """The ten columns as they are stored (times as epoch seconds), one per value: the reference read."""
    stored = [getattr(a, name).label(name) for name in PLAIN_COLUMNS[:7]]
    return [*stored, epoch(a.created_at, dialect).label("created_at"),
            epoch(a.answered_at, dialect).label("answered_at"),
            case((a.outcome == "connected", epoch(a.ended_at, dialect)), else_=None).label("ended_at")]  # fmt: skip


def _known_agents(session: Session) -> list[str]:
    logins = session.scalars(select(AgentRecord.login).order_by(AgentRecord.id).limit(2 ** BITS["agent_code"] - 4))
    return ["", *(login for login in logins if login)]


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
    agents, dispositions = _known_agents(session), _known_dispositions(session, campaign_id)
    if not zones:  # no lead, so no attempt (and an empty CASE is no SQL)
        return load_answered_plainly(session, campaign_id, since, until)
    values = _where(select(a.lead_id, *_values(a, dialect, zones, agents, dispositions)), campaign_id, since,
                    until).offset(0).subquery()  # fmt: skip
    with without_cycle_collection():
        result = session.connection().execute(select(values.c.lead_id, *_packed(values)))
        try:
            words = np.array(result.cursor.fetchall(), dtype="int64").reshape(-1, 1 + len(WORDS))
        finally:
            result.close()
    fields = _unpack(words[:, 1:])
    unpackable = np.logical_or.reduce([code == UNPACKABLE for code in fields.values()])
    packed = _from_packed(words[~unpackable], zones, agents, dispositions)
    if not unpackable.any():
        return packed
    # The rows that could not be packed, read plainly: the same rows, found by the same test on the same values.
    everything = _where(select(*_plain_columns(a, dialect), *_values(a, dialect, zones, agents, dispositions)),
                        campaign_id, since, until).offset(0).subquery()  # fmt: skip
    any_unpackable = or_(*(_encoded(everything.c[name], bits) == UNPACKABLE for name, bits in BITS.items()))
    rest = select(*(everything.c[name] for name in PLAIN_COLUMNS)).where(any_unpackable)
    return _concatenated(packed, _from_plain(raw_columns(session, rest, PLAIN_COLUMNS)))

