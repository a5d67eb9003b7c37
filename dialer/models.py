"""Tables of the dialer: agents' presence and every transition of every attempt, with its time.

Attempts themselves live in `campaigns.models.Attempt`; the dialer fills them in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base, utcnow


class AgentRecord(Base):
    """One teleoperator's presence, as the dialer last saw it (the agent screen and reports read it)."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    # The engine (dialer id: its server's name) that drives this agent's phone; "" before servers had names.
    dialer_id: Mapped[str] = mapped_column(String(100), default="", server_default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True, default=None)
    # The queue member interface, `Local/<login>@agents/n`.
    interface: Mapped[str] = mapped_column(String(200), default="")
    # logged_out, available, on_call, wrap_up, paused
    state: Mapped[str] = mapped_column(String(20), default="logged_out")
    since: Mapped[datetime | None] = mapped_column(default=None)
    pause_reason: Mapped[str] = mapped_column(String(40), default="")
    call_id: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttemptTransition(Base):
    """An attempt entered `state` at `at`; stored once per state, whatever the PBX repeated."""

    __tablename__ = "attempt_transitions"
    __table_args__ = (UniqueConstraint("attempt_id", "state", name="uq_attempt_transitions_attempt_state"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column()
    detail: Mapped[str] = mapped_column(String(200), default="")
