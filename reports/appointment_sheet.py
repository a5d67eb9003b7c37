"""The RDV sheet as the client reads it: plain values, already labelled, for the e-mail, XLSX and PDF renderers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from config.i18n import _, fmt_date, fmt_time


@dataclass(frozen=True)
class SheetAnswer:
    label: str
    text: str


@dataclass(frozen=True)
class AppointmentSheet:
    """One appointment with everything the client's sales representative needs for the visit."""

    appointment_id: int
    prospect: str
    civility: str
    last_name: str
    first_name: str
    phone: str
    email: str
    address: str
    postcode: str
    city: str
    visit_start: datetime
    visit_end: datetime
    answers: tuple[SheetAnswer, ...]
    comments: str
    agent: str
    taken_at: datetime
    conform: bool
    unmet: tuple[str, ...]
    call_id: int | None

    @property
    def reference(self) -> str:
        return f"RDV-{self.appointment_id:06d}"

    @property
    def visit_text(self) -> str:
        """`mercredi 25 novembre 2026, 14:00 – 16:00` in the prospect's zone."""
        return _("{day}, {start} – {end}").format(
            day=fmt_date(self.visit_start.date()), start=fmt_time(self.visit_start), end=fmt_time(self.visit_end)
        )

    @property
    def town(self) -> str:
        return f"{self.postcode} {self.city}".strip()


@dataclass(frozen=True)
class DailyAppointments:
    """One daily e-mail's content: a client's campaign, a calling day, its sheets and who receives them."""

    client: str
    campaign: str
    day: date
    sheets: tuple[AppointmentSheet, ...]
    recipients: tuple[str, ...]
    mail_from: str
    signature: str
    dialled: bool = True  # whether any call was placed that day: a day without calls says so

    @property
    def conform_count(self) -> int:
        return sum(1 for s in self.sheets if s.conform)

    def file_stem(self) -> str:
        """`RDV_Prise-de-RDV-Charpente_2026-11-23`: ASCII, so every mail client shows the attachment name."""
        ascii_name = unicodedata.normalize("NFKD", self.campaign).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-") or "campagne"
        return f"RDV_{slug}_{self.day.isoformat()}"
