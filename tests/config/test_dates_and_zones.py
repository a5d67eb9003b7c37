"""French writes the first of a month `1er`, and names a callee's zone by its place."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from config.i18n import fmt_date, fmt_datetime, fmt_zone


def test_the_first_of_a_month_is_1er_in_every_written_style() -> None:
    first = date(2026, 12, 1)
    assert fmt_date(first) == "mardi 1er décembre 2026"
    assert fmt_date(first, "long") == "1er décembre 2026"
    assert fmt_date(first, "EEE d MMM y") == "mar. 1er déc. 2026"
    assert fmt_date(first, "short") == "01/12/2026"
    assert fmt_date(date(2026, 12, 2)) == "mercredi 2 décembre 2026"
    assert fmt_date(date(2026, 12, 11)) == "vendredi 11 décembre 2026"
    moment = datetime(2026, 12, 1, 10, 5, tzinfo=ZoneInfo("Europe/Paris"))
    assert fmt_datetime(moment) == "1er déc. 2026, 10:05:00"
    assert fmt_datetime(moment, "short") == "01/12/2026 10:05"


def test_english_keeps_its_own_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    assert fmt_date(date(2026, 12, 1)) == "Tuesday, 1 December 2026"


def test_zones_are_named_by_their_place() -> None:
    assert fmt_zone("America/Guadeloupe") == "heure de Guadeloupe"
    assert fmt_zone("Europe/Paris") == "heure de Paris"
    assert fmt_zone("Indian/Reunion") == "heure de La Réunion"
    assert fmt_zone("Asia/Tokyo") == "heure : Japon"  # Babel's name beyond the French plan
    assert fmt_zone("Not/AZone") == "Not/AZone"


def test_zones_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    assert fmt_zone("America/Guadeloupe") == "Guadeloupe time"
