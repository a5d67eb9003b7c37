"""What the do-not-call screen reads and changes, over both lists of a scope (one client, or the centre).

The internal list (`leads.models.DoNotCall`) holds numbers in clear (objections heard on our own calls); the
opposition list (`leads.dnc.HashedOptOut`) holds keyed hashes only, so the screen can say whether a typed number
is on it, never which numbers it holds. Additions go to the opposition list, as `rdv dnc add` does; a removal
takes the number off both lists of the scope. Both are written to the audit log with who, the reason and how
many numbers, never the number itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from config import audit
from leads import dnc
from leads.models import DoNotCall
from leads.phone import mask


@dataclass(frozen=True)
class Entry:
    """One line of a scope's list as the screen shows it: the number masked (or unknown, for a hash)."""

    shown: str
    reason: str
    added_at: datetime
    hashed: bool


@dataclass(frozen=True)
class Found:
    """Where a searched number is listed, for this scope (and, for a client, the centre's lists too)."""

    e164: str
    entries: list[tuple[str, Entry]]  # (scope label key: "client" or "centre", entry)


def _clear_scope(client_id: int | None) -> ColumnElement[bool]:
    return DoNotCall.client_id.is_(None) if client_id is None else DoNotCall.client_id == client_id


def _hashed_scope(client_id: int | None) -> ColumnElement[bool]:
    return dnc.HashedOptOut.client_id.is_(None) if client_id is None else dnc.HashedOptOut.client_id == client_id


def entries(session: Session, client_id: int | None, limit: int = 500) -> list[Entry]:
    """The scope's listed numbers, newest first, each masked."""
    clear = [Entry(mask(row.e164), row.reason, row.added_at, False) for row in session.scalars(
        select(DoNotCall).where(_clear_scope(client_id)).order_by(DoNotCall.id.desc()).limit(limit))]
    hashed = [Entry("", row.reason, row.added_at, True) for row in session.scalars(
        select(dnc.HashedOptOut).where(_hashed_scope(client_id)).order_by(dnc.HashedOptOut.id.desc()).limit(limit))]
    return sorted(clear + hashed, key=lambda e: e.added_at, reverse=True)[:limit]


def search(session: Session, e164: str, client_id: int | None, key: str) -> Found:
    """Every list entry of this number in the scope, and in the centre's lists when the scope is a client."""
    scopes: list[tuple[str, int | None]] = [("client", client_id)] if client_id is not None else []
    scopes.append(("centre", None))
    found: list[tuple[str, Entry]] = []
    for label, scope in scopes:
        for row in session.scalars(select(DoNotCall).where(_clear_scope(scope), DoNotCall.e164 == e164)):
            found.append((label, Entry(e164, row.reason, row.added_at, False)))
        for hashed in session.scalars(select(dnc.HashedOptOut).where(
                _hashed_scope(scope), dnc.HashedOptOut.digest == dnc.digest(e164, key))):
            found.append((label, Entry(e164, hashed.reason, hashed.added_at, True)))
    return Found(e164, found)


def add(session: Session, e164: str, client_id: int | None, reason: str, key: str, *, who: str, address: str,
        target: str, now: datetime) -> bool:
    """List the number for the scope (False if it was already); audited with who and the reason."""
    added = dnc.add_opt_outs(session, [e164], client_id, reason.strip(), key, now)
    audit.record(session, who, "supervisor", "dnc_add", target, address,
                 f"{added} numbers (web); reason: {reason.strip()}", now)  # fmt: skip
    return added == 1


def remove(session: Session, e164: str, client_id: int | None, reason: str, key: str, *, who: str, address: str,
           target: str, now: datetime) -> int:
    """Take the number off both lists of the scope; the removal and its reason go to the audit log."""
    removed = dnc.remove_opt_outs(session, [e164], client_id, key)
    cleared = session.execute(delete(DoNotCall).where(_clear_scope(client_id), DoNotCall.e164 == e164)
                              .execution_options(synchronize_session=False))  # fmt: skip
    count = removed + int(cleared.rowcount)  # type: ignore[attr-defined]
    audit.record(session, who, "supervisor", "dnc_remove", target, address,
                 f"{count} entries (web); reason: {reason.strip()}", now)  # fmt: skip
    return count

