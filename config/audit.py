"""The audit log: who viewed, exported, changed or deleted what personal data, when, in which role, from where.

Append-only and hash-chained: each entry carries the SHA-256 of the one before it (`prev_hash`) and its own,
computed over its sequence number and every field. The ORM refuses to update or delete an entry and so does a
trigger on each backend (migration privacy_0001); if someone bypasses both, `verify` finds the entry whose
hash no longer matches its fields, or the gap a removed entry leaves in the sequence and the chain.

It lives in `config`, the package every other one may import, so that a domain rule (an objection recorded
during a call, in `campaigns`) can prove itself in the same transaction as the change it proves. Targets name
things by id ("lead 123", "client Charpentes Martin"), never by a prospect's name or phone: the log outlives
erasure and must hold nothing personal itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.i18n import _, ngettext
from config.orm import Base, utcnow

GENESIS = "0" * 64
# Any constant: the PostgreSQL advisory lock that makes appending one entry at a time (so the chain never forks).
_PG_LOCK = 0x7264_7661_7564


class AuditEntry(Base):
    """One thing someone did to personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(index=True)
    who: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(40))
    # view, export, change, delete, consent, dnc, erase … (free, short, English codes)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntryImmutable(PermissionError):
    """Something tried to change or delete an audit entry through the application."""

    def __init__(self) -> None:
        super().__init__(_("audit log entries can be neither changed nor deleted"))


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper: object, _connection: object, _target: AuditEntry) -> None:
    raise AuditEntryImmutable()


def entry_hash(seq: int, at: datetime, who: str, role: str, action: str, target: str, address: str, detail: str,
               prev_hash: str) -> str:
    """The SHA-256 of an entry's fields and its predecessor's hash (canonical JSON, times to the microsecond)."""
    fields = [seq, at.isoformat(timespec="microseconds"), who, role, action, target, address, detail, prev_hash]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def record(session: Session, who: str, role: str, action: str, target: str, address: str = "", detail: str = "",
           now: datetime | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change it proves)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    # In UTC, as both backends hand it back (to the microsecond), so the hash recomputed from the row matches.
    at = (now or utcnow()).astimezone(UTC)
    values = dict(who=who[:200], role=role[:40], action=action[:40], target=target[:300], address=address[:100],
                  detail=detail)
    entry = AuditEntry(seq=seq, at=at, prev_hash=prev, hash=entry_hash(seq, at, prev_hash=prev, **values), **values)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Filter:
    """What `entries` keeps: substrings of who and of action or target, and a half-open time span."""

    who: str = ""
    what: str = ""
    start: datetime | None = None
    end: datetime | None = None


def entries(session: Session, wanted: Filter = Filter(), limit: int | None = None) -> list[AuditEntry]:
    """The entries that match, oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if wanted.who:
        query = query.where(AuditEntry.who.contains(wanted.who, autoescape=True))
    if wanted.what:
        query = query.where(AuditEntry.action.contains(wanted.what, autoescape=True)
                            | AuditEntry.target.contains(wanted.what, autoescape=True))
    if wanted.start is not None:
        query = query.where(AuditEntry.at >= wanted.start)
    if wanted.end is not None:
        query = query.where(AuditEntry.at < wanted.end)
    if limit is not None:
        query = query.order_by(None).order_by(AuditEntry.seq.desc()).limit(limit)
        return list(reversed(session.scalars(query).all()))
    return list(session.scalars(query))


@dataclass(frozen=True)
class Break:
    """Where the chain is broken: the entry (sequence number) and what is wrong with it."""

    seq: int
    problem: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of `verify`: how many entries were checked, the last hash, and every break found."""

    checked: int
    head: str
    breaks: list[Break]


def _rows(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000))


def verify(session: Session) -> Verdict:
    """Recompute every hash and link: a changed entry, a removed one (a gap) or a reordered chain is a break."""
    breaks: list[Break] = []
    prev, expected_seq, checked = GENESIS, 1, 0
    for entry in _rows(session):
        checked += 1
        if entry.seq != expected_seq:
            missing = entry.seq - expected_seq
            breaks.append(Break(entry.seq, ngettext("entry {first} is missing", "entries {first} to {last} are missing",
                                                    missing).format(first=expected_seq, last=entry.seq - 1)))
        if entry.prev_hash != prev:
            breaks.append(Break(entry.seq, _("does not follow the entry before it (chain broken)")))
        computed = entry_hash(entry.seq, entry.at, entry.who, entry.role, entry.action, entry.target, entry.address,
                              entry.detail, entry.prev_hash)
        if computed != entry.hash:
            breaks.append(Break(entry.seq, _("its content was changed after it was written")))
        prev, expected_seq = entry.hash, entry.seq + 1
    return Verdict(checked, prev, breaks)
