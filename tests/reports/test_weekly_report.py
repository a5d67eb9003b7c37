"""The weekly dashboard e-mail through a real SMTP server, on SQLite and PostgreSQL: inline charts, the
workbook with native charts and French formats, the results file, once per week."""

from __future__ import annotations

import email
import io
import zipfile
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import default

from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from config.i18n import fmt_percent
from leads.models import Lead
from reports import kpis
from reports.kpi_frames import campaign_facts, load_frames
from reports.mailer import SmtpTransport, deliver_pending
from reports.weekly_report import queue_weekly_mail, weekly_files
from tests.reports.conftest import SmtpServer
from tests.reports.weekly_helpers import MONDAY, seed_weeks

SUNDAY = date(2026, 12, 13)
FRIDAY_EVENING = datetime(2026, 12, 11, 18, 30, tzinfo=UTC)
MAIL_FROM = "Centre <rdv@centre.example>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sent(sessions: sessionmaker[Session], smtp_server: SmtpServer) -> tuple[int, EmailMessage]:
    with sessions.begin() as session:
        campaign = seed_weeks(session)
        # A prospect whose name a spreadsheet would run as a formula, called this week.
        lead = session.query(Lead).filter(Lead.campaign_id == campaign.id).order_by(Lead.id.desc()).first()
        assert lead is not None
        lead.last_name = '=HYPERLINK("http://x.example","clic")'
        campaign_id = campaign.id
    with sessions.begin() as session:
        assert queue_weekly_mail(session, campaign_id, MONDAY, SUNDAY, FRIDAY_EVENING, MAIL_FROM) is not None
    deliver_pending(sessions, SmtpTransport(smtp_server.host, smtp_server.port, starttls=False), FRIDAY_EVENING)
    assert len(smtp_server.recorder.received) == 1
    _sender, recipients, raw = smtp_server.recorder.received[0]
    assert recipients == ["rdv@charpentes-martin.fr"]
    return campaign_id, email.message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def test_the_dashboard_mail_carries_its_charts_inline_and_two_workbooks(
    sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    campaign_id, message = _sent(sessions, smtp_server)
    assert message["Subject"] == ("Votre tableau de bord de la semaine du 7 au 13 décembre 2026 – "
                                  "Prise de RDV Charpente")  # fmt: skip
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 3
    for image in images:
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert image.get_content_disposition() == "inline"
        assert f"cid:{image['Content-ID'].strip().strip('<>')}" in html
    with sessions() as session:
        facts = campaign_facts(session, campaign_id)
        frames = load_frames(session, facts, datetime(2026, 11, 29, 23, tzinfo=UTC),
                             datetime(2026, 12, 13, 23, tzinfo=UTC))  # fmt: skip
    week = kpis.figures(frames, MONDAY, SUNDAY, facts.argued)
    assert "Chiffres clés" in html and "Niveaux de service" in html
    assert f"passé {week.dials} appels" in html
    assert fmt_percent(week.answer_rate) in html and fmt_percent(week.answer_rate).startswith(
        f"{week.answer_rate * 100:.1f}".replace(".", ","))  # a French percent: decimal comma, space before %
    attachments = {p.get_filename(): p for p in message.iter_attachments() if p.get_content_type() == XLSX}
    assert sorted(attachments) == ["resultats_Prise-de-RDV-Charpente_2026-W50.xlsx",
                                   "tableau-de-bord_Prise-de-RDV-Charpente_2026-W50.xlsx"]  # fmt: skip


def _attachment(message: EmailMessage, prefix: str) -> bytes:
    part = next(p for p in message.iter_attachments() if (p.get_filename() or "").startswith(prefix))
    return bytes(part.get_content())


def test_the_dashboard_workbook_has_one_sheet_per_subject_native_charts_and_french_formats(
    sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    _campaign_id, message = _sent(sessions, smtp_server)
    content = _attachment(message, "tableau-de-bord")
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Chiffres clés", "Jour par jour", "Par heure de la journée", "Par jour de la semaine",
                               "Par département", "Appels par fiche", "Motifs de refus", "Niveaux de service"]
    days = book["Jour par jour"]
    assert days["A5"].value == datetime(2026, 12, 7) and days["A5"].number_format == "[$-40C]dddd d mmmm yyyy"
    assert days["D5"].number_format == "0.0\\ %"
    assert days["B5"].number_format == "#,##0"
    headline = book["Chiffres clés"]
    assert headline["A5"].value == "Appels passés" and headline["B5"].value == 60
    charts = [name for name in zipfile.ZipFile(io.BytesIO(content)).namelist() if name.startswith("xl/charts/")]
    assert len(charts) == 5  # drawn by Excel from the cells, not pictures
    day_chart = zipfile.ZipFile(io.BytesIO(content)).read("xl/charts/chart1.xml").decode()
    assert "<barChart>" in day_chart and "<lineChart>" in day_chart  # calls as bars, RDVs on a second axis
    assert "'Jour par jour'!$B$5:$B$11" in day_chart


def test_the_results_file_lists_every_lead_called_formula_safe(
    sessions: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    campaign_id, message = _sent(sessions, smtp_server)
    sheet = load_workbook(io.BytesIO(_attachment(message, "resultats"))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    with sessions() as session:
        called = session.query(Lead).filter(Lead.campaign_id == campaign_id, Lead.attempts > 0).count()
    assert len(rows) == called == 120
    cell = next(c for row in sheet.iter_rows(min_row=2) for c in row if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix  # text, never a formula


def test_the_dashboard_is_stored_once_per_week(sessions: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    campaign_id, _message = _sent(sessions, smtp_server)
    with sessions.begin() as session:
        assert queue_weekly_mail(session, campaign_id, MONDAY, SUNDAY, FRIDAY_EVENING, MAIL_FROM) is None


def test_a_week_without_calls_still_gets_a_courteous_dashboard(sessions: sessionmaker[Session]) -> None:
    from tests.campaigns.appointment_helpers import seed_campaign

    with sessions.begin() as session:
        campaign_id = seed_campaign(session).id
    with sessions() as session:
        files = weekly_files(session, campaign_id, MONDAY, SUNDAY, FRIDAY_EVENING, MAIL_FROM)
    html_part = files.message.get_body(("html",))
    assert html_part is not None
    assert "Aucun appel n&#39;a été passé du 7 au 13 décembre 2026" in html_part.get_content()
    book = load_workbook(io.BytesIO(files.attachments[0].content))
    assert book["Jour par jour"].max_row == 4 + 7  # every day of the week, at zero
    assert load_workbook(io.BytesIO(files.attachments[1].content)).active.max_row == 1  # the header alone


def test_the_dashboard_reads_in_english_too(sessions: sessionmaker[Session], monkeypatch) -> None:
    from tests.campaigns.appointment_helpers import seed_campaign

    monkeypatch.setenv("RDV_LANG", "en")
    with sessions.begin() as session:
        campaign_id = seed_campaign(session).id
    with sessions() as session:
        files = weekly_files(session, campaign_id, MONDAY, SUNDAY, FRIDAY_EVENING, MAIL_FROM)
    assert files.message["Subject"] == "Your weekly dashboard, from 7 to 13 December 2026 – Prise de RDV Charpente"
    assert load_workbook(io.BytesIO(files.attachments[0].content)).sheetnames[0] == "Key figures"


def test_a_campaign_named_like_a_formula_stays_text_on_every_sheet(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_weeks(session)
        campaign.name = "=1+1 Charpente"
        campaign_id = campaign.id
    with sessions() as session:
        files = weekly_files(session, campaign_id, MONDAY, SUNDAY, FRIDAY_EVENING, MAIL_FROM)
    dashboard = next(a for a in files.attachments if a.filename.startswith("tableau-de-bord"))
    book = load_workbook(io.BytesIO(dashboard.content))
    subtitles = [sheet["A2"] for sheet in book.worksheets]
    assert subtitles and all(cell.data_type == "s" and str(cell.value).startswith("=1+1 Charpente – ")
                             for cell in subtitles)
