"""The RDV sheets as a PDF, one A4 page per appointment (WeasyPrint from a Jinja2 HTML template).

Every text is translated here and handed to the template, so the message catalogue sees all of them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from config.i18n import _, current_lang, fmt_datetime, fmt_zone
from reports.appointment_sheet import AppointmentSheet, DailyAppointments

# Long comments would push a sheet onto a second page; the XLSX attachment keeps the full text.
MAX_COMMENT_CHARS = 1200

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _sheet_view(sheet: AppointmentSheet) -> dict[str, Any]:
    comments = sheet.comments or _("No comment.")
    if len(comments) > MAX_COMMENT_CHARS:
        comments = comments[:MAX_COMMENT_CHARS].rstrip() + " […]"
    zone = fmt_zone(getattr(sheet.visit_start.tzinfo, "key", str(sheet.visit_start.tzinfo)))
    return {
        "reference": sheet.reference,
        "taken": _("taken on {moment}").format(moment=fmt_datetime(sheet.taken_at, "short")),
        "visit": sheet.visit_text,
        "zone_note": _("Local time of the prospect ({zone})").format(zone=zone),
        "prospect": sheet.prospect,
        "phone": sheet.phone,
        "email": sheet.email,
        "address": sheet.address,
        "town": sheet.town,
        "answers": sheet.answers,
        "conform": sheet.conform,
        "unmet": sheet.unmet,
        "comments": comments,
        "meta": _("Appointment set by {agent} (call no. {call}).").format(
            agent=sheet.agent or "—", call=sheet.call_id if sheet.call_id is not None else "—"
        ),
    }


def sheets_html(content: DailyAppointments) -> str:
    """The HTML the PDF is printed from (also handy to look at in a browser)."""
    labels = {
        "title": _("RDV sheet"),
        "visit": _("Visit"),
        "prospect": _("Prospect"),
        "name": _("Name"),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "address": _("Address"),
        "qualification": _("Qualification"),
        "conform": _("This appointment meets every criterion agreed with you."),
        "not_conform": _("Criteria not met:"),
        "comments": _("Agent's comments"),
    }
    confidential = _("Confidential – {client}").format(client=content.client)
    return _env.get_template("appointment_sheets.html").render(
        lang=current_lang(), t=labels, confidential_css=_css_string(confidential),
        client=content.client, campaign=content.campaign, sheets=[_sheet_view(s) for s in content.sheets],
    )


def pdf_bytes(content: DailyAppointments) -> bytes:
    """The PDF of a daily e-mail's RDV sheets, one page each (in the rendering process, if one is open)."""
    html = sheets_html(content)
    pool = _worker
    return pool.submit(_render, html).result() if pool is not None else _render(html)


def _render(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which commands that never print should not pay for.
    from weasyprint import HTML

    result = HTML(string=html).write_pdf()
    assert result is not None
    return bytes(result)


_worker: ProcessPoolExecutor | None = None


@contextmanager
def rendering_process() -> Iterator[None]:
    """Inside, PDFs are laid out in a child process.

    WeasyPrint is mostly pure Python: in a thread it would still hold the interpreter lock for seconds (about
    80 ms a page) and stall a dialer sharing the process; in a child it runs on another core. Spawned, not
    forked: the parent has threads (AMI listener, database pools).
    """
    global _worker
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_render, "<p></p>")  # start the child and load WeasyPrint while the caller does other work
    _worker = pool
    try:
        yield
    finally:
        _worker = None
        pool.shutdown(wait=True, cancel_futures=True)
