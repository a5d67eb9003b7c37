"""`rdv audit list|verify`: read and check the audit log; `note()` records what a command did to personal data.

A command run at the server's terminal acts as the supervisor (DESIGN.md: the CLI is the supervisor's tool),
identified by the login name, with "cli" as its address; the web records its own users and their IP addresses.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from config import audit
from config.i18n import _, fmt_number, ngettext
from leads.rows import parse_date
from rdv.bootstrap import App
from rdv.cli.common import console, err_console, fail, wired

app = typer.Typer(no_args_is_help=True, help="Audit log: who viewed, exported, changed or deleted personal data.")

CLI_ROLE = "supervisor"
CLI_ADDRESS = "cli"


def action_label(code: str) -> str:
    """The action in words; an unknown code (a newer version's) is shown as it is."""
    labels = {
        "view": _("viewed"), "export": _("exported"), "import": _("imported"), "change": _("changed"),
        "delete": _("deleted"), "consent": _("consent recorded"), "consent_revoked": _("consent revoked"),
        "dnc_add": _("added to do-not-call"), "dnc_remove": _("removed from do-not-call"),
        "objection": _("objected during a call"), "anonymise": _("anonymised"), "erase": _("erased"),
    }
    return labels.get(code, code)


def role_label(code: str) -> str:
    """The role in words (the web's roles and the terminal's)."""
    labels = {"supervisor": _("supervisor"), "teleoperator": _("teleoperator"), "client": _("client"),
              "system": _("system")}
    return labels.get(code, code)


def id_ranges(ids: Iterable[int]) -> str:
    """Lead ids as compact ranges ("3-7,9"), so that an entry names every lead it is about at little cost."""
    ordered = sorted(set(ids))
    spans: list[str] = []
    start = prev = None
    for value in [*ordered, None]:
        if value is not None and prev is not None and value == prev + 1:
            prev = value
            continue
        if start is not None:
            spans.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    return ",".join(spans)


def note(session: Session, action: str, target: str, detail: str = "", now: datetime | None = None) -> None:
    """Record, in the command's transaction, what the person at the terminal did."""
    audit.record(session, getpass.getuser(), CLI_ROLE, action, target, CLI_ADDRESS, detail, now)


def noted(application: App, action: str, target: str, detail: str = "") -> None:
    """Record in a transaction of its own what the command did (an export: once the file is written)."""
    with application.sessions.begin() as session:
        note(session, action, target, detail, application.clock.now())


def _bound(raw: str, option: str, zone: str, end: bool) -> datetime | None:
    """A --from/--to value: a date (a whole day, `--to` included) or a date and time, in the centre's zone."""
    if not raw.strip():
        return None
    parsed = parse_date(raw)
    if parsed is None:
        raise fail(_("{option}: unreadable date '{value}' (write 14/03/2026, 14/03/2026 10:22 or 2026-03-14)")
                   .format(option=option, value=raw))
    moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))
    whole_day = ":" not in raw and "T" not in raw
    return moment + timedelta(days=1) if end and whole_day else moment


@app.command("list")
def list_(
    who: str = typer.Option("", "--who", help="Only what this person did (part of the name is enough)."),
    what: str = typer.Option("", "--what", help="Only these actions or targets (\"export\", \"lead 42\" …)."),
    start: str = typer.Option("", "--from", help="From this day or moment (14/03/2026 [10:22])."),
    end: str = typer.Option("", "--to", help="Up to this day (included) or moment."),
    last: int | None = typer.Option(None, "--last", min=1, help="Only the last N matching entries."),
) -> None:
    """List the audit log, oldest first, in the centre's time zone."""
    with wired() as application, application.sessions() as session:
        zone = application.settings.centre_timezone
        wanted = audit.Filter(who.strip(), what.strip(), _bound(start, "--from", zone, False),
                              _bound(end, "--to", zone, True))
        found = audit.entries(session, wanted, last)
        table = Table("#", _("When"), _("Who"), _("Role"), _("Action"), _("Target"), _("Address"), _("Detail"))
        for entry in found:
            table.add_row(str(entry.seq), entry.at.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M:%S"),
                          entry.who, role_label(entry.role), action_label(entry.action), entry.target, entry.address,
                          entry.detail)
        console.print(table)
        console.print(ngettext("{n} entry.", "{n} entries.", len(found)).format(n=fmt_number(len(found))))


@app.command("verify")
def verify() -> None:
    """Check the whole chain of the audit log: a changed or removed entry is named (exit code 1)."""
    with wired() as application, application.sessions() as session:
        verdict = audit.verify(session)
    if verdict.breaks:
        for found in verdict.breaks:
            err_console.print(_("Entry {seq}: {problem}").format(seq=found.seq, problem=found.problem),
                              markup=False)
        err_console.print(ngettext("The audit log was tampered with: {n} break found.",
                                   "The audit log was tampered with: {n} breaks found.", len(verdict.breaks))
                          .format(n=len(verdict.breaks)))
        raise typer.Exit(code=1)
    console.print(ngettext("Audit log intact: {n} entry checked; last hash {head}.",
                           "Audit log intact: {n} entries checked; last hash {head}.", verdict.checked)
                  .format(n=fmt_number(verdict.checked), head=verdict.head))
