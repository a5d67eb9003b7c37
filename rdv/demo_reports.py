"""The demo's weekly dashboards: each week it called in gets its dashboard e-mail at the weekly job's time, after
the close of the week's last calling day (the job may have sent it already: it is stored once per week), and its
workbook and results file in the demo's folder."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from config.i18n import _
from rdv.bootstrap import App
from rdv.demo_clock import IdleClock
from rdv.jobs_reports import weekly_trigger
from reports.mailer import deliver_pending
from reports.weekly_dashboard import week_of
from reports.weekly_report import queue_weekly_mail, weekly_files, write_weekly_files


def write_demo_dashboards(app: App, clock: IdleClock, campaign_id: int, days: list[date], folder: Path) -> list[str]:
    """Each week's dashboard mailed and written at the end of its calling week; one line per file written."""
    settings = app.settings
    with app.sessions() as session:
        week_end = weekly_trigger(session, campaign_id, settings.centre_timezone)
    lines = []
    for monday in sorted({week_of(day)[0] for day in days}):
        first, last = monday, monday + timedelta(days=6)
        fire = week_end.fire_of(monday)
        if fire is not None and fire > clock.now():
            clock.jump_to(fire)
        now = clock.now()
        with app.sessions.begin() as session:
            queue_weekly_mail(session, campaign_id, first, last, now, settings.mail_from, settings.centre_timezone)
            files = weekly_files(session, campaign_id, first, last, now, settings.mail_from, settings.centre_timezone)
        deliver_pending(app.sessions, app.transport(), now)
        # The workbook first, then the results file (`reports.weekly_report.weekly_files`).
        board, results = write_weekly_files(files, folder, eml=False)
        period = files.board.period_text()
        lines.append(_("Weekly dashboard {period}: {path}").format(period=period, path=board))
        lines.append(_("Results file {period}: {path}").format(period=period, path=results))
    return lines
