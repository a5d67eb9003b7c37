"""What every command shares: the app, the error-to-exit-code mapping, the console and the wiring."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from config.i18n import _, fmt_os_error
from config.settings import Settings, SettingsError, load_settings
from rdv.bootstrap import App, bootstrap
from rdv.cli.localised import LocalisedGroup

app = typer.Typer(
    cls=LocalisedGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="rdv: predictive dialing and appointment setting for telemarketing centres.",
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

# Failures the user can fix: shown as one line, exit code 2. Anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (LookupError, ValueError, SettingsError, OSError, OperationalError)


class UserError(Exception):
    """A message for the person at the terminal; exit code 2."""


def fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]{_('Error:')}[/] {escape(message)}", markup=True, soft_wrap=True)
    return typer.Exit(code=2)


def user_settings() -> Settings:
    """The settings, for a command that needs no database; a bad one is one line and exit 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


@contextmanager
def wired() -> Iterator[App]:
    """The application for one command, closed at the end; user errors become one line and exit 2."""
    try:
        application = bootstrap()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    try:
        yield application
    except UserError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(_("Database unavailable: {reason}").format(reason=str(exc.orig).strip())) from None
    except OSError as exc:
        raise fail(describe_os_error(exc)) from None
    except USER_ERRORS as exc:
        raise fail(str(exc)) from None
    finally:
        application.close()


def describe_os_error(exc: OSError) -> str:
    """`nope.toml : fichier ou dossier introuvable` rather than `[Errno 2] No such file or directory: …`."""
    if exc.filename is None:
        return fmt_os_error(exc)
    return _("{file}: {reason}").format(file=exc.filename, reason=fmt_os_error(exc))


def is_interactive() -> bool:
    return sys.stdout.isatty() and os.environ.get("CI") != "true"


def run_app() -> None:
    """Run the app in click's standalone mode: usage errors exit 2, `fail()` exits 2, Ctrl-C exits 1."""
    app()
