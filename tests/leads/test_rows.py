"""One row → a lead's values: consent, flags, names, and the callee's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leads.columns import resolve
from leads.rows import Draft, Rejection, RowBuilder, parse_date

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEADERS = ["Civilité", "Nom", "Téléphone", "Portable", "Code postal", "Date de consentement", "Contrat en cours",
           "Projet"]


def build(*cells: str, zone: str = "Europe/Paris") -> Draft | Rejection:
    builder = RowBuilder(resolve("f.csv", HEADERS), "FR", zone, NOW, {"last_name": 10})
    return builder.build(list(cells))


def test_a_row_becomes_a_lead_with_its_phones_consent_and_custom_fields() -> None:
    draft = build("Monsieur", "DUPONT", "01 45 67 89 01", "06 12 34 56 78", "75011", "14/03/2026 10:22", "non",
                  "charpente")
    assert isinstance(draft, Draft)
    assert [p.e164 for p, _ in draft.phones] == ["+33145678901", "+33612345678"]
    assert [header for _, header in draft.phones] == ["Téléphone", "Portable"]
    values = draft.values
    assert values["civility"] == "M."
    assert values["phone_e164"] == "+33145678901" and values["phone_type"] == "fixed"
    assert values["consent_at"] == datetime(2026, 3, 14, 9, 22, tzinfo=UTC)  # 10:22 in Paris, winter time
    assert "contract_exemption" not in values
    assert values["custom"] == {"Projet": "charpente"}
    assert (values["timezone"], values["country"], values["subdivision"]) == ("Europe/Paris", "FR", "75")
    assert draft.departement == "75"


def test_long_values_are_cut_to_the_column_size() -> None:
    draft = build("Mme", "DE LA TOUR D'AUVERGNE", "0612345678", "", "", "", "", "")
    assert isinstance(draft, Draft) and draft.values["last_name"] == "DE LA TOUR"


def test_an_overseas_postcode_sets_the_zone_whatever_the_phone() -> None:
    draft = build("", "", "06 12 34 56 78", "", "97400", "", "oui", "")
    assert isinstance(draft, Draft)
    assert (draft.values["timezone"], draft.values["subdivision"]) == ("Indian/Reunion", "974")
    assert draft.values["contract_exemption"] is True


def test_without_postcode_the_phone_zone_then_the_campaign_zone_apply() -> None:
    reunion = build("", "", "0692 12 34 56", "", "", "", "", "")
    assert isinstance(reunion, Draft)
    assert (reunion.values["timezone"], reunion.values["subdivision"]) == ("Indian/Reunion", "974")
    british = build("", "", "+44 7911 123456", "", "", "", "", "", zone="Europe/Paris")
    assert isinstance(british, Draft)
    assert (british.values["timezone"], british.values["country"]) == ("Europe/Paris", "GG")


def test_a_row_whose_numbers_are_all_unusable_gives_the_first_reason() -> None:
    rejection = build("", "", "0899 12 34 56", "0612", "", "", "", "")
    assert rejection == Rejection("premium_rate", "Téléphone", "0899 12 34 56")
    assert build("", "", "", "", "", "", "", "") == Rejection("no_phone")


def test_an_invalid_second_number_is_dropped_and_counted() -> None:
    draft = build("", "", "0612345678", "0612", "", "", "", "")
    assert isinstance(draft, Draft)
    assert len(draft.phones) == 1 and draft.dropped_phones == 1


def test_the_same_number_twice_in_a_row_is_stored_once() -> None:
    draft = build("", "", "0612345678", "+33 6 12 34 56 78", "", "", "", "")
    assert isinstance(draft, Draft) and len(draft.phones) == 1


@pytest.mark.parametrize(
    ("consent", "flag", "reason"),
    [("31/02/2026", "", "bad_consent_date"), ("demain", "", "bad_consent_date"),
     ("01/01/2027", "", "future_consent_date"), ("", "peut-être", "bad_contract_flag")],
)
def test_unreadable_consent_or_contract_cells_reject_the_row(consent: str, flag: str, reason: str) -> None:
    rejection = build("", "", "0612345678", "", "", consent, flag, "")
    assert isinstance(rejection, Rejection) and rejection.reason == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/03/2026", datetime(2026, 3, 14)), ("14/03/2026 10:22", datetime(2026, 3, 14, 10, 22)),
        ("14.03.26", datetime(2026, 3, 14)), ("14-03-2026 10h22", datetime(2026, 3, 14, 10, 22)),
        ("2026-03-14 10:22:33", datetime(2026, 3, 14, 10, 22, 33)), ("46095", datetime(2026, 3, 14)),
        ("2026-03-14T10:22:00+01:00", datetime.fromisoformat("2026-03-14T10:22:00+01:00")),
        ("13/14/2026", None), ("oui", None),
    ],
)
def test_consent_dates_are_read_in_the_ways_files_write_them(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected
