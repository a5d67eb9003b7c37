"""The daily RDV e-mail as the client receives it: message, table, XLSX and PDF attachments."""

from __future__ import annotations

import dataclasses
import email
import io
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import appointment_pdf
from reports.appointment_pdf import pdf_bytes, rendering_process
from reports.appointment_sheet import AppointmentSheet, DailyAppointments, SheetAnswer
from reports.daily_mail import render_daily_mail

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 18, 15, tzinfo=UTC)


def _sheet(n: int, conform: bool = True, comments: str = "") -> AppointmentSheet:
    start = datetime(2026, 11, 24 + n, 14, 0, tzinfo=PARIS)
    return AppointmentSheet(
        appointment_id=n, prospect=f"Mme Claire Martin{n}", civility="Mme", last_name=f"Martin{n}",
        first_name="Claire", phone=f"+3361234000{n}", email="", address=f"{n} chemin des Vignes",
        postcode="33000", city="Bordeaux", visit_start=start, visit_end=start + timedelta(hours=2),
        answers=(SheetAnswer("Êtes-vous propriétaire de votre logement ?", "Oui"),
                 SheetAnswer("Accès au logement, informations utiles", "=HYPERLINK(\"http://x\")")),
        comments=comments, agent="Sophie", taken_at=datetime(2026, 11, 23, 11, n, tzinfo=PARIS),
        conform=conform, unmet=() if conform else ("Projet de travaux dans les 12 mois",), call_id=100 + n,
    )


def _content(sheets: tuple[AppointmentSheet, ...]) -> DailyAppointments:
    return DailyAppointments(
        client="Charpentes Martin", campaign="Prise de RDV Charpente", day=date(2026, 11, 23), sheets=sheets,
        recipients=("rdv@charpentes-martin.fr", "direction@charpentes-martin.fr"),
        mail_from="Centre d'appels <rdv@centre.example>", signature="L'équipe Outsourcing Academy",
    )


