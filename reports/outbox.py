"""The outbox: every e-mail is stored here before any attempt to send it, so nothing is lost on a crash.

The mailer (`reports.mailer`) reads due messages, hands them to a transport and records the result.
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.orm import Base, utcnow

PENDING = "pending"
SENT = "sent"
# Written as an .eml file into a folder because no SMTP server is configured (embedded default, demo).
FILED = "filed"
FAILED = "failed"
STATUSES = (PENDING, SENT, FILED, FAILED)



class OutboxMessage(Base):
    """One e-mail, its raw bytes, and where it stands on its way out."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_try", "status", "next_try_at"),
        Index("ix_outbox_messages_kind_campaign_day", "kind", "campaign_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), default=None)
    day: Mapped[date | None] = mapped_column(Date, default=None)
    mail_from: Mapped[str] = mapped_column(String(300))
    to: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(300), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts the server refused for good (5xx); a few in a row and the message is given up as failed.
    permanent_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_to: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


def store_message(
    session: Session, message: EmailMessage, *, kind: str, now: datetime,
    campaign_id: int | None = None, day: date | None = None,
) -> OutboxMessage:
    """Keep a rendered e-mail in the outbox, due at once; the caller's transaction commits it."""
    recipients = [a.strip() for field in ("To", "Cc", "Bcc") for a in message.get_all(field, []) for a in a.split(",")]
    row = OutboxMessage(
        kind=kind, campaign_id=campaign_id, day=day, mail_from=str(message["From"]),
        to=[a for a in recipients if a], subject=str(message["Subject"] or ""),
        message_id=str(message["Message-ID"] or ""), raw=message.as_bytes(policy=SMTP),
        status=PENDING, attempts=0, next_try_at=now, created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def messages_for(session: Session, kind: str, campaign_id: int, day: date) -> list[OutboxMessage]:
    """Messages of one kind already stored for a campaign and day (whatever their status)."""
    query = select(OutboxMessage).where(
        OutboxMessage.kind == kind, OutboxMessage.campaign_id == campaign_id, OutboxMessage.day == day
    )
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def listed(session: Session, statuses: tuple[str, ...] = (PENDING, FAILED)) -> list[OutboxMessage]:
    """Messages in the given statuses, oldest first (what `rdv mail outbox` shows)."""
    query = select(OutboxMessage).where(OutboxMessage.status.in_(statuses)).order_by(OutboxMessage.id)
    return list(session.scalars(query))


def due_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Pending messages whose next try has come, oldest first."""
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_try_at <= now)
        .order_by(OutboxMessage.next_try_at, OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(query))
