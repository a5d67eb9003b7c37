"""`rdv report monthly` and `rdv report final`: the client's monthly review and the contract's final report, by
hand (the scheduler sends the monthly review itself on the first working day of the next month)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import typer

from campaigns import store
from config.i18n import _, fmt_number
from rdv.bootstrap import App
from rdv.cli.common import UserError, console, wired
from rdv.cli.report import report_app
from reports import review_service
from reports.mailer import deliver_pending
from reports.review_content import ReviewContent

CAMPAIGN = typer.Option(..., "--campaign", help="Name of the campaign.")
OUT = typer.Option(Path("."), "--out", help="Folder the PDF is written into (created if need be).")
SEND = typer.Option(False, "--send", help="Also e-mail it to the client (once: a review already sent is not sent "
                                         "again).")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> date:
    """`2026-12` → 1 December 2026; anything else is refused with one clear line."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise UserError(_("Invalid month: “{text}” (expected YYYY-MM, e.g. 2026-12)").format(text=text))
    return date(int(found.group(1)), int(found.group(2)), 1)


def _summary(content: ReviewContent, path: Path) -> None:
    f = content.figures
    console.print(_("{path} written: {dials} dials, {rdvs} RDVs, {count} recommendations.").format(
        path=path, dials=fmt_number(f.dials), rdvs=fmt_number(f.rdvs), count=len(content.recommendations)))


@report_app.command("monthly")
def monthly(
    campaign: str = CAMPAIGN,
    month: str = typer.Option(..., "--month", help="Month reviewed, YYYY-MM: 2026-12."),
    out: Path = OUT,
    send: bool = SEND,
) -> None:
    """Write the monthly review of a campaign as a PDF: figures and their trend, charts, what prospects said,
    service levels and recommendations."""
    with wired() as application:
        first = parse_month(month)
        with application.sessions() as session:
            row = store.get_campaign(session, campaign)
            content = review_service.build_month(session, row.id, first,
                                                 centre_timezone=application.settings.centre_timezone)
        _summary(content, review_service.write(content, out))
        if send:
            _send(application, row.id, first, final=False)


@report_app.command("final")
def final(campaign: str = CAMPAIGN, out: Path = OUT, send: bool = SEND) -> None:
    """Write the final report of a campaign, from its first call to its last, as a PDF."""
    with wired() as application:
        with application.sessions() as session:
            row = store.get_campaign(session, campaign)
            content = review_service.build_final(session, row.id,
                                                 centre_timezone=application.settings.centre_timezone)
        _summary(content, review_service.write(content, out))
        if send:
            _send(application, row.id, content.first, final=True)


def _send(application: App, campaign_id: int, first: date, *, final: bool) -> None:
    now = application.clock.now()
    with application.sessions.begin() as session:
        message = review_service.queue_review(session, campaign_id, first, now, application.settings.mail_from,
                                              final=final, centre_timezone=application.settings.centre_timezone)
    if message is None:
        console.print(_("This report was already sent to the client: it is not sent again."))
        return
    deliver_pending(application.sessions, application.transport(), now)
    console.print(_("Sent to {to} (outbox #{id}).").format(to=", ".join(message.to), id=message.id))
