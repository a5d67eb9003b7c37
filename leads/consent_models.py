"""The table of consent records: one row per consent a prospect gave (or contract in progress), what the
hopper's consent gate reads (see `leads.consent` for the rule, `leads.consent_store` for its SQL twin).

A record is scoped to one client (the firm the prospect agreed to hear from) and, when `products` is not
empty, to some of its products; it may expire; a revocation keeps the record and stamps when and through
which channel the consumer withdrew it, so that what was allowed on any past day can still be proved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.orm import Base
from leads.consent import ConsentRecord

# Where a consent came from: a form (web, paper, a show), a partner who collected it, a contract in progress.
KINDS = ("form", "partner", "contract")


class ConsentGrant(Base):
    """One consent to be called (or one contract in progress) of one lead."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_lead_client", "lead_id", "client_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    kind: Mapped[str] = mapped_column(String(20), default="form")
    given_at: Mapped[datetime | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(200), default="")
    # The text the consumer was shown, or its reference (a version of the form's terms).
    text_ref: Mapped[str] = mapped_column(String(500), default="")
    proof_ref: Mapped[str] = mapped_column(String(200), default="")
    products: Mapped[str] = mapped_column(String(300), default="")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    hours_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoke_channel: Mapped[str] = mapped_column(String(200), default="")
    # "import 12" for the lead file's columns, else the file or command that recorded it.
    origin: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column()

    def rule_record(self) -> ConsentRecord:
        """The record as the pure rule sees it (a contract proves no consent, only the exemption)."""
        contract = self.kind == "contract"
        return ConsentRecord(self.given_at, "" if contract else self.source, "" if contract else self.proof_ref,
                             contract, self.expires_at, self.revoked_at, self.hours_exempt)
