"""`rdv campaign …`: create, list, configure, check, start and pause campaigns; show their calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from campaigns import services, store
from campaigns.check import Conflict
from campaigns.dispositions import dispositions_for
from campaigns.setting_values import format_duration
from campaigns.settings import REGISTRY, describe, display, parse_value
from config.clock import Clock
from config.i18n import _, fmt_date, fmt_number, ngettext
from dialer.campaign_view import queue_name
from dialer.queue_check import NO_QUEUE, stopped_message
from rdv.bootstrap import App
from rdv.campaign_control import control_topic
from rdv.cli.common import console, wired
from rdv.wakeup import notifier_for

app = typer.Typer(no_args_is_help=True, help="Campaigns: one appointment-setting operation for a client.")
NAME = typer.Argument(..., help="Campaign name.")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Name of the new campaign."),
    client: str = typer.Option(..., "--client", help="Name of an existing client."),
    profile: str = typer.Option("fr-consumer", "--profile", help="Regulatory calling profile."),
    timezone: str = typer.Option("Europe/Paris", "--timezone", help="Fallback time zone of the callees."),
) -> None:
    """Create a draft campaign."""
    with wired() as application, application.sessions.begin() as session:
        campaign = store.create_campaign(session, name, client, profile, timezone)
        console.print(
            _("Campaign {name} created for {client} (profile {profile}).").format(
                name=campaign.name, client=campaign.client.name, profile=campaign.profile
            )
        )


@app.command("list")
def list_() -> None:
    """List campaigns with their client, profile and status."""
    with wired() as application, application.sessions() as session:
        table = Table(_("Campaign"), _("Client"), _("Profile"), _("Status"))
        for campaign in store.list_campaigns(session):
            table.add_row(campaign.name, campaign.client.name, campaign.profile, _(campaign.status))
        console.print(table)


def _now(at: str | None, clock: Clock) -> datetime:
    """The application's clock; `--at` replays a command at another moment (ISO 8601 with offset)."""
    if not at:
        return clock.now()
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise typer.BadParameter(_("give the time zone offset, e.g. 2026-11-23T15:00+01:00"), param_hint="--at")
    return moment


def _tell_dialers(application: App, session: Session, campaign_id: int) -> None:
    """A running `rdv run` applies the change at once, not at its next refresh (sent when the change commits)."""
    notifier_for(application).notify(control_topic(campaign_id), "control", session=session)


AT = typer.Option(None, "--at", help="Pretend the command runs at this moment (ISO 8601 with offset).")
KEY = typer.Argument(..., help="Setting to change (`rdv campaign show NAME` lists them).")
VALUE = typer.Argument(..., help="Its new value.")


# A value may start with a dash (`-5`): it is the setting's value, not an option, and validation says why not.
@app.command("set", context_settings={"ignore_unknown_options": True})
def set_(name: str = NAME, key: str = KEY, value: str = VALUE) -> None:
    """Change one setting of a campaign (`rdv campaign show NAME` lists them), its time zone included."""
    with wired() as application, application.sessions.begin() as session:
        campaign = services.set_setting(session, name, key, value)
        _tell_dialers(application, session, campaign.id)
        shown = campaign.timezone if key == "timezone" else value if key not in REGISTRY else display(
            key, parse_value(key, value))
        console.print(_("{key} of {name} set to {value}.").format(key=key, name=campaign.name, value=shown))


@app.command("show")
def show(name: str = NAME) -> None:
    """Show a campaign's settings and dispositions (changed ones in bold)."""
    with wired() as application, application.sessions() as session:
        campaign = store.get_campaign(session, name)
        console.print(_("Campaign {name} · profile {profile} · status {status} · zone {zone}").format(
            name=campaign.name, profile=campaign.profile, status=_(campaign.status), zone=campaign.timezone))
        if campaign.status == NO_QUEUE:
            console.print(stopped_message(campaign.name, queue_name(campaign.id)))
        table = Table(_("Setting"), _("Value"), _("Meaning"))
        for key, value, changed, meaning in describe(campaign.settings or {}):
            table.add_row(f"[bold]{key}[/]" if changed else key, escape(value), meaning)
        console.print(table)
        codes = Table(_("Disposition"), _("Label"), _("Final"), _("Argued contact"), _("Retry after"))
        for code, d in dispositions_for(campaign.settings or {}).items():
            codes.add_row(code, d.label(), _("yes") if d.final else _("no"), _("yes") if d.argued else _("no"),
                          format_duration(d.retry) if d.retry else "")
        console.print(codes)


