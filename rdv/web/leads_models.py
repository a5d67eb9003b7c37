"""The lead files a supervisor uploads through the web, and the background import of each ("job")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base, utcnow

# A job's states: `uploaded` (stored, waiting for a column mapping), `running`, `done`, `failed`.
STATES = ("uploaded", "running", "done", "failed")


class LeadUpload(Base):
    """One uploaded lead file and how its import went; the leads themselves are in `lead_imports`."""

    __tablename__ = "lead_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500))  # as the supervisor's computer named it
    stored_as: Mapped[str] = mapped_column(String(1000))  # path under the data folder
    size: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # header → field chosen on the web
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("lead_imports.id", ondelete="SET NULL"))
    error: Mapped[str] = mapped_column(Text, default="")  # the French line saying why it failed
    uploaded_by: Mapped[str] = mapped_column(String(100), default="")
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
