"""Usage errors (unknown option, missing argument, bad value) told in the user's language.

Typer's copy of Click builds these messages as English f-strings; the exception keeps the fields
they were built from (option name, parameter, the validation error that caused it), so the message
is built again from those fields through the catalogue. A message our own code raised (a
`typer.BadParameter` already translated) is kept as it is.
"""

from __future__ import annotations

import re
from typing import Any

import typer.rich_utils
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from typer import _click as click

from config.i18n import _, ngettext

_PATH_PROBLEMS = {
    "does not exist": "{label} {path} does not exist.",
    "is a file": "{label} {path} is a file, not a folder.",
    "is a directory": "{label} {path} is a folder, not a file.",
    "is not readable": "{label} {path} cannot be read.",
    "is not writable": "{label} {path} cannot be written.",
}
# What pydantic's error type (its prefix: int_parsing, bool_parsing …) says the value should have been.
_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "bool": "yes or no",
    "date": "a date",
    "datetime": "a date and time",
    "path": "a path",
}
_PATH_LABELS = {"File": "The file", "Directory": "The folder", "Path": "The path"}
_PATH_MESSAGE = re.compile(r"^(File|Directory|Path) (.+) (" + "|".join(_PATH_PROBLEMS) + r")\.$")
_EXTRA_ARGUMENTS = re.compile(r"^Got unexpected extra argument\(s\) \((.*)\)$")
_REQUIRES = re.compile(r"^Option (.+) requires (?:an argument|(\d+) arguments)\.$")
_NO_VALUE = re.compile(r"^Option (.+) does not take a value\.$")
_SUGGESTION = re.compile(r"^(.*)\. Did you mean (.+)\?$")


def _hint(exc: click.exceptions.BadParameter) -> str:
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else list(exc.param_hint)
        return " / ".join(hints)
    if exc.param is not None:
        return str(exc.param.get_error_hint()).strip("'")
    return ""


def _validation_reason(cause: Any) -> str | None:
    """The reason of a value Typer's pydantic layer refused, or None if the cause is something else."""
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    try:
        first = errors()[0]
    except (IndexError, TypeError):
        return None
    kind, limits = str(first.get("type", "")), first.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        return _("{value} is below the minimum, {limit}.").format(
            value=repr(first.get("input")), limit=limits.get("ge", limits.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("{value} is above the maximum, {limit}.").format(
            value=repr(first.get("input")), limit=limits.get("le", limits.get("lt")))
    expected = _EXPECTED.get(kind.split("_")[0], "an accepted value")
    return _("{value} is not {expected}.").format(value=repr(first.get("input")), expected=_(expected))


def _bad_parameter(exc: click.exceptions.BadParameter) -> str:
    if isinstance(exc, click.exceptions.MissingParameter):
        name = _hint(exc)
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        if kind == "argument":
            return _("Missing argument {name}.").format(name=name)
        if kind == "option":
            return _("Missing option {name}.").format(name=name)
        return _("Missing parameter {name}.").format(name=name)
    reason = _validation_reason(exc.__cause__)
    if reason is None:
        found = _PATH_MESSAGE.match(exc.message)
        if found:
            label, path, problem = found.groups()
            reason = _(_PATH_PROBLEMS[problem]).format(label=_(_PATH_LABELS[label]), path=path)
        else:
            reason = exc.message
    hint = _hint(exc)
    if not hint:
        return _("Invalid value: {reason}").format(reason=reason)
    return _("Invalid value for {name}: {reason}").format(name=hint, reason=reason)


def _usage(exc: click.exceptions.UsageError) -> str:
    message = exc.message
    found = _EXTRA_ARGUMENTS.match(message)
    if found:
        extra = found.group(1).split()
        return ngettext("Unexpected extra argument: {args}", "Unexpected extra arguments: {args}", len(extra)).format(
            args=found.group(1)
        )
    found = _REQUIRES.match(message)
    if found:
        count = int(found.group(2) or 1)
        return ngettext("Option {name} needs a value.", "Option {name} needs {count} values.", count).format(
            name=found.group(1), count=count
        )
    found = _NO_VALUE.match(message)
    if found:
        return _("Option {name} takes no value.").format(name=found.group(1))
    found = _SUGGESTION.match(message)
    if found:
        return _("{message}. Did you mean {names}?").format(message=found.group(1), names=found.group(2))
    return message


def explain(exc: click.exceptions.ClickException) -> str:
    """The one-line reason of a usage error, in the user's language."""
    if isinstance(exc, click.exceptions.NoSuchOption):
        message = _("No such option: {name}").format(name=exc.option_name)
        if exc.possibilities:
            message += " " + _("(did you mean {names}?)").format(names=", ".join(sorted(exc.possibilities)))
        return message
    if isinstance(exc, click.exceptions.BadParameter):
        return _bad_parameter(exc)
    if isinstance(exc, click.exceptions.FileError):
        return _("Cannot open the file {name}: {reason}").format(name=exc.ui_filename, reason=exc.message)
    if isinstance(exc, click.exceptions.UsageError):
        return _usage(exc)
    return exc.format_message()


def show_usage_error(exc: click.exceptions.ClickException) -> None:
    """Print the usage line, where to find help, and the reason in a box, as Typer does, but translated."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        # The help was already printed when the exception was made.
        return
    console = Console(stderr=True, highlight=False)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        console.print(escape(ctx.get_usage()))
        if ctx.command.get_help_option(ctx) is not None:
            console.print(
                _("Try '{command} {option}' for help.").format(
                    command=escape(ctx.command_path), option=ctx.help_option_names[0]
                ),
                style=typer.rich_utils.STYLE_ERRORS_SUGGESTION,
            )
    console.print(
        Panel(
            escape(explain(exc)),
            border_style=typer.rich_utils.STYLE_ERRORS_PANEL_BORDER,
            title=_("Error"),
            title_align="left",
        )
    )
