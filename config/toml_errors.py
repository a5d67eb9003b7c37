"""TOML syntax errors (settings, campaign scripts) said in the user's language, with their line and column."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from config.i18n import _

# tomllib's messages (Python 3.11–3.13) with the French of the ones a hand-written file meets.
_TOML_MESSAGES = {
    "Illegal character": "a character is not allowed here (a string left open?)",
    "Unterminated string": "a string is not closed",
    "Unclosed array": "a list is not closed with ]",
    "Unclosed inline table": "a table is not closed with }",
    "Invalid value": "the value is not valid TOML (text needs quotes)",
    "Invalid statement": "this line is neither key = value nor [section]",
    "Expected '=' after a key in a key/value pair": "= is missing after the name",
    "Cannot overwrite a value": "a setting is given twice",
    "Cannot declare": "a section is given twice",
    "Invalid date or datetime": "the date is not valid",
    "Expected ']' at the end of a table declaration": "a [section] name is not closed with ]",
}
_TOML_POSITION = re.compile(r"^(?P<message>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")


def toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    """`line L, column C: what is wrong`, or only what is wrong when tomllib gives no position."""
    found = _TOML_POSITION.match(str(exc))
    message = found.group("message") if found else str(exc)
    reason = next((text for prefix, text in _TOML_MESSAGES.items() if message.startswith(prefix)), None)
    reason = _(reason) if reason else _("this is not valid TOML")
    if found and found.group("line"):
        return _("line {line}, column {column}: {reason}").format(
            line=found.group("line"), column=found.group("column"), reason=reason)
    return reason


def describe_toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """`file, line L, column C: what is wrong.` in the user's language."""
    return _("{file}, {problem}.").format(file=path, problem=toml_problem(exc))
