"""Tables of call control and recordings: what was done to a connected call, and what was recorded of it.

`call_events` is what the agent screen and the supervisor's call page show of a call besides its phase
transitions (`attempt_transitions`): one row per action the PBX accepted (hangup, hold, unhold, transfer,
listen, whisper) and per recording stored. `recordings` holds one row per recorded call, with the file's
path under the data folder, its measured duration and checksum, and when retention deletes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base, utcnow

# The kinds of `call_events.kind`, as the screens read them (the bus helper notifies on each).
CONTROL_KINDS = ("hangup", "hold", "unhold", "transfer", "listen", "whisper", "recorded")


class CallControlEvent(Base):
    """An action on a live call that the PBX accepted, or a recording stored, at `at`."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    # Who asked: the agent's login, or the supervisor's for listen/whisper/transfer targets.
    login: Mapped[str] = mapped_column(String(100), default="")
    # No phone number here: a channel or interface name at most (a supervisor's phone), or a file name.
    detail: Mapped[str] = mapped_column(String(200), default="")


class Recording(Base):
    """One connected call's recording, a WAV file under the data folder."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Relative to the data folder, so that the folder can move with its database.
    path: Mapped[str] = mapped_column(String(500))
    duration_s: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    sha256: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column()
    delete_after: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
