"""Reading columns fast: rows straight from the DB-API cursor, times as epoch seconds computed by the database,
converted by numpy and pandas in bulk (shared by the KPI and agent-time loaders)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Float, Select, case, func, type_coerce
from sqlalchemy.orm import Session


def local_day(moments: pd.Series, zone: str) -> pd.Series:
    return moments.dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: a fetch of a million rows allocates a million tuples, none part of a
    cycle, and the collector would otherwise walk the growing heap again and again while they arrive."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def raw_columns(session: Session, query: Select[Any] | Any, names: Sequence[str]) -> dict[str, Sequence[Any]]:
    """The query's columns as the driver returns them, one sequence per column.

    Only for queries whose columns need no conversion by SQLAlchemy (text, integers, floats, `_text` times):
    the rows are fetched straight from the DB-API cursor, without building a Row each, and transposed in C.
    """
    with without_cycle_collection():
        result = session.connection().execute(query)
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        del rows  # freed before the collector resumes, which would otherwise walk them all once more
    return dict(zip(names, columns, strict=True))


def epoch(column: Any, dialect: str) -> Any:
    """Seconds since 1970 (UTC) as a float, computed by the database: far cheaper to read than a time."""
    if dialect == "sqlite":  # times are stored as UTC text, which julianday() reads
        return type_coerce((func.julianday(column) - 2440587.5) * 86400.0, Float)
    # date_part() computes in double precision: the same double as EXTRACT's exact numeric cast to one (µs / 10⁶,
    # rounded once), at half the cost.
    return type_coerce(func.date_part("epoch", column), Float)


def moments(values: Sequence[Any] | np.ndarray) -> pd.Series:
    """Aware UTC timestamps from epoch seconds (NaT where empty), to the millisecond: SQLite's julianday() is a
    double, good to some tens of microseconds."""
    return moments_ms(np.round(floats(values) * 1e3))


def moments_ms(milliseconds: np.ndarray) -> pd.Series:
    """Aware UTC timestamps from whole ms since 1970 (NaT where NaN)."""
    return pd.Series(pd.to_datetime(milliseconds, unit="ms", utc=True)).astype("datetime64[ns, UTC]")


def category_index(column: Any, values: Sequence[str]) -> Any:
    """The index of the column's value in `values` (computed by the database), -1 when it is none of them."""
    return case(*((column == value, index) for index, value in enumerate(values)), else_=-1)


def floats(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Numbers as float64, None as NaN: numpy converts a sequence in C (a generator would cost a Python step
    per value, 5 M of them for a week of a million attempts)."""
    return np.array(values, dtype="float64") if len(values) else np.empty(0, dtype="float64")


def codes(values: Sequence[Any]) -> pd.Categorical:
    # A few distinct codes over many rows: categories make every comparison and grouping work on small integers.
    return pd.Categorical(values)
