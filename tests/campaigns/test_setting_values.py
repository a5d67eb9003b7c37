"""Every campaign setting refuses a bad value in the catalogue's French, never in Python's own words."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from campaigns.errors import InvalidSetting, InvalidStoredSetting
from campaigns.setting_values import zone_suggestion
from campaigns.settings import REGISTRY, campaign_settings, describe, parse_value

PO = Path(__file__).resolve().parents[2] / "campaigns" / "locale" / "fr.po"


@cache
def french_reasons() -> list[re.Pattern[str]]:
    """Every French message of the campaigns catalogue, its placeholders matching anything."""
    with PO.open(encoding="utf-8") as handle:
        strings = [m.string for m in read_po(handle) if m.id and isinstance(m.string, str) and m.string]
    return [re.compile(re.sub(r"\\\{\w+\\\}", ".*", re.escape(s)), re.DOTALL) for s in strings]


def assert_french_refusal(exc: InvalidSetting) -> None:
    message = str(exc)
    prefix = f"Le réglage de campagne {exc.key} ne peut pas valoir {exc.value} : "
    assert message.startswith(prefix), message
    reason = message.removeprefix(prefix)
    assert any(p.fullmatch(reason) for p in french_reasons()), f"not from the French catalogue: {reason!r}"


@given(key=st.sampled_from(sorted(REGISTRY)), text=st.text(max_size=30))
def test_any_text_for_any_setting_is_a_value_or_a_french_refusal(key: str, text: str) -> None:
    try:
        parse_value(key, text)
    except InvalidSetting as exc:
        assert_french_refusal(exc)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("max_attempts", "abc", "nombre entier de 1 à 100 attendu"),
        ("max_attempts", "2.5", "nombre entier de 1 à 100 attendu"),
        ("wrap_up_seconds", "-5", "nombre entier de 0 à 3600 attendu"),
        ("closures", "2026-13-01", "2026-13-01 n'est pas une date (écrivez 2026-12-24 ou 24/12/2026)"),
        ("closures", "2026-12-24, 30/02/2027", "30/02/2027 n'est pas une date"),
        ("daily_mail_time", "25:00", "25:00 n'est pas une heure (écrivez 19:15)"),
        ("hour_bands", "12:00, xx", "xx n'est pas une heure"),
        ("hopper_fresh_share", "abc", "part entre 0 % et 100 % attendue"),
        ("abandonment_target", "150 %", "part entre 0 % et 100 % attendue"),
        ("retry_busy", "99999999999999999999d", "durée d'au plus 366 jours attendue"),
        ("weekday_windows", "10:00-25:00", "Plage d'appel invalide : 10:00-25:00"),
        ("centre_timezone", "Paris", "vouliez-vous dire Europe/Paris ?"),
        ("saturday", "peut-être", "oui ou non attendu"),
    ],
)
def test_a_bad_value_is_refused_in_french_naming_what_was_expected(key: str, value: str, words: str) -> None:
    with pytest.raises(InvalidSetting) as refused:
        parse_value(key, value)
    assert words in str(refused.value)
    assert_french_refusal(refused.value)


def test_french_dates_are_understood_as_well_as_iso_ones() -> None:
    assert parse_value("closures", "24/12/2026; 2026-12-31") == parse_value("closures", "2026-12-24, 2026-12-31")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("Paris", "Europe/Paris"), ("europe/paris", "Europe/Paris"), ("Pariss", "Europe/Paris"),
     ("Martinique", "America/Martinique"), ("Reunion", "Indian/Reunion"), ("New York", "America/New_York"),
     ("GMT+1", None), ("nulle part", None)],
)
def test_a_time_zone_typed_as_a_city_gets_its_iana_name_suggested(typed: str, meant: str | None) -> None:
    assert zone_suggestion(typed) == meant


def test_a_stored_invalid_value_names_its_repair_and_show_still_lists_it() -> None:
    stored = {"max_attempts": "abc", "retry_busy": "15m"}
    with pytest.raises(InvalidStoredSetting) as invalid:
        campaign_settings(stored)
    assert "rdv campaign set CAMPAGNE max_attempts VALEUR" in str(invalid.value)
    rows = {key: value for key, value, _changed, _help in describe(stored)}
    assert rows["max_attempts"] == "abc (invalide : nombre entier de 1 à 100 attendu)"
    assert rows["retry_busy"] == "15m"
