"""The weekly dashboard e-mail: a personal message with the week's key figures beside the week before's,
the charts inline (CID pictures), the service levels, and two attachments: the dashboard workbook and the
results file (every lead called so far).

Tone follows the written customer-relations training in the seeds: clear, personal, courteous, positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from config.i18n import _, current_lang, fmt_date, fmt_number, fmt_percent
from reports.weekly_charts import Chart
from reports.weekly_dashboard import (
    COUNT,
    DAY,
    DECIMAL,
    HOURS,
    PERCENT,
    SECONDS,
    ReportTable,
    WeeklyDashboard,
)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))


def shown(value: Any, kind: str) -> str:
    """A value as the client reads it in the e-mail: `1 234`, `12,5 %`, `4 min 05 s`, `lundi 7 décembre`."""
    if value is None:
        return "–"
    if kind == COUNT:
        return fmt_number(int(value))
    if kind == PERCENT:
        return fmt_percent(float(value))
    if kind == HOURS:
        return _("{hours} h").format(hours=fmt_number(float(value), 1))
    if kind == DECIMAL:
        return fmt_number(float(value), 2)
    if kind == SECONDS:
        minutes, seconds = divmod(round(float(value)), 60)
        return _("{minutes} min {seconds:02d} s").format(minutes=minutes, seconds=seconds)
    if kind == DAY and isinstance(value, date):
        return fmt_date(value)
    return str(value)


def shown_rows(table: ReportTable) -> list[list[str]]:
    """Every cell of a table as text."""
    return [[shown(v, table.kind(r, c)) for c, v in enumerate(row)] for r, row in enumerate(table.rows)]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


def subject(board: WeeklyDashboard) -> str:
    """`Votre tableau de bord de la semaine du … au … – Prise de RDV Charpente`."""
    return _("Your weekly dashboard, {period} – {campaign}").format(period=board.period_text(),
                                                                     campaign=board.facts.name)


def _intro(board: WeeklyDashboard) -> list[str]:
    week, campaign, period = board.week, board.facts.name, board.period_text()
    lines = [_("Hello,")]
    if not week.dials:
        lines.append(_("No call was made {period} for your campaign “{campaign}”; you will find below, for "
                       "reference, the figures of the week before.").format(period=period, campaign=campaign))
        return lines
    lines.append(_("Please find the dashboard of your campaign “{campaign}” for the week {period}.").format(
        campaign=campaign, period=period))
    rdvs = week.rdvs
    summary = (_("This week our team made {dials} calls and set {rdvs} appointment for you.") if rdvs == 1 else
               _("This week our team made {dials} calls and set {rdvs} appointments for you."))
    lines.append(summary.format(dials=fmt_number(week.dials), rdvs=fmt_number(rdvs)))
    if board.previous.rdvs and rdvs > board.previous.rdvs:
        lines.append(_("That is {more} more than the week before.").format(more=fmt_number(rdvs - board.previous.rdvs)))
    return lines


def _outro() -> list[str]:
    return [
        _("Attached you will find the full dashboard as an Excel workbook (one sheet per subject, with its "
          "charts), and the results file: every lead called so far, with its status, its number of calls and "
          "the outcome of the last one."),
        _("We remain at your disposal to go through these figures with you."),
    ]


def render_weekly_mail(board: WeeklyDashboard, tables: list[ReportTable], charts: list[Chart],
                       attachments: list[Attachment], recipients: list[str], mail_from: str, signature: str,
                       now: datetime) -> EmailMessage:
    """The whole MIME message: text and HTML alternatives, the charts related to the HTML, the attachments."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject(board)
    message["Date"] = format_datetime(now)
    domain = mail_from.rpartition("@")[2].strip("> ") or "localhost"
    message["Message-ID"] = make_msgid("rdv", domain=domain)
    intro, outro = _intro(board), _outro()
    message.set_content(_text_body(intro, tables, outro, signature))
    cids = {chart.cid: make_msgid(chart.cid, domain=domain) for chart in charts}
    html = _env.get_template("weekly_mail.html").render(
        lang=current_lang(), subject=message["Subject"], intro=intro, outro=outro,
        tables=[(t, shown_rows(t)) for t in tables], charts=[(c, cids[c.cid][1:-1]) for c in charts],
        regards=_("Kind regards,"), signature=signature,
    )
    message.add_alternative(html, subtype="html")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for chart in charts:
        html_part.add_related(chart.png, maintype="image", subtype="png", cid=cids[chart.cid],
                              disposition="inline", filename=f"{chart.cid}.png")  # fmt: skip
    for attachment in attachments:
        message.add_attachment(attachment.content, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                               filename=attachment.filename)  # fmt: skip
    return message


def _text_body(intro: list[str], tables: list[ReportTable], outro: list[str], signature: str) -> str:
    parts = ["\n\n".join(intro)]
    for table in tables:
        lines = [table.title]
        headers = [c.header for c in table.columns]
        for row in shown_rows(table):
            cells = [_("{label}: {value}").format(label=h, value=v) for h, v in zip(headers[1:], row[1:], strict=True)]
            lines.append("- " + " | ".join([row[0], *cells]))
        parts.append("\n".join(lines))
    parts.append("\n\n".join(outro))
    parts.append(f"{_('Kind regards,')}\n{signature}")
    return "\n\n".join(parts) + "\n"
