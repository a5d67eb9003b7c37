"""What a process-wide setting may be, checked once at start, and said in one French line when it is not."""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from config.i18n import _

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "oui", "vrai"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "non", "faux"})
LANGUAGES = ("fr", "en")
# SQLAlchemy names a driver after "+": postgresql+psycopg is what rdv installs; plain postgresql gets it too.
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")

class SettingsError(ValueError):
    """The settings file or an environment variable cannot be used."""


def _quoted(value: Any) -> str:
    return _("'{value}'").format(value=value)


def coerce(source: str, raw: Any, default: Any) -> Any:
    """`raw` as the type of `default`, or a SettingsError naming `source` and what it accepts."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise SettingsError(_("{source}: {value} is not yes or no (accepted: yes/no, true/false, 1/0, on/off).")
                            .format(source=source, value=_quoted(raw)))
    if isinstance(default, int):
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise SettingsError(_("{source}: {value} is not a whole number.")
                                .format(source=source, value=_quoted(raw))) from None
        return value
    if isinstance(default, Path) or default is None:
        return Path(str(raw))
    if not isinstance(raw, str):
        raise SettingsError(_("{source}: {value} should be text (between quotes in a TOML file).")
                            .format(source=source, value=_quoted(raw)))
    return raw


def check_port(source: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise SettingsError(_("{source}: {value} is not a TCP port (1 to 65535).").format(
            source=source, value=_quoted(port)))


def check_seconds(source: str, seconds: int) -> None:
    if seconds < 0:
        raise SettingsError(_("{source}: {value} is not a duration in seconds (0 or more).").format(
            source=source, value=_quoted(seconds)))


def check_trunk_channels(source: str, channels: int) -> None:
    if channels < 0:
        raise SettingsError(_("{source}: {value} is not a number of trunk channels (0 for no limit, or the "
                              "simultaneous calls the trunk carries).").format(source=source, value=_quoted(channels)))


def check_database_url(source: str, url: str) -> None:
    """Only SQLite and PostgreSQL URLs, written as SQLAlchemy reads them."""
    if not url:
        return
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme:
        raise SettingsError(_("{source}: {value} is not a database URL; use sqlite:///path/rdv.sqlite3 or "
                              "postgresql://user@host/database.").format(source=source, value=_quoted(url)))
    if scheme.lower() not in DATABASE_SCHEMES:
        raise SettingsError(_("{source}: {scheme} databases are not supported; rdv runs on SQLite "
                              "(sqlite:///path/rdv.sqlite3) or PostgreSQL (postgresql://user@host/database).")
                            .format(source=source, scheme=scheme))
    if scheme.lower() == "sqlite" and rest and not rest.startswith("/"):
        raise SettingsError(_("{source}: {value}: a SQLite URL has three slashes before a relative path "
                              "(sqlite:///var/rdv.sqlite3) and four before an absolute one.")
                            .format(source=source, value=_quoted(url)))


def check_language(source: str, lang: str) -> None:
    if lang.split("_")[0].lower() not in LANGUAGES:
        raise SettingsError(_("{source}: {value} is not a language of rdv (accepted: fr, en).").format(
            source=source, value=_quoted(lang)))


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone_suggestions(name: str) -> list[str]:
    """Time zones the user may have meant: same city first, then close spellings."""
    wanted = name.strip().lower().replace(" ", "_")
    same_city = [zone for zone in _zones() if zone.lower().rsplit("/", 1)[-1] == wanted]
    return same_city or difflib.get_close_matches(name, _zones(), n=3, cutoff=0.6)


def check_timezone(source: str, name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        suggestions = zone_suggestions(name)
        hint = _(" Did you mean {names}?").format(names=", ".join(suggestions)) if suggestions else ""
        raise SettingsError(_("{source}: {value} is not a time zone (e.g. Europe/Paris).").format(
            source=source, value=_quoted(name)) + hint) from None
