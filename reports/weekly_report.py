"""Build the weekly dashboard and results file of a campaign, and store the e-mail that carries them.

The message is stored in the outbox under the week's Monday: a second run for the same week (the job after a
restart, or by hand) finds it and stores nothing, so the client gets one dashboard per week.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Campaign
from config.i18n import _
from reports.daily_appointments import NoRecipients
from reports.kpi_frames import DEFAULT_CENTRE_TIMEZONE
from reports.leads_export import export_leads
from reports.outbox import OutboxMessage, messages_for, store_message
from reports.weekly_charts import charts
from reports.weekly_dashboard import WeeklyDashboard, build_dashboard, tables
from reports.weekly_mail import Attachment, render_weekly_mail
from reports.weekly_xlsx import workbook_bytes

KIND = "weekly_dashboard"


@dataclass(frozen=True)
class WeeklyFiles:
    """The week's dashboard, its attachments and the e-mail that carries them."""

    board: WeeklyDashboard
    attachments: list[Attachment]
    message: EmailMessage


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-") or "campagne"


def results_file(session: Session, campaign_id: int) -> bytes:
    """Every lead called so far, as the client's XLSX export (formula-safe, French labels)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.xlsx"
        export_leads(session, campaign_id, path, worked_only=True)
        return path.read_bytes()


def weekly_files(session: Session, campaign_id: int, first: date, last: date, now: datetime, mail_from: str,
                 centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> WeeklyFiles:
    """The dashboard of the week `first` … `last`, the workbook, the results file and the e-mail."""
    board = build_dashboard(session, campaign_id, first, last, centre_timezone)
    campaign = session.get_one(Campaign, campaign_id)
    stem = f"{_slug(campaign.name)}_{board.week_name}"
    # File names in ASCII, so every mail client shows them: `tableau-de-bord_Prise-de-RDV-Charpente_2026-W50.xlsx`.
    attachments = [Attachment(f"{_slug(_('dashboard'))}_{stem}.xlsx", workbook_bytes(board)),
                   Attachment(f"{_slug(_('results'))}_{stem}.xlsx", results_file(session, campaign_id))]
    every = tables(board)
    shown = [every[0], every[-1]]  # the key figures and the service levels; every table is in the workbook
    signature = str(campaign.settings.get("mail_signature") or _("The appointment-setting team"))
    message = render_weekly_mail(board, shown, charts(board), attachments, list(campaign.client.emails), mail_from,
                                 signature, now)  # fmt: skip
    return WeeklyFiles(board, attachments, message)


def queue_weekly_mail(session: Session, campaign_id: int, first: date, last: date, now: datetime, mail_from: str,
                      centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> OutboxMessage | None:
    """Store the week's dashboard e-mail in the outbox; None when it was stored already for that week."""
    # Holding the campaign row serialises two runs for the same campaign (PostgreSQL).
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    if campaign is None:
        raise LookupError(campaign_id)
    if messages_for(session, KIND, campaign_id, first):
        return None
    if not campaign.client.emails:
        raise NoRecipients(campaign.client.name)
    files = weekly_files(session, campaign_id, first, last, now, mail_from, centre_timezone)
    return store_message(session, files.message, kind=KIND, now=now, campaign_id=campaign_id, day=first)


def write_weekly_files(files: WeeklyFiles, folder: Path, eml: bool = True) -> list[Path]:
    """Write the workbook, the results file and (`eml`) the e-mail, to open in a mail client, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for attachment in files.attachments:
        path = folder / attachment.filename
        path.write_bytes(attachment.content)
        written.append(path)
    if eml:
        path = folder / f"{_slug(_('dashboard'))}_{_slug(files.board.facts.name)}_{files.board.week_name}.eml"
        path.write_bytes(files.message.as_bytes(policy=SMTP))
        written.append(path)
    return written
