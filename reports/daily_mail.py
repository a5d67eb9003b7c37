"""The daily RDV e-mail to a client: a courteous personal message, the day's table, the XLSX and PDF sheets.

Tone follows the written customer-relations training in the seeds: clear, personal, courteous,
reassuring, and positive even on a day with few or no appointments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, PackageLoader, select_autoescape

from config.i18n import _, current_lang, fmt_date
from reports.appointment_pdf import pdf_bytes
from reports.appointment_sheet import DailyAppointments
from reports.appointment_xlsx import workbook_bytes

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))


def subject(content: DailyAppointments) -> str:
    """`Vos rendez-vous du lundi 23 novembre 2026 – Prise de RDV Charpente`, or the day's note when empty."""
    day = fmt_date(content.day)
    if content.sheets:
        return _("Your appointments of {day} – {campaign}").format(day=day, campaign=content.campaign)
    return _("Daily update of {day} – {campaign}").format(day=day, campaign=content.campaign)


def _intro(content: DailyAppointments) -> list[str]:
    day, count, campaign = fmt_date(content.day), len(content.sheets), content.campaign
    if not count and not content.dialled:
        return [
            _("Hello,"),
            _("No call was made on {day} for your campaign “{campaign}”, so there is no appointment to send you "
              "for that day.").format(day=day, campaign=campaign),
            _("We will send you the appointments as soon as calls have resumed and appointments are set."),
        ]
    if not count:
        return [
            _("Hello,"),
            _("No appointment was set on {day} for your campaign “{campaign}”.").format(day=day, campaign=campaign),
            _("Our team keeps calling with the same commitment, and we will send you the next appointments "
              "as soon as they are set."),
        ]
    lines = [
        _("Hello,"),
        (_("We are pleased to send you the appointment set on {day} for your campaign “{campaign}”.") if count == 1
         else _("We are pleased to send you the {count} appointments set on {day} for your campaign “{campaign}”.")
         ).format(count=count, day=day, campaign=campaign),
        _("You will find its summary below and, attached, its detailed RDV sheet: as a PDF page, "
          "and in the Excel file.") if count == 1 else
        _("You will find their summary below and, attached, the detailed RDV sheets: one page per "
          "appointment in the PDF file, and all of them in the Excel file."),
    ]
    return lines


def _outro(content: DailyAppointments) -> list[str]:
    count, not_conform = len(content.sheets), len(content.sheets) - content.conform_count
    lines = []
    if count and not not_conform:
        lines.append(_("This appointment meets the criteria agreed with you.") if count == 1
                     else _("All of these appointments meet the criteria agreed with you."))
    elif not_conform:
        # Plain `_()` pairs rather than ngettext: the catalogue test reads singular msgids only.
        lines.append((
            _("For full transparency, {count} appointment does not meet every agreed criterion: "
              "the details are on its sheet.") if not_conform == 1 else
            _("For full transparency, {count} appointments do not meet every agreed criterion: "
              "the details are on their sheets.")
        ).format(count=not_conform))
    if count:
        lines.append(_("Please let us know the outcome of each visit: your feedback helps us keep improving "
                       "the appointments we set for you."))
    lines.append(_("We remain at your disposal for any question."))
    return lines


@dataclass(frozen=True)
class MailRow:
    cells: tuple[str, ...]
    conform: bool
    verdict: str


def _table(content: DailyAppointments) -> tuple[list[str], list[MailRow]]:
    headers = [_("Ref."), _("Visit"), _("Prospect"), _("Town"), _("Phone"), _("Criteria met")]
    rows = [
        MailRow((s.reference, s.visit_text, s.prospect, s.town, s.phone), s.conform,
                _("Yes") if s.conform else _("No, see the sheet"))
        for s in content.sheets
    ]
    return headers, rows


def _text_body(content: DailyAppointments, intro: list[str], outro: list[str]) -> str:
    parts = ["\n\n".join(intro)]
    if content.sheets:
        headers, rows = _table(content)
        criteria = headers[-1]
        parts.append("\n".join(
            "- " + " | ".join([*row.cells, _("{label}: {value}").format(label=criteria, value=row.verdict)])
            for row in rows
        ))
    parts.append("\n\n".join(outro))
    parts.append(f"{_('Kind regards,')}\n{content.signature}")
    return "\n\n".join(parts) + "\n"


def render_daily_mail(content: DailyAppointments, now: datetime) -> EmailMessage:
    """The whole MIME message: text and HTML alternatives, then the XLSX and PDF when there are appointments."""
    intro, outro = _intro(content), _outro(content)
    message = EmailMessage()
    message["From"] = content.mail_from
    message["To"] = ", ".join(content.recipients)
    message["Subject"] = subject(content)
    message["Date"] = format_datetime(now)
    domain = content.mail_from.rpartition("@")[2].strip("> ") or "localhost"
    message["Message-ID"] = make_msgid("rdv", domain=domain)
    message.set_content(_text_body(content, intro, outro))
    headers, rows = _table(content)
    html = _env.get_template("daily_mail.html").render(
        lang=current_lang(), subject=message["Subject"], intro=intro, outro=outro, headers=headers, rows=rows,
        regards=_("Kind regards,"), signature=content.signature,
    )
    message.add_alternative(html, subtype="html")
    if content.sheets:
        stem = content.file_stem()
        message.add_attachment(workbook_bytes(content), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                               filename=f"{stem}.xlsx")
        message.add_attachment(pdf_bytes(content), maintype="application", subtype="pdf", filename=f"{stem}.pdf")
    return message
