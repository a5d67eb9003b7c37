"""Retention per client: prospects' personal data anonymised some years after the last contact (3 by default),
call records and RDV sheets after the years the contract says (by default the same).

Anonymising keeps what the statistics need (département, zone, statuses, outcomes, dispositions, durations,
dates) and removes what identifies a person: names, company, phones, e-mail, address, the lead file's custom
fields, and free text (callback notes, RDV comments and answers, proof notes). The call channel goes too: its
name carries the number. Numbers on the do-not-call list stay listed, since an objection outlives retention, but
once no lead holds them any more they are kept only as keyed hashes (`leads.dnc.hash_unheld_numbers`): only
membership matters then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ColumnElement, ForeignKey, Integer, case, delete, exists, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from campaigns.appointments import Appointment, AppointmentEvent
from campaigns.models import Attempt, Callback, Campaign, Client
from config.i18n import _
from config.orm import Base
from leads.dnc import hash_unheld_numbers
from leads.models import Lead, LeadPhone

DEFAULT_YEARS = 3
DIALABLE = ("new", "retry", "callback", "no_consent")


class ClientRetention(Base):
    """How long a client's personal data is kept; no row: the defaults."""

    __tablename__ = "client_retention"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    prospect_years: Mapped[int] = mapped_column(Integer, default=DEFAULT_YEARS)
    records_years: Mapped[int | None] = mapped_column(Integer, default=None)  # None: as prospect_years


class AnonymisedLead(Base):
    """A lead whose personal data was removed, and when."""

    __tablename__ = "anonymised_leads"

    lead_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                         ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    anonymised_at: Mapped[datetime] = mapped_column()


@dataclass(frozen=True)
class Retention:
    prospect_years: int = DEFAULT_YEARS
    records_years: int | None = None

    @property
    def records(self) -> int:
        return self.prospect_years if self.records_years is None else self.records_years


def years_before(now: datetime, years: int) -> datetime:
    """The same moment `years` earlier (29 February becomes 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def departement(postcode: str) -> str:
    """The département of a French postcode (35000 → 35, 97200 → 972): what statistics keep of an address."""
    code = postcode.strip()
    return code[:3] if code.startswith("97") else code[:2]


@dataclass
class RetentionReport:
    """What one run anonymised for one client."""

    client: str
    leads: int = 0
    calls: int = 0
    appointments: int = 0
    numbers_hashed: int = 0  # do-not-call numbers no lead holds any more, now kept as keyed hashes


def retention_detail(report: RetentionReport) -> str:
    """A run's counts for one client as the audit log keeps them."""
    return (f"{report.leads} leads, {report.calls} calls, {report.appointments} RDV sheets, "
            f"{report.numbers_hashed} do-not-call numbers hashed")


def retention_of(session: Session, client_id: int) -> Retention:
    row = session.get(ClientRetention, client_id)
    return Retention() if row is None else Retention(row.prospect_years, row.records_years)


def set_retention(session: Session, client_id: int, retention: Retention) -> None:
    row = session.get(ClientRetention, client_id) or ClientRetention(client_id=client_id)
    row.prospect_years, row.records_years = retention.prospect_years, retention.records_years
    session.add(row)
    session.flush()


def apply_retention(session: Session, now: datetime, dnc_key: str) -> list[RetentionReport]:
    """Anonymise, for every client, what its retention says is due at `now`; then hash the do-not-call numbers
    no lead holds any more under `dnc_key` (the secret `leads.dnc.KEY_NAME`), the centre's last (a report of its
    own when there were some)."""
    reports = [apply_client_retention(session, client, now, dnc_key) for client in session.scalars(select(Client))]
    centre = hash_unheld_numbers(session, None, select(Campaign.id).scalar_subquery(), dnc_key, now)
    return reports + ([RetentionReport(_("whole centre"), numbers_hashed=centre)] if centre else [])


def apply_client_retention(session: Session, client: Client, now: datetime, dnc_key: str) -> RetentionReport:
    retention = retention_of(session, client.id)
    campaigns = select(Campaign.id).where(Campaign.client_id == client.id).scalar_subquery()
    done = exists().where(AnonymisedLead.lead_id == Lead.id)
    last_contact = func.coalesce(Lead.last_attempt_at, Lead.created_at)
    due = list(session.scalars(select(Lead.id).where(
        Lead.campaign_id.in_(campaigns), last_contact < years_before(now, retention.prospect_years), ~done)))
    report = RetentionReport(client.name, leads=anonymise_leads(session, due, now))
    records_cutoff = years_before(now, retention.records)
    gone = select(AnonymisedLead.lead_id).scalar_subquery()
    report.calls = _count(session.execute(update(Attempt).where(
        Attempt.campaign_id.in_(campaigns), Attempt.created_at < records_cutoff, Attempt.lead_id.in_(gone),
        or_(Attempt.phone_e164 != "", Attempt.channel != "")).values(phone_e164="", channel="")
        .execution_options(synchronize_session=False)))
    old = select(Appointment.id).where(Appointment.campaign_id.in_(campaigns), Appointment.taken_at < records_cutoff,
                                       Appointment.lead_id.in_(gone), Appointment.address != "")
    ids = list(session.scalars(old))
    report.appointments = anonymise_appointments(session, ids)
    report.numbers_hashed = hash_unheld_numbers(session, client.id, campaigns, dnc_key, now)
    return report


def anonymise_leads(session: Session, lead_ids: list[int], now: datetime) -> int:
    """Remove the personal data of these leads (see the module); returns how many."""
    for start in range(0, len(lead_ids), 2000):
        chunk = lead_ids[start:start + 2000]
        session.execute(update(Lead).where(Lead.id.in_(chunk)).values(
            postcode=_departement_sql(Lead.postcode),
            civility="", last_name="", first_name="", company="", address="", city="", email="", external_ref="",
            custom={}, phone_e164="").execution_options(synchronize_session=False))
        session.execute(update(Lead).where(Lead.id.in_(chunk), Lead.status.in_(DIALABLE))
                        .values(status="exhausted", next_attempt_at=None).execution_options(synchronize_session=False))
        session.execute(delete(LeadPhone).where(LeadPhone.lead_id.in_(chunk)))
        session.execute(update(Callback).where(Callback.lead_id.in_(chunk)).values(note="")
                        .execution_options(synchronize_session=False))
        session.add_all(AnonymisedLead(lead_id=i, anonymised_at=now) for i in chunk)
    session.flush()
    return len(lead_ids)


def anonymise_appointments(session: Session, ids: list[int]) -> int:
    """Remove the address, answers and free text of these RDV sheets; returns how many."""
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        session.execute(update(Appointment).where(Appointment.id.in_(chunk)).values(
            postcode=_departement_sql(Appointment.postcode),
            address="", city="", answers={}, comments="", proof_note="", proof_file_name="")
            .execution_options(synchronize_session=False))
        session.execute(update(AppointmentEvent).where(AppointmentEvent.appointment_id.in_(chunk)).values(note="")
                        .execution_options(synchronize_session=False))
    session.flush()
    return len(ids)


def _departement_sql(postcode: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[str]:
    """`departement` in SQL (the same on SQLite and PostgreSQL)."""
    code = func.trim(postcode)
    return case((code.like("97%"), func.substr(code, 1, 3)), else_=func.substr(code, 1, 2))


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


