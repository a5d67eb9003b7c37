"""Build a campaign's monthly review or final report from the database, write it, or send it to the client.

Sending goes through the outbox (`reports.outbox`): the message is stored first, under its kind, campaign and
the first day of the month it reviews, so a review already stored is never stored twice.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.appointment_services import day_bounds
from campaigns.models import Attempt, Campaign
from config.i18n import _, fmt_number
from reports.daily_appointments import NoRecipients
from reports.kpi_frames import DEFAULT_CENTRE_TIMEZONE, campaign_facts, load_frames
from reports.monthly_review import period_text, review_pdf, title
from reports.outbox import OutboxMessage, messages_for, store_message
from reports.review_content import ReviewContent, ReviewFacts, build_review, month_end, previous_month
from reports.review_frames import load_review_frames
from reports.review_view import departement_label, hour_label, weekday_label
from reports.service_levels import Targets
from reports.weekly_dashboard import sends_as_taken

MONTHLY = "monthly_review"  # outbox kinds: persisted values
FINAL = "final_report"


class NothingToReview(LookupError):
    """A campaign that never placed a call: there is no period to report on."""

    def __init__(self, campaign: str) -> None:
        super().__init__(_("Campaign {campaign} has not placed any call yet: there is nothing to report on.").format(
            campaign=campaign))


def build(session: Session, campaign_id: int, first: date, last: date, *, final: bool = False,
          centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> ReviewContent:
    """The review of the campaign days `first` … `last` (a month, or the whole contract when `final`)."""
    facts = campaign_facts(session, campaign_id)
    campaign = session.get_one(Campaign, campaign_id)
    since = day_bounds(first if final else previous_month(first)[0], facts.timezone)[0]
    until = day_bounds(last, facts.timezone)[1]
    frames = load_frames(session, facts, since, until, centre_timezone)
    extra = load_review_frames(session, campaign_id, facts.timezone, first, last)
    review_facts = ReviewFacts(
        client=campaign.client.name, campaign=campaign.name, argued=facts.argued, final=facts.final,
        labels=facts.labels, boundaries=facts.settings.hour_bands,
        sends_as_taken=sends_as_taken(facts), targets=Targets.of(facts.settings),
    )
    labels = {"hour_bands": {h: hour_label(h) for h in range(24)},
              "weekdays": {d: weekday_label(d) for d in range(7)},
              "departements": {code: departement_label(code) for code in frames.leads["departement"].unique()}}
    return build_review(frames, extra, review_facts, first, last, final=final, labels=labels)


def build_month(session: Session, campaign_id: int, month: date, *,
                centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> ReviewContent:
    """The review of the calendar month of `month`."""
    first = month.replace(day=1)
    return build(session, campaign_id, first, month_end(first), centre_timezone=centre_timezone)


def contract_period(session: Session, campaign_id: int) -> tuple[date, date]:
    """The first and last campaign days with a call: the period of the final report."""
    campaign = session.get_one(Campaign, campaign_id)
    first, last = session.execute(select(func.min(Attempt.created_at), func.max(Attempt.created_at))
                                  .where(Attempt.campaign_id == campaign_id)).one()
    if first is None or last is None:
        raise NothingToReview(campaign.name)
    zone = campaign.timezone
    return _local_date(first, zone), _local_date(last, zone)


def _local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def build_final(session: Session, campaign_id: int, *,
                centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> ReviewContent:
    """The contract's final report: every day from the first call to the last."""
    first, last = contract_period(session, campaign_id)
    return build(session, campaign_id, first, last, final=True, centre_timezone=centre_timezone)


def file_name(content: ReviewContent) -> str:
    """`Bilan_Prise-de-RDV-Charpente_2026-12.pdf`: ASCII, so every mail client shows the attachment name."""
    stem = unicodedata.normalize("NFKD", content.facts.campaign).encode("ascii", "ignore").decode("ascii")
    stem = "-".join("".join(c if c.isalnum() else " " for c in stem).split()) or "campagne"
    if content.final:
        return f"{_('Final-report')}_{stem}_{content.first:%Y-%m-%d}_{content.last:%Y-%m-%d}.pdf"
    return f"{_('Review')}_{stem}_{content.first:%Y-%m}.pdf"


def write(content: ReviewContent, folder: Path) -> Path:
    """Write the PDF into `folder` (created if need be) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(content)
    path.write_bytes(review_pdf(content))
    return path


def review_mail(content: ReviewContent, recipients: list[str], mail_from: str, now: datetime,
                signature: str) -> EmailMessage:
    """The courteous covering e-mail, the review attached as a PDF."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = _("{title} – {campaign}").format(title=title(content), campaign=content.facts.campaign)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("rdv", domain=mail_from.rpartition("@")[2].strip("> ") or "localhost")
    f = content.figures
    body = [
        _("Hello,"),
        (_("Please find attached the final report of your campaign “{campaign}”, {period}.") if content.final else
         _("Please find attached the review of your campaign “{campaign}” for {period}.")).format(
            campaign=content.facts.campaign, period=period_text(content)),
        _("In short: {rdvs} appointments set from {argued} argued contacts, and {count} recommendations that we "
          "would be glad to discuss with you.").format(rdvs=fmt_number(f.rdvs), argued=fmt_number(f.argued_contacts),
                                                      count=len(content.recommendations)),
        _("We remain at your disposal for any question."),
        f"{_('Kind regards,')}\n{signature}",
    ]
    message.set_content("\n\n".join(body) + "\n")
    message.add_attachment(review_pdf(content), maintype="application", subtype="pdf", filename=file_name(content))
    return message


def queue_review(session: Session, campaign_id: int, month: date, now: datetime, mail_from: str, *,
                 final: bool = False, centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> OutboxMessage | None:
    """Store the month's review (or the final report) for the client in the outbox; None when it already was, or
    when the campaign placed no call in the period."""
    kind, first = (FINAL, month) if final else (MONTHLY, month.replace(day=1))
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    if campaign is None:
        raise LookupError(campaign_id)
    if messages_for(session, kind, campaign_id, first):
        return None
    if not campaign.client.emails:
        raise NoRecipients(campaign.client.name)
    content = (build_final(session, campaign_id, centre_timezone=centre_timezone) if final
               else build_month(session, campaign_id, first, centre_timezone=centre_timezone))
    if not content.figures.dials:  # a campaign that did not call that month owes no review
        return None
    signature = str(campaign.settings.get("mail_signature") or _("The appointment-setting team"))
    message = review_mail(content, list(campaign.client.emails), mail_from, now, signature)
    return store_message(session, message, kind=kind, now=now, campaign_id=campaign_id, day=first)


def last_month(today: date) -> date:
    """The first day of the month before `today`'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
