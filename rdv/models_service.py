"""Tables of the composition root: when each scheduled job last ran (catch-up after downtime)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base


class JobRun(Base):
    """The last fire time a scheduled job completed, so that runs missed while down happen at restart."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_fire_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
