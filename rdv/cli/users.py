"""`rdv user …`: the people who log in to the web screens (supervisors, teleoperators, clients)."""

from __future__ import annotations

import typer
from rich.table import Table

from config.i18n import _, ngettext
from config.settings import Settings
from rdv import agent_desk
from rdv.cli.common import UserError, console, wired
from rdv.wakeup import notifier_for
from rdv.web import accounts
from rdv.web.auth import close_all_sessions

app = typer.Typer(no_args_is_help=True, help="Web accounts: supervisors, teleoperators and clients.")


def _print_password(login: str, password: str) -> None:
    console.print(_("Password of {login} (shown only this once): {password}").format(login=login,
                                                                                      password=password))


@app.command("add")
def add(
    login: str = typer.Argument(..., help="Login: lowercase letters, digits, _ or ."),
    role: str = typer.Option(..., "--role", help="supervisor, teleoperator or client."),
    client: str = typer.Option("", "--client", help="The client firm (accounts with the client role)."),
    phone: str = typer.Option("", "--phone", help="The teleoperator's phone as Asterisk dials it, e.g. "
                              "PJSIP/1001."),
    name: str = typer.Option("", "--name", help="Name shown on screens and reports."),
    campaign: list[str] = typer.Option([], "--campaign", help="Campaign this account works (repeat it)."),
    phone_server: str = typer.Option("", "--phone-server", help="The Asterisk server the phone is on, by its "
                                     "name in [asterisk.servers.NAME]; default: none in particular (one server)."),
) -> None:
    """Create an account and print its first password, once."""
    with wired() as application, application.sessions.begin() as session:
        server = known_server(application.settings, phone_server)
        made = accounts.add_user(session, login, role, application.clock.now(), client=client, phone=phone,
                                 name=name, campaigns=campaign, phone_server=server)  # fmt: skip
        console.print(_("User {login} created ({role}).").format(login=made.user.login, role=_(made.user.role)))
        _print_password(made.user.login, made.password)


@app.command("list")
def list_() -> None:
    """List accounts with their role, phone, campaigns and state."""
    with wired() as application, application.sessions() as session:
        table = Table(_("Login"), _("Name"), _("Role"), _("Desk phone"), _("Server"), _("Campaigns"), _("State"))
        for user in accounts.list_users(session):
            state = _("active") if user.active else _("disabled")
            table.add_row(user.login, user.display_name, _(user.role), user.phone, user.phone_server,
                          ", ".join(accounts.assigned_names(session, user.id)), state)  # fmt: skip
        console.print(table)


@app.command("phone-server")
def phone_server(
    login: str = typer.Argument(..., help="Login of the account."),
    server: str = typer.Argument(..., help="The Asterisk server the phone is on ([asterisk.servers.NAME]); "
                                 "\"\" for none in particular."),
) -> None:
    """Say which Asterisk server a teleoperator's phone is on: only the dialer driving it takes their commands."""
    with wired() as application, application.sessions.begin() as session:
        user = accounts.get_user(session, login)
        user.phone_server = known_server(application.settings, server)
        console.print(_("Phone of {login}: on server {server}").format(
            login=user.login, server=user.phone_server or _("none in particular")))


def known_server(settings: Settings, name: str) -> str:
    """A server name from the settings (or "": none in particular), else a French refusal naming them."""
    name = name.strip()
    if name and settings.server(name) is None:
        configured = ", ".join(s.name for s in settings.servers) or _("none")
        raise UserError(_("Unknown Asterisk server {name}: the settings name {names} ([asterisk.servers.NAME])")
                        .format(name=name, names=configured))
    return name


@app.command("assign")
def assign(
    login: str = typer.Argument(..., help="Login of the account."),
    campaign: list[str] = typer.Option(..., "--campaign", help="Campaign to give (repeat it)."),
    remove: bool = typer.Option(False, "--remove", help="Take these campaigns back instead."),
) -> None:
    """Give campaigns to an account (a teleoperator sees only these), or take them back."""
    with wired() as application, application.sessions.begin() as session:
        names = accounts.assign(session, login, campaign, remove)
        shown = ", ".join(names) if names else _("none")
        console.print(_("Campaigns of {login}: {campaigns}").format(login=login.strip().lower(), campaigns=shown))


@app.command("passwd")
def passwd(login: str = typer.Argument(..., help="Login of the account.")) -> None:
    """Give an account a new generated password (its open sessions end) and print it, once."""
    with wired() as application, application.sessions.begin() as session:
        password = accounts.reset_password(session, login, application.clock.now())
        _print_password(login.strip().lower(), password)


@app.command("disable")
def disable(login: str = typer.Argument(..., help="Login of the account.")) -> None:
    """Disable an account: it can no longer log in and its open sessions end."""
    with wired() as application, application.sessions.begin() as session:
        user = accounts.set_active(session, login, False)
        signed_off = agent_desk.sign_off(session, notifier_for(application), user.login, by="rdv user disable",
                                         now=application.clock.now())  # fmt: skip
        console.print(_("User {login} disabled.").format(login=user.login))
        if signed_off is not None:
            console.print(_("{login} is logged out of the dialer: no new call will reach them.").format(
                login=user.login))


@app.command("enable")
def enable(login: str = typer.Argument(..., help="Login of the account.")) -> None:
    """Enable a disabled account again."""
    with wired() as application, application.sessions.begin() as session:
        user = accounts.set_active(session, login, True)
        console.print(_("User {login} enabled.").format(login=user.login))


@app.command("logout-all")
def logout_all(login: str = typer.Argument(..., help="Login of the account.")) -> None:
    """End every open session of an account (a lost or shared computer)."""
    with wired() as application, application.sessions.begin() as session:
        user = accounts.get_user(session, login)
        count = close_all_sessions(session, user.id)
        console.print(ngettext("{count} session of {login} ended.", "{count} sessions of {login} ended.",
                               count).format(count=count, login=user.login))
