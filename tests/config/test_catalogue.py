"""Every message shown to people has a French translation; formatting follows the locale."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from config import i18n

ROOT = Path(__file__).resolve().parents[2]
_LITERAL_CALL = re.compile(r"""(?<![\w.])_\((['"])([^'"\\{}]+)\1\)""")


def _msgids() -> set[str]:
    found: set[str] = set()
    for package in i18n.PACKAGES:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / package), method_map=[("**.py", "python")], keywords={"_": None, "ngettext": (1, 2)}
        ):
            found.add(message if isinstance(message, str) else message[0])
        # Babel does not look inside f-strings (`f"{_('Error:')} …"`): a plain search finds those calls too.
        for path in (ROOT / package).rglob("*.py"):
            found.update(match.group(2) for match in _LITERAL_CALL.finditer(path.read_text(encoding="utf-8")))
    return found


def _french_msgids() -> set[str]:
    known: set[str] = set()
    for package in i18n.PACKAGES:
        po = ROOT / package / "locale" / "fr.po"
        if po.exists():
            with po.open(encoding="utf-8") as handle:
                for message in read_po(handle):
                    ids = message.id if isinstance(message.id, tuple) else (message.id,)
                    strings = message.string if isinstance(message.string, tuple) else (message.string,)
                    if ids[0] and all(strings):
                        known.add(str(ids[0]))
    return known


def test_every_message_in_the_code_has_a_french_translation() -> None:
    missing = sorted(_msgids() - _french_msgids())
    assert missing == [], f"add these msgids to <package>/locale/fr.po: {missing}"


def test_messages_follow_rdv_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "fr")
    assert i18n._("Unknown client: {name}") == "Client inconnu : {name}"
    monkeypatch.setenv("RDV_LANG", "en")
    assert i18n._("Unknown client: {name}") == "Unknown client: {name}"


def test_money_dates_and_percentages_are_formatted_for_french_readers() -> None:
    assert i18n.fmt_money(Decimal("12.5")) == "12,50\u00a0€"
    assert i18n.fmt_date(date(2026, 11, 23)) == "lundi 23 novembre 2026"
    assert i18n.fmt_percent(0.153) == "15,3\u00a0%"



def test_no_catalogue_translates_a_message_twice() -> None:
    # Babel keeps the first of two entries: a later, corrected translation would silently never show.
    twice = {}
    for package in i18n.PACKAGES:
        po = ROOT / package / "locale" / "fr.po"
        if po.exists():
            ids = re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), re.MULTILINE)
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                twice[package] = repeated
    assert twice == {}
