"""Opposition lists kept as keyed hashes: numbers the centre must never call but has no other reason to know.

The internal do-not-call list (`leads.models.DoNotCall`) keeps numbers in clear: they come from calls to our
own leads, whose numbers are stored anyway, and the hopper joins on them. An external opposition list, or a
request from someone who is not a lead, is different: only membership matters, so each number is stored as
HMAC-SHA256 under a key from the secrets (`config.secrets`, name `dnc_key`), which a stolen database alone
cannot reverse by trying every French number. Per client, or centre-wide when `client_id` is empty.

A number listed here is refused at import, and leads already stored with it are set to `dnc` at once.

The internal list's reason to keep a number in clear ends when no lead holds it any more (retention anonymised
them, `campaigns.retention`): `hash_unheld_numbers` then moves it here, so that an objection outlives retention
without the number staying readable.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Integer,
    ScalarSelect,
    String,
    UniqueConstraint,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.orm import Base
from leads.models import DoNotCall, Lead, LeadPhone

KEY_NAME = "dnc_key"


class HashedOptOut(Base):
    """One number on an opposition list, as its keyed hash."""

    __tablename__ = "do_not_call_hashed"
    __table_args__ = (UniqueConstraint("client_id", "digest", name="uq_do_not_call_hashed_client_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column()


def digest(e164: str, key: str) -> str:
    """The keyed hash of an E.164 number."""
    return hmac.new(key.encode(), e164.encode(), hashlib.sha256).hexdigest()


def add_opt_outs(session: Session, numbers: Iterable[str], client_id: int | None, reason: str, key: str,
                 now: datetime) -> int:
    """List these numbers (E.164) for the client or the whole centre; returns how many were new."""
    wanted = {digest(n, key) for n in numbers}
    known = set(session.scalars(select(HashedOptOut.digest).where(_scope(client_id))))
    fresh = sorted(wanted - known)
    session.add_all(HashedOptOut(client_id=client_id, digest=d, reason=reason[:200], added_at=now) for d in fresh)
    session.flush()
    return len(fresh)


def remove_opt_outs(session: Session, numbers: Iterable[str], client_id: int | None, key: str) -> int:
    """Take these numbers off the client's (or the centre's) list; returns how many were listed."""
    digests = [digest(n, key) for n in numbers]
    removed = session.execute(delete(HashedOptOut).where(_scope(client_id), HashedOptOut.digest.in_(digests))
                              .execution_options(synchronize_session=False))
    return int(removed.rowcount)  # type: ignore[attr-defined]


def _scope(client_id: int | None) -> ColumnElement[bool]:
    return HashedOptOut.client_id.is_(None) if client_id is None else HashedOptOut.client_id == client_id


def hash_unheld_numbers(session: Session, client_id: int | None, campaigns: ScalarSelect[int], key: str,
                        now: datetime) -> int:
    """Move to keyed hashes the numbers of the internal do-not-call list (the client's, or the centre's when
    `client_id` is None) that no lead of `campaigns` (the client's, or all) holds any more; returns how many."""
    scope = DoNotCall.client_id.is_(None) if client_id is None else DoNotCall.client_id == client_id
    held = exists().where(LeadPhone.campaign_id.in_(campaigns), LeadPhone.e164 == DoNotCall.e164)
    rows = session.execute(select(DoNotCall.id, DoNotCall.e164, DoNotCall.reason, DoNotCall.added_at)
                           .where(scope, ~held)).all()
    known = set(session.scalars(select(HashedOptOut.digest).where(_scope(client_id)))) if rows else set()
    for row in rows:
        hashed = digest(row.e164, key)
        if hashed not in known:
            known.add(hashed)
            session.add(HashedOptOut(client_id=client_id, digest=hashed, reason=row.reason[:200],
                                     added_at=row.added_at or now))
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 5000):
        session.execute(delete(DoNotCall).where(DoNotCall.id.in_(ids[start:start + 5000]))
                        .execution_options(synchronize_session=False))
    session.flush()
    return len(ids)


def blocked_digests(session: Session, client_id: int) -> set[str]:
    """The hashes a lead of this client may not have: the client's list and the centre's."""
    return set(session.scalars(select(HashedOptOut.digest).where(
        or_(HashedOptOut.client_id == client_id, HashedOptOut.client_id.is_(None)))))


def is_opted_out(session: Session, e164: str, client_id: int, key: str) -> bool:
    return session.scalar(select(HashedOptOut.id).where(
        HashedOptOut.digest == digest(e164, key),
        or_(HashedOptOut.client_id == client_id, HashedOptOut.client_id.is_(None))).limit(1)) is not None


def block_listed_leads(session: Session, campaign_ids: list[int], client_digests: dict[int, set[str]], key: str,
                       campaign_client: dict[int, int]) -> int:
    """Set to `dnc` the not-yet-final leads of these campaigns with a listed number; returns how many."""
    blocked: list[int] = []
    rows = session.execute(select(LeadPhone.lead_id, LeadPhone.e164, LeadPhone.campaign_id)
                           .where(LeadPhone.campaign_id.in_(campaign_ids)).execution_options(yield_per=5000))
    for lead_id, e164, campaign_id in rows:
        if digest(e164, key) in client_digests[campaign_client[campaign_id]]:
            blocked.append(lead_id)
    for start in range(0, len(blocked), 5000):
        session.execute(update(Lead).where(Lead.id.in_(blocked[start:start + 5000]),
                                           Lead.status.in_(("new", "retry", "callback", "no_consent")))
                        .values(status="dnc", next_attempt_at=None).execution_options(synchronize_session=False))
    return len(set(blocked))
