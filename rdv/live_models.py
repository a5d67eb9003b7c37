"""The table of live campaign figures each dialer process writes for the supervisor's console (rdv.live_snapshot).

One row per campaign and dialer: several dialers may share a campaign, and what is ringing or queued is known
only to the process that placed the calls, so the console adds the rows up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base, utcnow


class CampaignLive(Base):
    """What one dialer knows of a campaign now: its calls in flight, pacing, and the day's counts."""

    __tablename__ = "campaign_live"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    dialer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ringing: Mapped[int] = mapped_column(Integer, default=0)  # originated, nobody answered yet
    answering: Mapped[int] = mapped_column(Integer, default=0)  # answered, machine detection under way
    queued: Mapped[int] = mapped_column(Integer, default=0)  # a person waiting in the queue for an agent
    talking: Mapped[int] = mapped_column(Integer, default=0)  # connected to an agent
    # This dialer's agents of the campaign by state (the console lists them from the agents table; these make a
    # presence change a change of the row, hence a notification).
    agents_ready: Mapped[int] = mapped_column(Integer, default=0)
    agents_on_call: Mapped[int] = mapped_column(Integer, default=0)
    agents_wrap_up: Mapped[int] = mapped_column(Integer, default=0)
    agents_paused: Mapped[int] = mapped_column(Integer, default=0)
    # Lines not yet with an agent per agent in service (logged in and not paused); 0 without one.
    dial_level: Mapped[float] = mapped_column(Float, default=0.0)
    pacing_mode: Mapped[str] = mapped_column(String(20), default="")
    abandon_target: Mapped[float] = mapped_column(Float, default=0.0)
    # `running`, `trunk_full` (running, fewer lines than pacing wants), `held` (day closed), `paused` / `stopped` by
    # a supervisor, `no_queue` (see dialer.queue_check).
    dialing: Mapped[str] = mapped_column(String(20), default="")
    # The campaign's local day, from the attempts table (every dialer's calls).
    dials_today: Mapped[int] = mapped_column(Integer, default=0)
    resolved_today: Mapped[int] = mapped_column(Integer, default=0)  # ended with an outcome
    answered_today: Mapped[int] = mapped_column(Integer, default=0)  # of those, a person answered
    # Abandonment as pacing counts it (dialer.pacing_stats: at the answer, calls still live included):
    # dropped ÷ human-answered, today and over the rolling 30 days.
    humans_today: Mapped[int] = mapped_column(Integer, default=0)
    dropped_today: Mapped[int] = mapped_column(Integer, default=0)
    abandon_today: Mapped[float] = mapped_column(Float, default=0.0)
    humans_30d: Mapped[int] = mapped_column(Integer, default=0)
    dropped_30d: Mapped[int] = mapped_column(Integer, default=0)
    abandon_30d: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
