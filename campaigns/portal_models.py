"""Tables of what the client says after the RDVs: visit reports and disputes with their messages and files.

All of them are append-only: a correction is a new row, so quality control and billing can always see who
said what, and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.orm import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class VisitReport(Base):
    """The client's account of one sales visit; the newest report of an appointment is the one in force."""

    __tablename__ = "visit_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(BigId, ForeignKey("appointments.id", ondelete="CASCADE"),
                                                index=True)  # fmt: skip
    outcome: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(40), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column()


class Dispute(Base):
    """A client's contest of one RDV, open until a supervisor settles it."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(BigId, ForeignKey("appointments.id", ondelete="CASCADE"),
                                                index=True)  # fmt: skip
    ground: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30), default="open")
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    messages: Mapped[list[DisputeMessage]] = relationship(order_by="DisputeMessage.id", cascade="all, delete-orphan")


class DisputeMessage(Base):
    """One message of a dispute's thread, from the client or a supervisor."""

    __tablename__ = "dispute_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(BigId, ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column()

    attachments: Mapped[list[DisputeAttachment]] = relationship(order_by="DisputeAttachment.id",
                                                                cascade="all, delete-orphan")  # fmt: skip


class DisputeAttachment(Base):
    """A file joined to a message, stored under the data folder by its SHA-256 (`path` relative to it)."""

    __tablename__ = "dispute_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("dispute_messages.id", ondelete="CASCADE"),
                                            index=True)  # fmt: skip
    file_name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
