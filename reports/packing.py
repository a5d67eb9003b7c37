"""Small values of a row packed by the database into 64-bit integers, unpacked by numpy in bulk.

The driver builds a Python object for every value it hands back; a few integers a row instead of ten values
is what makes a million rows cheap to read. A layout names the fields of each integer with their widths (most
significant first, 63 bits at most: a signed 64-bit integer). Each field holds 0 when its value cannot be packed
(out of range, or a code the lists do not know: -1), 1 for NULL, else the value + 2. The values are computed
once per row in a subquery the planners keep apart (`OFFSET 0`), the packing reads them there (a time may be
packed as its offset from another, in ms: fewer bits). A row with a field that cannot be packed is read again
with its plain columns (`read_packed`), so the packing is a shortcut, never a filter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import BigInteger, Select, and_, case, literal, or_, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from reports.frame_io import raw_columns, without_cycle_collection

Layout = tuple[tuple[tuple[str, int], ...], ...]
UNPACKABLE, NULL = 0, 1
Columns = TypeVar("Columns")


def widths(layout: Layout) -> dict[str, int]:
    return {name: bits for word in layout for name, bits in word}


def _encoded(value: Any, bits: int) -> Any:
    return case((value.is_(None), NULL), (and_(value >= 0, value <= 2**bits - 3), value + 2), else_=UNPACKABLE)


def _field(values: ReadOnlyColumnCollection[str, Any], name: str, after: Mapping[str, str]) -> Any:
    return values[name] - values[after[name]] if name in after else values[name]


def packed(values: ReadOnlyColumnCollection[str, Any], layout: Layout, after: Mapping[str, str]) -> list[Any]:
    """One SQL integer per word of the layout, from the subquery's columns named as its fields; a field named in
    `after` holds its value less the other field's (an offset, computed here where both are columns: in the
    subquery the other field's expression would be computed once more)."""
    words = []
    for word in layout:
        shift, total = sum(bits for _, bits in word), None
        for name, bits in word:
            shift -= bits
            part = _encoded(_field(values, name, after), bits) * literal(2**shift, BigInteger)
            total = part if total is None else total + part
        words.append(type_coerce(total, BigInteger))
    return words


def any_unpackable(values: ReadOnlyColumnCollection[str, Any], layout: Layout, after: Mapping[str, str]) -> Any:
    """The SQL test of a row that cannot be packed: the same test on the same values as `packed` makes."""
    return or_(*(_encoded(_field(values, name, after), bits) == UNPACKABLE for name, bits in widths(layout).items()))


def fetch_words(session: Session, query: Any, width: int) -> np.ndarray:
    """The query's rows of `width` integers as one int64 array (rows × width)."""
    with without_cycle_collection():
        result = session.connection().execute(query)
        try:
            return np.array(result.cursor.fetchall(), dtype="int64").reshape(-1, width)
        finally:
            result.close()


def unpack(words: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    """Each field's stored code (0 unpackable, 1 NULL, else value + 2), from the packed columns."""
    fields = {}
    for column, word in enumerate(layout):
        shift = sum(bits for _, bits in word)
        for name, bits in word:
            shift -= bits
            fields[name] = (words[:, column] >> shift) & (2**bits - 1)
    return fields


def unpackable(fields: Mapping[str, np.ndarray]) -> np.ndarray:
    """The rows with a field that could not be packed."""
    return np.logical_or.reduce([code == UNPACKABLE for code in fields.values()])


def category(code: np.ndarray, values: Sequence[str]) -> pd.Categorical:
    """The values a code field indexes (never NULL), with the categories a categorical read from the text has:
    sorted, only those present (counted in one pass: pandas' own pruning sorts the codes)."""
    index = code - 2
    present = np.flatnonzero(np.bincount(index, minlength=len(values)))
    kept = sorted(present.tolist(), key=lambda i: values[i])
    rank = np.full(len(values), -1, dtype="int64")
    rank[kept] = np.arange(len(kept))
    return pd.Categorical.from_codes(rank[index], categories=[values[i] for i in kept])


def value(code: np.ndarray) -> np.ndarray:
    """A number field's values, NaN for NULL."""
    return np.where(code == NULL, np.nan, code - 2)


@dataclass(frozen=True)
class PackedRead:
    """The rows read packed (their `key` column and each field's code), and the plain columns of the rows that
    could not be packed (None when there is none)."""

    key: np.ndarray
    fields: dict[str, np.ndarray]
    rest: dict[str, Sequence[Any]] | None


def read_packed(session: Session, where: Callable[[Select[Any]], Select[Any]], key: Any, plain: Sequence[Any],
                values: Sequence[Any], layout: Layout, after: Mapping[str, str] | None = None) -> PackedRead:
    """Read the rows `where` selects: `key` (an integer column) and the labelled `values` packed by `layout`;
    then, only if some row could not be packed, the labelled `plain` columns of those rows (the same rows, found
    by the same test on the same values)."""
    computed = where(select(key.label("key"), *values)).offset(0).subquery()
    after = after or {}
    words = fetch_words(session, select(computed.c.key, *packed(computed.c, layout, after)), 1 + len(layout))
    fields = unpack(words[:, 1:], layout)
    odd = unpackable(fields)
    if not odd.any():
        return PackedRead(words[:, 0], fields, None)
    both = where(select(*plain, *values)).offset(0).subquery()
    names = [column.name for column in plain]
    rest = select(*(both.c[name] for name in names)).where(any_unpackable(both.c, layout, after))
    return PackedRead(words[~odd, 0], {name: code[~odd] for name, code in fields.items()},
                      raw_columns(session, rest, names))  # fmt: skip


def _joined(parts: list[pd.Categorical]) -> pd.Categorical:
    present = [part for part in parts if len(part)]  # an empty part's categories are of no text type
    return union_categoricals(present, sort_categories=True) if len(present) > 1 else (present or parts)[0]


def concatenated(first: Columns, second: Columns) -> Columns:
    """Two dataclasses of columns (arrays, categoricals: those sorted, as one read from the text) one after
    the other."""
    columns: dict[str, Any] = {}
    for field in dataclasses.fields(first):  # type: ignore[arg-type]
        one, two = getattr(first, field.name), getattr(second, field.name)
        columns[field.name] = _joined([one, two]) if isinstance(one, pd.Categorical) else np.concatenate([one, two])
    return type(first)(**columns)