def _parsed(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _attachments(message: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in message.iter_attachments()}


def test_the_client_receives_a_courteous_message_with_the_days_table() -> None:
    message = _parsed(render_daily_mail(_content((_sheet(1), _sheet(2, conform=False))), NOW))
    assert message["To"] == "rdv@charpentes-martin.fr, direction@charpentes-martin.fr"
    assert message["Subject"] == "Vos rendez-vous du lundi 23 novembre 2026 – Prise de RDV Charpente"
    text = message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert body.startswith("Bonjour,\n\nNous avons le plaisir de vous transmettre les 2 rendez-vous pris le lundi")
    assert "1 rendez-vous ne remplit pas l'ensemble des critères convenus" in body
    assert body.rstrip().endswith("Bien cordialement,\nL'équipe Outsourcing Academy")
    html = message.get_body(("html",))
    assert html is not None
    parser = _Rows()
    parser.feed(html.get_content())
    assert parser.rows[0] == ["Réf.", "Visite", "Prospect", "Commune", "Téléphone", "Critères respectés"]
    assert parser.rows[1] == ["RDV-000001", "mercredi 25 novembre 2026, 14:00 – 16:00", "Mme Claire Martin1",
                              "33000 Bordeaux", "+33612340001", "Oui"]
    assert parser.rows[2][-1] == "Non, voir la fiche"
    assert len(parser.rows) == 3


def test_the_attachments_hold_one_xlsx_row_and_one_pdf_page_per_appointment() -> None:
    sheets = (_sheet(1), _sheet(2, conform=False), _sheet(3, comments="Très long commentaire. " * 200))
    files = _attachments(_parsed(render_daily_mail(_content(sheets), NOW)))
    assert sorted(files) == ["RDV_Prise-de-RDV-Charpente_2026-11-23.pdf", "RDV_Prise-de-RDV-Charpente_2026-11-23.xlsx"]
    ws = load_workbook(io.BytesIO(files["RDV_Prise-de-RDV-Charpente_2026-11-23.xlsx"])).active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[0]
    assert header[:3] == ["Référence", "Date de visite", "Début"]
    assert "Êtes-vous propriétaire de votre logement ?" in header and header[-2] == "Critères non respectés"
    assert [r[0] for r in rows[1:]] == ["RDV-000001", "RDV-000002", "RDV-000003"]
    second = dict(zip(header, rows[2], strict=True))
    assert second["Date de visite"] == datetime(2026, 11, 26)
    assert (second["Nom"], second["Ville"], second["Critères respectés"]) == ("Martin2", "Bordeaux", "Non")
    assert second["Critères non respectés"] == "Projet de travaux dans les 12 mois"
    # A prospect's answer never becomes a formula in the client's spreadsheet.
    assert second["Accès au logement, informations utiles"] == "=HYPERLINK(\"http://x\")"  # text, no apostrophe
    assert ws["N3"].quotePrefix and ws["N3"].data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width >= len("RDV-000001")
    pdf = PdfReader(io.BytesIO(files["RDV_Prise-de-RDV-Charpente_2026-11-23.pdf"]))
    assert len(pdf.pages) == 3
    first_page = pdf.pages[0].extract_text()
    assert "RDV-000001" in first_page and "Fiche RDV" in first_page and "Mme Claire Martin1" in first_page
    assert "Projet de travaux dans les 12 mois" in pdf.pages[1].extract_text()


def test_a_day_without_appointments_gets_a_short_positive_note_without_attachments() -> None:
    message = _parsed(render_daily_mail(_content(()), NOW))
    assert message["Subject"] == "Point de la journée du lundi 23 novembre 2026 – Prise de RDV Charpente"
    text = message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Aucun rendez-vous n'a pu être fixé le lundi 23 novembre 2026" in body
    assert "nous vous transmettrons les prochains rendez-vous" in body
    assert _attachments(message) == {}


def test_the_mail_is_in_english_with_rdv_lang_en(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    message = _parsed(render_daily_mail(_content((_sheet(1),)), NOW))
    assert message["Subject"] == "Your appointments of Monday, 23 November 2026 – Prise de RDV Charpente"
    text = message.get_body(("plain",))
    assert text is not None
    assert "We are pleased to send you the appointment set on Monday, 23 November 2026" in text.get_content()


def test_the_pdf_laid_out_in_the_rendering_process_is_the_same_document() -> None:
    content = _content((_sheet(1), _sheet(2, conform=False)))
    with rendering_process():
        texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(content))).pages]
        again = [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(content))).pages]
    assert texts == again == [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(content))).pages]
    assert len(texts) == 2 and "RDV-000002" in texts[1] and "Projet de travaux dans les 12 mois" in texts[1]
    assert appointment_pdf._worker is None  # the child is gone with the block


def test_a_day_without_any_call_says_so_instead_of_promising_calls() -> None:
    content = dataclasses.replace(_content(()), dialled=False)
    text = _parsed(render_daily_mail(content, NOW)).get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Aucun appel n'a été passé le lundi 23 novembre 2026 pour votre campagne" in body
    assert "poursuivent les appels" not in body


def test_the_first_of_a_month_is_1er_in_the_subject_and_the_body() -> None:
    content = dataclasses.replace(_content((_sheet(1),)), day=date(2026, 12, 1))
    message = _parsed(render_daily_mail(content, NOW))
    assert message["Subject"] == "Vos rendez-vous du mardi 1er décembre 2026 – Prise de RDV Charpente"
    text = message.get_body(("plain",))
    assert text is not None and "le mardi 1er décembre 2026 pour votre campagne" in text.get_content()


def test_the_sheet_names_the_prospects_zone_in_words() -> None:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Guadeloupe"))
    sheet = dataclasses.replace(_sheet(1), visit_start=start, visit_end=start + timedelta(hours=2))
    html = appointment_pdf.sheets_html(_content((sheet,)))
    assert "Heure locale du prospect (heure de Guadeloupe)" in html and "America/Guadeloupe" not in html
    assert "mardi 1er décembre 2026, 09:00 – 11:00" in html
