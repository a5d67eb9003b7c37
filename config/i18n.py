"""The one message catalogue: English msgids, French by default, English with RDV_LANG=en.

Each package keeps its French translations in `<package>/locale/fr.po`; they are merged into one
catalogue at first use, so packages never edit each other's files.
"""

from __future__ import annotations

import errno
import gettext
import io
import os
import re
import socket
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

PACKAGES = ("config", "leads", "campaigns", "dialer", "reports", "billing", "rdv")
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def current_lang() -> str:
    """The interface language: RDV_LANG if it names a supported one, else French."""
    lang = os.environ.get("RDV_LANG", "fr").split("_")[0].lower()
    return lang if lang in BABEL_LOCALES else "fr"


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    merged = None
    for package in PACKAGES:
        po = resources.files(package).joinpath("locale", f"{lang}.po")
        if not po.is_file():
            continue
        catalog = read_po(io.StringIO(po.read_text(encoding="utf-8")), locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    return merged or gettext.NullTranslations()


def catalogue(lang: str) -> gettext.NullTranslations:
    """The catalogue of one language, whatever the interface language: for a document issued in another one
    (an invoice keeps the language it was issued in)."""
    return _translations(lang if lang in BABEL_LOCALES else "fr")


def _(message: str) -> str:
    """Translate a message into the current interface language."""
    return _translations(current_lang()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count."""
    return _translations(current_lang()).ngettext(singular, plural, n)


def locale() -> Locale:
    return Locale.parse(BABEL_LOCALES[current_lang()])


def fmt_money(amount: Decimal, currency: str = "EUR") -> str:
    """`12,50 €` in French, `€12.50` in English."""
    return format_currency(amount, currency, locale=locale())


def fmt_number(value: float | int | Decimal, digits: int | None = None) -> str:
    if digits is not None:
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=locale())
    return format_decimal(value, locale=locale())


def fmt_percent(ratio: float | Decimal, digits: int = 1) -> str:
    """A ratio (0.153) as `15,3 %`."""
    pattern = locale().percent_formats[None].pattern
    if digits and "." not in pattern:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(ratio, format=pattern, locale=locale())


# The day-of-month field alone (`d`, not `dd`), outside quoted literals, in a Babel date pattern.
_DAY_FIELD = re.compile(r"(?<![d'])d(?![d'])")


def _first_of_month(value: date, style: str) -> str | None:
    """The Babel pattern for `value` when French wants `1er`: the first of a month with a written month."""
    here = locale()
    if value.day != 1 or here.language != "fr":
        return None
    pattern = here.date_formats[style].pattern if style in {"full", "long", "medium", "short"} else style
    if " MMM" not in pattern:  # `01/12/2026` stays as it is
        return None
    return _DAY_FIELD.sub("d'er'", pattern, count=1)


def fmt_date(value: date, style: str = "full") -> str:
    """`lundi 23 novembre 2026` in French with the default style; the first of a month is `1er décembre`."""
    return format_date(value, format=_first_of_month(value, style) or style, locale=locale())


def fmt_time(value: datetime, style: str = "short") -> str:
    return format_time(value, format=style, locale=locale(), tzinfo=value.tzinfo)


def fmt_datetime(value: datetime, style: str = "medium") -> str:
    """A moment in its own zone; `1er déc. 2026, 10:00:00` on the first of a month in French."""
    pattern = _first_of_month(value.date(), style) if style in {"full", "long", "medium"} else None
    if pattern is None:
        return format_datetime(value, format=style, locale=locale(), tzinfo=value.tzinfo)
    # What Babel does for a named style, with our date pattern in place of the locale's.
    joined = str(locale().datetime_formats[style]).replace("'", "")
    clock = format_time(value, format=style, locale=locale(), tzinfo=value.tzinfo)
    return joined.replace("{0}", clock).replace("{1}", format_date(value, format=pattern, locale=locale()))


# Zones of the French numbering plan and their neighbours, named as a French reader expects
# ("heure de Guadeloupe"): Babel says "heure : Guadeloupe", or "heure de l’Atlantique" for the zone.
_ZONE_NAMES = {
    "Europe/Paris": lambda: _("Paris time"),
    "America/Guadeloupe": lambda: _("Guadeloupe time"),
    "America/Martinique": lambda: _("Martinique time"),
    "America/Cayenne": lambda: _("French Guiana time"),
    "Indian/Reunion": lambda: _("Réunion time"),
    "Indian/Mayotte": lambda: _("Mayotte time"),
    "America/St_Barthelemy": lambda: _("Saint-Barthélemy time"),
    "America/Marigot": lambda: _("Saint-Martin time"),
    "America/Miquelon": lambda: _("Saint-Pierre-et-Miquelon time"),
    "Pacific/Noumea": lambda: _("New Caledonia time"),
    "Pacific/Wallis": lambda: _("Wallis and Futuna time"),
    "Pacific/Tahiti": lambda: _("Tahiti time"),
    "Europe/Monaco": lambda: _("Monaco time"),
    "Europe/London": lambda: _("London time"),
}


def fmt_zone(key: str) -> str:
    """A time zone as people name it: `heure de Guadeloupe`, `Paris time`; else Babel's location name."""
    named = _ZONE_NAMES.get(key)
    if named is not None:
        return named()
    try:
        return str(get_timezone_location(key, locale=locale()))
    except LookupError:
        return key


# The system's own words for the failures a user meets with files and connections ("No such file or
# directory"), said again through the catalogue; other errors keep the system's text.
_OS_ERRORS = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENOSPC: "no space left on the disk",
    errno.EROFS: "the disk is read-only",
    errno.ECONNREFUSED: "connection refused",
    errno.ETIMEDOUT: "no answer (timed out)",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNRESET: "connection reset by the other side",
}


def fmt_os_error(exc: OSError) -> str:
    """Why a file or a connection failed, in the user's language: `fichier ou dossier introuvable`."""
    if isinstance(exc, TimeoutError) and exc.errno is None:
        return _("no answer (timed out)")
    if exc.errno in _OS_ERRORS:
        return _(_OS_ERRORS[exc.errno])
    if isinstance(exc, socket.gaierror):
        return _("unknown host name")
    return exc.strerror or str(exc)
