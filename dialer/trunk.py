"""How many more calls a PBX's trunk takes now, counted across every dialer that dials through that PBX.

A SIP trunk carries a fixed number of simultaneous calls; several `rdv run` on one PBX must share it. On
PostgreSQL, before it claims leads, a dialer takes a transaction-scoped advisory lock on the PBX's key and
counts the attempts live on that PBX (every dialer's, a dead one's too until the leader ends them: their
channels may still be up). The lock is held until the transaction that records the new attempts commits, so the
next dialer counts them. SQLite has one process: its own live calls are the count.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from campaigns.models import Attempt

TRUNK_LOCK_SPACE = 0x72647674  # "rdvt": one lock per PBX (with hashtext of its key)


@dataclass(frozen=True)
class Trunk:
    """The PBX a dialer dials through (its AMI "host:port") and the simultaneous calls its trunk carries."""

    pbx: str = ""
    channels: int = 0  # 0: no limit

    @property
    def limited(self) -> bool:
        return self.channels > 0


def pbx_key(host: str, port: int) -> str:
    """The name every dialer gives one PBX: its AMI address as configured (`localhost` is not `127.0.0.1`)."""
    return f"{host.strip().lower()}:{port}"


def room_on_trunk(session: Session, trunk: Trunk, own_live: int) -> int | None:
    """How many new calls the trunk takes now (None: no limit); `own_live` is this dialer's live calls.

    On PostgreSQL the caller's transaction keeps the trunk's lock until it commits: record the new attempts in it.
    """
    if not trunk.limited:
        return None
    if session.get_bind().dialect.name != "postgresql":
        return max(0, trunk.channels - own_live)
    session.execute(_LOCK, {"p_space": TRUNK_LOCK_SPACE, "p_pbx": trunk.pbx})
    live = int(session.scalar(_LIVE, {"p_pbx": trunk.pbx}) or 0)
    return max(0, trunk.channels - live)


_LOCK = text("SELECT pg_advisory_xact_lock(:p_space, hashtext(:p_pbx))")
_LIVE = select(func.count()).select_from(Attempt).where(Attempt.pbx == bindparam("p_pbx"), Attempt.outcome == "")
