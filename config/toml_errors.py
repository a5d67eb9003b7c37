"""TOML syntax errors told in the reader's language, with the line and column (tomllib's own are English)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable

from config.i18n import _

_WHERE = re.compile(r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$", re.S)

# tomllib's messages (Python 3.11-3.13 wording), most specific first; the quoted parts are kept as written.
_REASONS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Expected '=' after a key in a key/value pair"), lambda m: _("'=' expected after a key")),
    (re.compile(r"Expected newline or end of document after a statement"),
     lambda m: _("a new line expected after a value")),
    (re.compile(r"Expected '\]' at the end of a table declaration"), lambda m: _("']' expected after a table name")),
    (re.compile(r"Expected '\]\]' at the end of an array declaration"),
     lambda m: _("']]' expected after an array table name")),
    (re.compile(r"Expected (?P<x>.+)"), lambda m: _("{expected} expected").format(expected=m["x"])),
    (re.compile(r"Cannot declare (?P<x>.+) twice"), lambda m: _("{key} declared twice").format(key=m["x"])),
    (re.compile(r"Cannot overwrite a value"), lambda m: _("a value given twice")),
    (re.compile(r"Duplicate inline table key (?P<x>.+)"), lambda m: _("{key} given twice").format(key=m["x"])),
    (re.compile(r"Cannot (?:mutate immutable|redefine) namespace (?P<x>.+)"),
     lambda m: _("{key} cannot be defined again").format(key=m["x"])),
    (re.compile(r"Invalid initial character for a key part"), lambda m: _("a key cannot start like this")),
    (re.compile(r"Unclosed array"), lambda m: _("list not closed with ']'")),
    (re.compile(r"Unclosed inline table"), lambda m: _("inline table not closed with '}'")),
    (re.compile(r"Unterminated string|Illegal character '\\n'"), lambda m: _("text not closed with its quote")),
    (re.compile(r"Unescaped '\\' in a string"), lambda m: _("a backslash in text must be doubled")),
    (re.compile(r"(?:Illegal|Found invalid) character (?P<x>.+)"),
     lambda m: _("character {char} not allowed here").format(char=m["x"])),
    (re.compile(r"Invalid date or datetime"), lambda m: _("invalid date or time")),
    (re.compile(r"Invalid hex value|Escaped character is not a Unicode scalar value"),
     lambda m: _("invalid escaped character")),
    (re.compile(r"Invalid value"), lambda m: _("invalid value")),
    (re.compile(r"Invalid statement"), lambda m: _("invalid line")),
)


def toml_error_text(source: str, error: tomllib.TOMLDecodeError) -> str:
    """`file, line 3, column 7: not valid TOML: '=' expected after a key`, in the reader's language."""
    found = _WHERE.match(str(error))
    what = found["what"] if found else str(error)
    reason = next((say(m) for pattern, say in _REASONS if (m := pattern.fullmatch(what))), _("invalid syntax"))
    if found is None:
        return _("{file}: not valid TOML: {reason}").format(file=source, reason=reason)
    if found["line"] is None:
        return _("{file}, at the end: not valid TOML: {reason}").format(file=source, reason=reason)
    return _("{file}, line {line}, column {column}: not valid TOML: {reason}").format(
        file=source, line=found["line"], column=found["column"], reason=reason)
