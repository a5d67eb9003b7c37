"""`rdv mail …`: the outbox of e-mails (daily RDV sheets and reports) and sending it now."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from campaigns import store
from config.i18n import _, fmt_date, fmt_datetime, ngettext
from rdv.cli.common import console, err_console, wired
from reports.daily_appointments import KIND as DAILY
from reports.daily_appointments import queue_daily_mail
from reports.mailer import deliver_pending, transport_from_settings
from reports.outbox import FAILED, FILED, PENDING, SENT, listed

app = typer.Typer(no_args_is_help=True, help="E-mails to clients: the outbox and its delivery.")


def _status(status: str) -> str:
    labels = {PENDING: _("pending"), SENT: _("sent"), FILED: _("written to folder"), FAILED: _("failed")}
    return labels.get(status, status)


def _kind(code: str) -> str:
    """The kind of a message as people name it; the code stays in the rows."""
    return _("daily RDV e-mail") if code == DAILY else code


@app.command("outbox")
def outbox(show_all: bool = typer.Option(False, "--all", help="Also list messages already delivered.")) -> None:
    """List pending and failed e-mails, with their tries and last error."""
    statuses = (PENDING, FAILED, SENT, FILED) if show_all else (PENDING, FAILED)
    with wired() as application, application.sessions() as session:
        messages = listed(session, statuses)
        table = Table(_("No."), _("Kind"), _("Subject"), _("Status"), _("Tries"), _("Next try"), _("Last error"))
        for m in messages:
            table.add_row(
                str(m.id), _kind(m.kind), m.subject, _status(m.status), str(m.attempts),
                fmt_datetime(m.next_try_at, "short") if m.next_try_at else "", m.last_error,
            )
        console.print(table)
        console.print(ngettext("{count} message listed.", "{count} messages listed.", len(messages)).format(
            count=len(messages)))


@app.command("send-pending")
def send_pending(
    out: Path | None = typer.Option(None, "--out", help="Folder for .eml files when no SMTP server is configured."),
) -> None:
    """Send every due e-mail now (SMTP, or .eml files into the outbox folder)."""
    with wired() as application:
        transport = transport_from_settings(application.settings, out)
        # Each problem is said below, in the user's language; the mailer's log lines are for the service.
        logging.getLogger("reports.mailer").setLevel(logging.CRITICAL)
        report = deliver_pending(application.sessions, transport, application.clock.now())
        for outbox_id, reason in report.problems:
            err_console.print(_("E-mail no. {id} not delivered: {reason}").format(id=outbox_id, reason=escape(reason)))
        console.print(_("Delivered: {delivered}, to retry later: {deferred}, failed: {failed}.").format(
            delivered=report.delivered, deferred=report.deferred, failed=report.failed))


@app.command("daily")
def daily(
    campaign: str = typer.Option(..., "--campaign", help="Campaign name."),
    day: str = typer.Option("", "--day", help="Calling day (YYYY-MM-DD); default today."),
) -> None:
    """Prepare the daily RDV e-mail of a campaign now (it is then sent by `rdv mail send-pending`)."""
    try:
        chosen = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter(_("expected a date such as 2026-11-23"), param_hint="--day") from None
    with wired() as application, application.sessions.begin() as session:
        now = application.clock.now()
        when = chosen or now.astimezone(ZoneInfo(application.settings.centre_timezone)).date()
        found = store.get_campaign(session, campaign)
        message = queue_daily_mail(session, found.id, when, now, application.settings.mail_from)
        if message is None:
            console.print(_("Nothing to send for {campaign} on {day}.").format(campaign=found.name, day=fmt_date(when)))
        else:
            console.print(_("Daily e-mail no. {id} ready for {campaign}: {subject}").format(
                id=message.id, campaign=found.name, subject=message.subject))
