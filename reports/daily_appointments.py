"""Build and store the daily RDV e-mail of a campaign: the job the scheduler runs after each calling day.

The message is stored in the outbox and the appointments it carries are marked sent in the caller's
transaction, so each appointment goes out in exactly one daily e-mail even if the job runs twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_services import appointments_for_daily_mail, day_bounds, mark_sent
from campaigns.appointments import Appointment
from campaigns.models import Attempt, Campaign
from campaigns.script import CampaignScript, answer_text
from campaigns.script_store import script_version
from campaigns.settings import campaign_settings
from config.i18n import _
from leads.models import Lead
from leads.phone import display
from reports.agent_names import agent_label, display_names
from reports.appointment_sheet import AppointmentSheet, DailyAppointments, SheetAnswer
from reports.daily_mail import render_daily_mail
from reports.outbox import OutboxMessage, messages_for, store_message

KIND = "daily_rdv"  # stored in outbox rows: a persisted value, kept as it was
# Campaigns that had a calling day, hence owe the client a note even without any appointment.
DIALLING = ("running", "paused", "stopped")


class NoRecipients(ValueError):
    """A client without any address to send its RDV sheets to."""

    def __init__(self, client: str) -> None:
        super().__init__(
            _("Client {client} has no e-mail address for the RDV sheets: add one with `rdv client`").format(
                client=client
            )
        )
        self.client = client


def queue_daily_mail(
    session: Session, campaign_id: int, day: date, now: datetime, mail_from: str, empty_note: bool = True
) -> OutboxMessage | None:
    """Store the campaign's daily e-mail for `day` in the outbox and mark its appointments sent.

    Returns None when there is nothing to send: no new appointment and either the campaign does not
    want a note on empty days (or `empty_note` is false) or that day's note was already stored.
    """
    # Holding the campaign row serialises two mail jobs for the same campaign (PostgreSQL); on SQLite
    # the second writer fails instead of sending twice, and mark_sent refuses an appointment sent already.
    campaign = session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update().execution_options(populate_existing=True)
    )
    if campaign is None:
        raise LookupError(campaign_id)
    appointments = appointments_for_daily_mail(session, campaign_id, day, now)
    settings = campaign_settings(campaign.settings)
    # A campaign that sends each RDV as it is taken has sent them already: no "no appointment today" note.
    if not appointments and (
        not empty_note
        or not settings.send_empty_daily_mail
        or settings.send_rdv_as_taken
        or messages_for(session, KIND, campaign_id, day)
    ):
        return None
    if not campaign.client.emails:
        raise NoRecipients(campaign.client.name)
    content = daily_content(session, campaign, appointments, day, mail_from)
    stored = store_message(session, render_daily_mail(content, now), kind=KIND, now=now,
                           campaign_id=campaign_id, day=day)
    mark_sent(session, [a.id for a in appointments], stored.id, now)
    return stored


def daily_content(
    session: Session, campaign: Campaign, appointments: Sequence[Appointment], day: date, mail_from: str
) -> DailyAppointments:
    """The plain content of a daily e-mail, every answer labelled with its question."""
    scripts: dict[int | None, CampaignScript | None] = {}
    sheets = []
    agents = display_names(session, (a.agent for a in appointments))
    for appointment in appointments:
        version = appointment.script_version
        if version not in scripts:
            scripts[version] = script_version(session, campaign.id, version) if version is not None else None
        lead = session.get_one(Lead, appointment.lead_id)
        sheets.append(appointment_sheet(appointment, lead, scripts[version], campaign.timezone, agents))
    signature = str(campaign.settings.get("mail_signature") or _("The appointment-setting team"))
    return DailyAppointments(
        client=campaign.client.name, campaign=campaign.name, day=day, sheets=tuple(sheets),
        recipients=tuple(campaign.client.emails), mail_from=mail_from, signature=signature,
        dialled=bool(appointments) or dialled_on(session, campaign, day),
    )


def dialled_on(session: Session, campaign: Campaign, day: date) -> bool:
    """Whether the campaign placed at least one call on `day` (its own zone's calendar day)."""
    start, end = day_bounds(day, campaign.timezone)
    query = select(Attempt.id).where(
        Attempt.campaign_id == campaign.id, Attempt.created_at >= start, Attempt.created_at < end
    ).limit(1)
    return session.scalar(query) is not None


def appointment_sheet(
    appointment: Appointment, lead: Lead, script: CampaignScript | None, centre_zone: str,
    agents: Mapping[str, str] | None = None,
) -> AppointmentSheet:
    """One appointment as the client reads it: visit in the prospect's zone, answers in the question order.

    The agent is named by `agents` (login → display name), else `téléacteur n° 5`, never by a bare login.
    """
    answers: list[SheetAnswer] = []
    if script is not None:
        for question in script.questions:
            if question.key in appointment.answers:
                answers.append(SheetAnswer(question.label, answer_text(question, appointment.answers[question.key])))
    else:
        answers = [SheetAnswer(key, str(value)) for key, value in appointment.answers.items()]
    zone = ZoneInfo(appointment.timezone)
    prospect = " ".join(p for p in (lead.civility, lead.first_name, lead.last_name) if p.strip())
    return AppointmentSheet(
        appointment_id=appointment.id, prospect=prospect, civility=lead.civility, last_name=lead.last_name,
        first_name=lead.first_name, phone=display(lead.phone_e164), email=lead.email, address=appointment.address,
        postcode=appointment.postcode, city=appointment.city, visit_start=appointment.slot_start.astimezone(zone),
        visit_end=appointment.slot_end.astimezone(zone), answers=tuple(answers), comments=appointment.comments,
        agent=agent_label(appointment.agent, agents or {}),
        taken_at=appointment.taken_at.astimezone(ZoneInfo(centre_zone)),
        conform=appointment.conform, unmet=tuple(appointment.unmet_criteria), call_id=appointment.attempt_id,
    )


def queue_daily_mails(session: Session, day: date, now: datetime, mail_from: str) -> list[OutboxMessage]:
    """The daily e-mail of every campaign with appointments to send; empty-day notes only for dialling ones."""
    stored = []
    for campaign_id, status in session.execute(select(Campaign.id, Campaign.status).order_by(Campaign.id)).all():
        message = queue_daily_mail(session, campaign_id, day, now, mail_from, empty_note=status in DIALLING)
        if message is not None:
            stored.append(message)
    return stored
