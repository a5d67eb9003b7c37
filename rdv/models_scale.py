"""Tables that let several `rdv run` processes share one database: each scheduled fire time, run once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base


class JobFire(Base):
    """One fire time of one job, claimed by the process that runs it: the insert is the claim.

    The primary key (job, fire time) makes a second run of the same fire impossible, across processes too;
    `finished_at` stays empty while it runs (or if its process died during the run).
    """

    __tablename__ = "job_fires"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(primary_key=True)
    run_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
