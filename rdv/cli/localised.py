"""The command line in the user's language: help texts, metavars and Typer's own words from our catalogue.

Typer (0.29) carries its own copy of Click whose texts are English f-strings, with no gettext hook;
only a handful of Typer's words go through `gettext.gettext`. So the tree of commands Typer builds
for each invocation is translated in place before it parses anything: help texts (English msgids in
the source, French in rdv/locale/fr.po), metavars named after the value's kind (TEXTE, NOMBRE,
FICHIER, DATE) instead of `<str>`, and the panel titles. Usage errors are rebuilt in
`rdv.cli.usage_errors` from the exception's fields.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
import typer.core
import typer.rich_utils
from typer import _click as click

from config.i18n import _

USAGE = "Usage: "

# Typer's own texts, computed once at its import: set again at each invocation, in the language of the moment.
_RICH_TEXTS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}
_HELP_OPTION_TEXT = "Show this message and exit."


def _write_usage(self: click.HelpFormatter, prog: str, args: str = "", prefix: str | None = None) -> None:
    _original_write_usage(self, prog, args, _(USAGE) if prefix is None else prefix)


# The usage prefix is a literal inside the vendored Click: the one place patched, through its own argument.
_original_write_usage = click.formatting.HelpFormatter.write_usage
click.formatting.HelpFormatter.write_usage = _write_usage  # type: ignore[method-assign]
# The few texts Typer does route through gettext, looked up at call time.
typer.core._ = _  # type: ignore[attr-defined]
typer.rich_utils._ = _  # type: ignore[attr-defined]


def kind_word(annotation: Any) -> str:
    """The metavar of a value of this type: TEXTE, NOMBRE, FICHIER, DATE…"""
    if get_origin(annotation) in (list, tuple, Sequence):
        args = get_args(annotation)
        return kind_word(args[0]) if args else _("TEXT")
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return "|".join(str(member.value) for member in annotation)
        if issubclass(annotation, bool):
            return _("YES|NO")
        if issubclass(annotation, int | float | Decimal):
            return _("NUMBER")
        if issubclass(annotation, datetime):
            return _("DATE-TIME")
        if issubclass(annotation, date):
            return _("DATE")
        if issubclass(annotation, Path):
            return _("FILE")
    return _("TEXT")


def walk(command: click.Command) -> Iterator[click.Command]:
    """The command and every command below it."""
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from walk(sub)


def _param_metavar(param: Any) -> str:
    descriptor = getattr(param, "type_descriptor", None)
    annotation = descriptor.annotation if descriptor is not None else str
    if descriptor is not None and descriptor.is_path and not descriptor.parameter_info.file_okay:
        return _("FOLDER")
    return kind_word(annotation)


def _localise_param(param: Any) -> None:
    if param.help:
        param.help = _(param.help)
    if param.metavar is not None:
        param.metavar = _(param.metavar)
        return
    if isinstance(param, typer.core.TyperArgument):
        # The argument's name is its label in the usage line and the panel; Typer shows the type beside it from
        # display_type_rich, which ignores the metavar for arguments: answer for this one instance.
        param.metavar = _(param.name.upper())
        word = _param_metavar(param)
        param.display_type_rich = lambda ctx: word  # type: ignore[method-assign]
    elif getattr(param, "is_flag", False) or getattr(param, "count", False):
        param.metavar = ""
    else:
        param.metavar = _param_metavar(param)


def localise(root: click.Command) -> None:
    """Translate, in place, the commands Typer built for this invocation."""
    for name, msgid in _RICH_TEXTS.items():
        setattr(typer.rich_utils, name, _(msgid))
    for command in walk(root):
        if command.help:
            command.help = _(command.help)
        if command.short_help:
            command.short_help = _(command.short_help)
        if command.epilog:
            command.epilog = _(command.epilog)
        command.options_metavar = _("[OPTIONS]")
        if isinstance(command, typer.core.TyperGroup):
            command.subcommand_metavar = _("COMMAND [ARGS]...")
        for param in command.params:
            _localise_param(param)
        help_option = command.get_help_option(click.Context(command, info_name=command.name))
        if help_option is not None:
            help_option.help = _(_HELP_OPTION_TEXT)
            help_option.metavar = ""


class LocalisedGroup(typer.core.TyperGroup):
    """The root group: translates the tree, then reports usage errors in the user's language."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from rdv.cli.usage_errors import show_usage_error

        localise(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.ClickException as exc:
            show_usage_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo(_("Aborted."), err=True)
            sys.exit(1)
        # Without standalone mode Typer returns the exit code of `typer.Exit` instead of exiting.
        sys.exit(result if isinstance(result, int) else 0)