def _print_conflicts(conflicts: list[Conflict]) -> None:
    if not conflicts:
        console.print(_("No conflict: the campaign's rules are within its profile."))
        return
    console.print(_("The stricter rule applies in each case:"))
    for conflict in conflicts:
        marker = "[bold red]✗[/]" if conflict.blocking else "[yellow]![/]"
        console.print(f"{marker} {escape(conflict.message)}")


@app.command("check")
def check(name: str = NAME, at: str | None = AT) -> None:
    """List every conflict between the campaign's settings, its legal profile and the centre's hours."""
    with wired() as application, application.sessions() as session:
        campaign = store.get_campaign(session, name)
        now = _now(at, application.clock)
        conflicts = services.campaign_conflicts(session, campaign, now, application.settings.centre_timezone)
        _print_conflicts(conflicts)
        if any(c.blocking for c in conflicts):
            raise typer.Exit(code=1)


@app.command("start")
def start(name: str = NAME, at: str | None = AT) -> None:
    """Start (or resume) dialling a campaign; its conflicts are shown, and the stricter rule applies."""
    with wired() as application, application.sessions.begin() as session:
        campaign, conflicts = services.start_campaign(
            session, name, _now(at, application.clock), application.settings.centre_timezone)
        _tell_dialers(application, session, campaign.id)
        if conflicts:
            _print_conflicts(conflicts)
        console.print(_("Campaign {name} started.").format(name=campaign.name))


@app.command("pause")
def pause(name: str = NAME) -> None:
    """Stop dialling a campaign; leads and callbacks keep their schedule."""
    with wired() as application, application.sessions.begin() as session:
        campaign = services.pause_campaign(session, name)
        _tell_dialers(application, session, campaign.id)
        console.print(_("Campaign {name} paused.").format(name=campaign.name))


@app.command("stop")
def stop(name: str = NAME) -> None:
    """Stop a campaign: no new calls, its agents leave after their calls; `start` resumes it."""
    with wired() as application, application.sessions.begin() as session:
        campaign = services.stop_campaign(session, name)
        _tell_dialers(application, session, campaign.id)
        console.print(_("Campaign {name} stopped.").format(name=campaign.name))


@app.command("calendar")
def calendar(
    name: str = NAME,
    days: int = typer.Option(7, "--days", min=1, max=62, help="How many days ahead."),
    at: str | None = AT,
) -> None:
    """Show when each callee zone of the campaign is callable over the coming days, in the zone's own time."""
    with wired() as application, application.sessions() as session:
        now = _now(at, application.clock)
        overview = services.calendar_overview(session, name, now, days, application.settings.centre_timezone)
        for zone in overview:
            title = " ".join(p for p in (zone.timezone, zone.country, zone.subdivision) if p)
            table = Table(_("Day"), _("Callable (local time)"),
                          title=ngettext("{zone} · {n} lead", "{zone} · {n} leads", zone.leads).format(
                              zone=title, n=fmt_number(zone.leads)))
            tz = ZoneInfo(zone.timezone)
            by_day: dict[date, list[str]] = {}
            for lo, hi in zone.spans:
                local_lo, local_hi = lo.astimezone(tz), hi.astimezone(tz)
                by_day.setdefault(local_lo.date(), []).append(f"{local_lo:%H:%M}–{local_hi:%H:%M}")
            start_day = now.astimezone(tz).date()
            for offset in range(days):
                day = start_day + timedelta(days=offset)
                table.add_row(fmt_date(day, "full"), ", ".join(by_day.get(day, [])) or _("closed"))
            console.print(table)
