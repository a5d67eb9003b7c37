"""`rdv report …`: the client's reports built by hand — the weekly dashboard and results file here; the
monthly review and the final report live in `rdv.cli.report_monthly`, on the same group."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from billing.rules import Week
from campaigns import store as campaigns
from config.i18n import _
from rdv.cli.common import console, wired
from reports.daily_appointments import NoRecipients
from reports.mailer import deliver_pending
from reports.outbox import messages_for, store_message
from reports.weekly_dashboard import current_week
from reports.weekly_report import KIND, weekly_files, write_weekly_files

report_app = typer.Typer(no_args_is_help=True, help="Client reports: weekly dashboard, results file, reviews.")


def _week(text: str, now_week: tuple[date, date]) -> tuple[date, date]:
    if not text:
        return now_week
    week = Week.parse(text)  # InvalidWeek (a ValueError): one French line, exit 2
    return week.monday(), week.sunday()


@report_app.command("weekly")
def weekly(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    week: str = typer.Option("", "--week", help="ISO week, e.g. 2026-W49 (default: the current week)."),
    out: Path = typer.Option(Path("."), "--out", help="Folder for the dashboard, the results file and the e-mail."),
    send: bool = typer.Option(False, "--send", help="Also e-mail them to the client (once per week)."),
) -> None:
    """Build the week's dashboard (XLSX with charts), the results file and the e-mail, as the Friday job does."""
    with wired() as application:
        with application.sessions.begin() as session:
            found = campaigns.get_campaign(session, campaign)
            now = application.clock.now()
            first, last = _week(week, current_week(now, found.timezone))
            files = weekly_files(session, found.id, first, last, now, application.settings.mail_from,
                                 application.settings.centre_timezone)  # fmt: skip
            for path in write_weekly_files(files, out):
                console.print(_("Written: {path}").format(path=path))
            if not send:
                return
            if not found.client.emails:
                raise NoRecipients(found.client.name)
            if messages_for(session, KIND, found.id, first):
                console.print(_("The dashboard of this week was already sent to the client: not sent again."))
                return
            store_message(session, files.message, kind=KIND, now=now, campaign_id=found.id, day=first)
        report = deliver_pending(application.sessions, application.transport(), application.clock.now())
        console.print(_("E-mail to the client: {delivered} delivered, {deferred} deferred.").format(
            delivered=report.delivered, deferred=report.deferred))
