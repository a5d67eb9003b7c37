"""RDVs sent as they are taken: one e-mail per appointment, for the campaigns whose client wants each at once
(the answering-service model contract's transmission delay: under 10 minutes in business hours).

Each e-mail is the daily e-mail's content for one sheet, under its own subject; the appointment is marked sent in
the same transaction that stores the message, so it goes out once, and the evening e-mail does not repeat it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import TAKEN
from campaigns.appointment_services import mark_sent
from campaigns.appointments import Appointment
from campaigns.models import Campaign
from campaigns.settings import campaign_settings
from config.i18n import _, fmt_date, fmt_time
from reports.daily_appointments import DIALLING, daily_content
from reports.daily_mail import render_daily_mail
from reports.outbox import OutboxMessage, store_message

KIND = "rdv_as_taken"


def campaigns_sending_as_taken(session: Session) -> list[Campaign]:
    """Campaigns that dial (running or paused) and send each RDV as it is taken."""
    found = session.scalars(select(Campaign).where(Campaign.status.in_(DIALLING)).order_by(Campaign.id))
    return [c for c in found if campaign_settings(c.settings or {}).send_rdv_as_taken]


def subject(campaign: Campaign, appointment: Appointment) -> str:
    """`Nouveau rendez-vous : jeudi 26 novembre 2026 à 10:00 – Prise de RDV Charpente`."""
    visit = appointment.slot_start.astimezone(ZoneInfo(appointment.timezone))
    return _("New appointment: {day} at {time} – {campaign}").format(day=fmt_date(visit.date()),
                                                                     time=fmt_time(visit), campaign=campaign.name)


def queue_taken_appointments(session: Session, now: datetime, mail_from: str,
                             centre_timezone: str = "Europe/Paris") -> list[OutboxMessage]:
    """Store one e-mail per RDV not yet sent of every campaign that sends them as taken; returns the messages."""
    stored = []
    for campaign in campaigns_sending_as_taken(session):
        if not campaign.client.emails:
            continue  # the daily job says so in clear words; nothing is lost, the RDVs stay to send
        query = (select(Appointment).where(Appointment.campaign_id == campaign.id, Appointment.state == TAKEN,
                                           Appointment.taken_at <= now)
                 .order_by(Appointment.taken_at, Appointment.id).with_for_update(skip_locked=True))  # fmt: skip
        for appointment in session.scalars(query):
            day = appointment.taken_at.astimezone(ZoneInfo(campaign.timezone)).date()
            content = daily_content(session, campaign, [appointment], day, mail_from)
            message = render_daily_mail(content, now)
            message.replace_header("Subject", subject(campaign, appointment))
            row = store_message(session, message, kind=KIND, now=now, campaign_id=campaign.id, day=day)
            mark_sent(session, [appointment.id], row.id, now, by="as-taken")
            stored.append(row)
    return stored
