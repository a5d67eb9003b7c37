"""Tables of the campaigns package: clients and their campaigns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.orm import Base


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Client(Base):
    """The firm that buys the appointments."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300), default="")
    siren: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="client")


class Campaign(Base):
    """One appointment-setting operation for a client, with its rules in `settings`."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    profile: Mapped[str] = mapped_column(String(40), default="fr-consumer")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)

    client: Mapped[Client] = relationship(back_populates="campaigns")
