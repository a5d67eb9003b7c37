"""Tables between the agent screen and the dialer: commands sent, calls popped, presence history, pause codes.

The web writes `agent_commands`; the dialer that runs the agent's campaign applies them in order and writes
back `done_at` with a result or an error the screen shows. The dialer writes a `call_pops` row when the PBX
connects a call to an agent, and an `agent_events` row at every presence change (the console's history).
`pause_reasons` are data: the codes an agent picks from, with the longest time each may last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")


class AgentCommand(Base):
    """One thing an agent (or a supervisor about an agent) asked of the dialer, and what came of it."""

    __tablename__ = "agent_commands"
    __table_args__ = (Index("ix_agent_commands_pending", "campaign_id", "done_at", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    # Whose presence or call the command is about (the agent), and who sent it (the agent or a supervisor).
    login: Mapped[str] = mapped_column(String(100), index=True)
    sent_by: Mapped[str] = mapped_column(String(100), default="")
    # The campaign whose dialer applies it: the one logged in to, or the one asked for at login.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_by: Mapped[str] = mapped_column(String(64), default="")
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    # What the screen shows: a French sentence (ok or not), in the language of the dialer that applied it.
    result: Mapped[str] = mapped_column(String(500), default="")


class CallPop(Base):
    """A call the PBX connected to an agent: what the agent screen shows, until the disposition is saved."""

    __tablename__ = "call_pops"
    __table_args__ = (Index("ix_call_pops_login_id", "login", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    login: Mapped[str] = mapped_column(String(100))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    call_id: Mapped[str] = mapped_column(String(100), default="")
    phone_e164: Mapped[str] = mapped_column(String(20), default="")
    connected_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # Until when the agent is held in wrap-up for this call (None: no timer, e.g. the agent's screen was gone).
    wrap_until: Mapped[datetime | None] = mapped_column(default=None)
    # When the agent's disposition (or the timer's "unqualified") was stored.
    qualified_at: Mapped[datetime | None] = mapped_column(default=None)


class AgentEvent(Base):
    """An agent entered `state` (logged_out, available, on_call, wrap_up, paused) at `at`, for `reason`."""

    __tablename__ = "agent_events"
    __table_args__ = (Index("ix_agent_events_login_at", "login", "at"), Index("ix_agent_events_at", "at"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    login: Mapped[str] = mapped_column(String(100))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), default=None)
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40), default="")
    call_id: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column()


class PauseReason(Base):
    """A pause code agents choose from; `label` empty means the catalogue's label of the code."""

    __tablename__ = "pause_reasons"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    max_minutes: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AgentSeat(Base):
    """When an agent's screen was last seen connected (its live stream's heartbeat)."""

    __tablename__ = "agent_seats"

    login: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column()
