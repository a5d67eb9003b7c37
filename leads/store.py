"""Storage of leads, their phones, imports and the do-not-call list (SQLAlchemy 2 `select()`).

Bulk writes go through Core `insert()` with ids chosen beforehand, so that a lead and its phones
are written in one executemany each without reading ids back; the ORM unit of work would take
minutes for a million leads.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from leads.errors import ImportNotFound
from leads.models import DoNotCall, Lead, LeadImport, LeadPhone
from leads.report import QualityReport

LEADS = cast(Table, Lead.__table__)
PHONES = cast(Table, LeadPhone.__table__)
BATCH = 5000


def text_limits() -> dict[str, int]:
    """The length of each text column of a lead, so that long cells are cut rather than refused."""
    return {c.name: int(length) for c in LEADS.columns if (length := getattr(c.type, "length", None))}


def lead_defaults(now: datetime) -> dict[str, Any]:
    """Every column of a new lead with its starting value (executemany needs the same keys each row)."""
    return {
        "external_ref": "", "civility": "", "last_name": "", "first_name": "", "company": "", "address": "",
        "postcode": "", "city": "", "email": "", "custom": {}, "phone_e164": "", "phone_type": "unknown",
        "timezone": "", "country": "FR", "subdivision": "", "consent_at": None, "consent_source": "",
        "consent_proof": "", "contract_exemption": False, "status": "new", "attempts": 0, "last_outcome": "",
        "last_attempt_at": None, "next_attempt_at": None, "refused_at": None, "priority": 0, "claimed_by": "",
        "claimed_at": None, "created_at": now,
    }


IMPORT_WAIT_S = 600  # how long an import waits for another one before it gives up
SQLITE_BUSY_MS = 30_000  # rdv.db's own busy_timeout, put back once the import holds the lock


def lock_campaign(session: Session, campaign_id: int, waiting: Callable[[], None] | None = None) -> None:
    """Serialise imports: the campaign row on PostgreSQL, the database's one writer lock on SQLite.

    Taken first in the import's transaction. When another import holds it, `waiting` is called once (the
    CLI says that it waits for the other import) before this one queues behind it.
    """
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT id FROM campaigns WHERE id = :id FOR UPDATE"
        try:
            with session.begin_nested():
                session.execute(text(query + " NOWAIT"), {"id": campaign_id})
            return
        except OperationalError:
            if waiting is not None:
                waiting()
        session.execute(text(f"SET LOCAL lock_timeout = '{IMPORT_WAIT_S}s'"))
        session.execute(text(query), {"id": campaign_id})
        session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
        return
    # SQLite: a write takes the lock now rather than at the first batch; try without waiting first.
    connection = session.connection()
    touch = text("UPDATE campaigns SET status = status WHERE id = :id")  # not the key: no foreign-key checks
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        try:
            connection.execute(touch, {"id": campaign_id})
        except OperationalError as exc:
            if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                raise
            if waiting is not None:
                waiting()
            connection.exec_driver_sql(f"PRAGMA busy_timeout={IMPORT_WAIT_S * 1000}")
            connection.execute(touch, {"id": campaign_id})
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")


def campaign_numbers(session: Session, campaign_id: int) -> set[str]:
    """Every E.164 already held by a lead of the campaign."""
    rows = session.execute(select(LeadPhone.e164).where(LeadPhone.campaign_id == campaign_id))
    return {row[0] for row in rows}


def do_not_call_numbers(session: Session, client_id: int) -> set[str]:
    """Numbers on the internal do-not-call list for this client or for everyone."""
    query = select(DoNotCall.e164).where((DoNotCall.client_id == client_id) | DoNotCall.client_id.is_(None))
    return {row[0] for row in session.execute(query)}


def add_do_not_call(session: Session, e164: str, client_id: int | None = None, reason: str = "") -> None:
    """Put a number on the internal do-not-call list (for one client, or everyone)."""
    session.add(DoNotCall(e164=e164, client_id=client_id, reason=reason))
    session.flush()


def imports_of_file(session: Session, campaign_id: int, sha256: str) -> list[int]:
    """Earlier imports of the same file (same content) into the campaign."""
    query = select(LeadImport.id).where(LeadImport.campaign_id == campaign_id, LeadImport.sha256 == sha256)
    return list(session.scalars(query.order_by(LeadImport.id)))


def start_import(session: Session, campaign_id: int, filename: str, sha256: str, now: datetime) -> int:
    """Record the import (its first write also takes SQLite's write lock for the whole import)."""
    row = LeadImport(campaign_id=campaign_id, filename=filename[:500], sha256=sha256, imported_at=now, report={})
    session.add(row)
    session.flush()
    return row.id


class IdBlock:
    """Ids for new rows of a table, reserved before insertion (sequence on PostgreSQL, max+1 on SQLite)."""

    def __init__(self, session: Session, table: Table) -> None:
        self.session = session
        self.table = table
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.next_id = 0
        if not self.postgres:
            # Safe: the import already wrote, so SQLite's write lock is held until commit.
            self.next_id = (session.scalar(select(func.max(table.c.id))) or 0) + 1

    def take(self, count: int) -> list[int]:
        if self.postgres:
            query = text(f"SELECT nextval(pg_get_serial_sequence('{self.table.name}', 'id')) "
                         "FROM generate_series(1, :n)")
            return [row[0] for row in self.session.execute(query, {"n": count})]
        first, self.next_id = self.next_id, self.next_id + count
        return list(range(first, self.next_id))


class BulkWriter:
    """Rows of one table through the driver's executemany, inside the session's transaction.

    SQLAlchemy's own type processors still turn each value into what the driver expects (dates as
    SQLite text, JSON), but its per-row parameter machinery, ~30 µs a row here, is skipped. On
    PostgreSQL the rows go through COPY, which psycopg streams without a round trip per row.
    """

    def __init__(self, session: Session, table: Table) -> None:
        self.connection = session.connection()
        self.table = table
        self.sql = ""
        self.processors: list[tuple[int, Any]] = []
        self.defaults: tuple[Any, ...] = ()

    def _prepare(self, keys: Iterable[str]) -> None:
        dialect = self.connection.dialect
        names = set(keys)
        given = [c for c in self.table.columns if c.name in names]
        # Columns the rows lack (added to the table by another package, say) take their scalar
        # default; the others are left to the database.
        fixed = [c for c in self.table.columns
                 if c.name not in names and c.default is not None and getattr(c.default, "is_scalar", False)]

        def processor(column: Any) -> Any:
            return column.type.dialect_impl(dialect).bind_processor(dialect)

        self.processors = [(i, p) for i, c in enumerate(given) if (p := processor(c)) is not None]
        self.defaults = tuple(
            (p(arg) if (p := processor(c)) is not None and arg is not None else arg)
            for c in fixed for arg in [getattr(c.default, "arg", None)]
        )
        getter = operator.itemgetter(*(c.name for c in given))
        self.values = getter if len(given) > 1 else (lambda row: (getter(row),))
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote
        columns = given + fixed
        names_sql = ", ".join(quote(c.name) for c in columns)
        self.sql = f"INSERT INTO {quote(self.table.name)} ({names_sql}) VALUES ({', '.join([mark] * len(columns))})"
        self.copy = dialect.name == "postgresql"
        if self.copy:
            self.sql = f"COPY {quote(self.table.name)} ({names_sql}) FROM STDIN"

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows given as {column: value}, every row with the same keys."""
        if not rows:
            return
        if not self.sql:
            self._prepare(rows[0])
        if self.processors or self.defaults:
            params = self._processed(rows)
        else:
            params = [self.values(row) for row in rows]
        if not self.copy:
            self.connection.exec_driver_sql(self.sql, params)
            return
        raw: Any = self.connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(self.sql) as copy:
            for values in params:
                copy.write_row(values)

    def _processed(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        params = []
        processors, defaults = self.processors, self.defaults
        # The same value often recurs down a column (the import's creation time): process it once.
        last: list[tuple[Any, Any]] = [(None, None)] * len(processors)
        for row in rows:
            values = list(self.values(row))
            for n, (i, process) in enumerate(processors):
                value = values[i]
                if value is not None:
                    seen, done = last[n]
                    if value is not seen:
                        done = process(value)
                        last[n] = (value, done)
                    values[i] = done
            params.append((*values, *defaults))
        return params


def insert_rows(session: Session, leads: Sequence[dict[str, Any]], phones: Sequence[dict[str, Any]]) -> None:
    """Write leads then their phones (every column given), each in one executemany."""
    BulkWriter(session, LEADS).write(leads)
    BulkWriter(session, PHONES).write(phones)


def finish_import(session: Session, import_id: int, report: QualityReport) -> None:
    """Store the counts and the report with the import."""
    session.execute(
        update(LeadImport).where(LeadImport.id == import_id).values(
            rows_read=report.rows_read, leads_created=report.leads_created, duplicates=report.duplicates,
            rejected=report.rejected_rows, report=report.to_json(),
        )
    )


def get_import(session: Session, campaign_id: int, import_id: int | None = None) -> LeadImport:
    """One import of the campaign, the latest when no number is given."""
    query = select(LeadImport).where(LeadImport.campaign_id == campaign_id)
    if import_id is not None:
        query = query.where(LeadImport.id == import_id)
    found = session.scalar(query.order_by(LeadImport.id.desc()).limit(1))
    if found is None:
        raise ImportNotFound(import_id)
    return found


def list_imports(session: Session, campaign_id: int) -> list[LeadImport]:
    return list(session.scalars(select(LeadImport).where(LeadImport.campaign_id == campaign_id)
                                .order_by(LeadImport.id)))


def custom_fields(session: Session, campaign_id: int) -> list[str]:
    """Custom-field names of the campaign's leads, in the order their files had them."""
    names: dict[str, None] = {}
    for imported in list_imports(session, campaign_id):
        names.update(dict.fromkeys((imported.report or {}).get("custom_fields", [])))
    return list(names)


EXPORT_COLUMNS = (
    "lead_id", "external_ref", "civility", "last_name", "first_name", "phone_e164", "phone_type", "postcode",
    "city", "status", "attempts", "last_outcome", "next_attempt_at", "timezone",
)
_STORED = ("id", *EXPORT_COLUMNS[1:], "custom")


def export_rows(session: Session, campaign_id: int, batch: int = 2000,
                worked_only: bool = False) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of the campaign's leads in id order, streamed; custom fields after the fixed columns;
    `worked_only`: only the leads dialled at least once (the client's results file).

    `next_attempt_at` is aware, in the lead's own zone (`timezone`): the time at which the callee's phone rings.
    """
    extra = custom_fields(session, campaign_id)
    query = select(*(LEADS.c[name] for name in _STORED)).where(LEADS.c.campaign_id == campaign_id)
    if worked_only:
        query = query.where(LEADS.c.attempts > 0)
    result = session.execute(query.order_by(LEADS.c.id), execution_options={"yield_per": batch})
    at = EXPORT_COLUMNS.index("next_attempt_at")

    def rows() -> Iterator[list[Any]]:
        zones: dict[str, ZoneInfo] = {}
        for row in result:
            values = list(row[:-1])
            zone, custom = values[at + 1], row[-1] or {}
            if values[at] is not None:
                if zone and zone not in zones:
                    zones[zone] = ZoneInfo(zone)
                values[at] = utc(values[at]).astimezone(zones[zone]) if zone else utc(values[at])  # type: ignore[union-attr]
            yield values + [custom.get(name, "") for name in extra]

    return [*EXPORT_COLUMNS, *extra], rows()


def count_leads(session: Session, campaign_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(LEADS).where(LEADS.c.campaign_id == campaign_id))
               or 0)


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC, whatever the driver handed back."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
