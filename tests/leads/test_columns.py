"""Column mapping from usual French and English headers, and `--map`."""

from __future__ import annotations

import pytest

from leads.columns import FIELDS, header_key, parse_map_options, resolve
from leads.errors import InvalidMapping, NoPhoneColumn, UnknownColumn, UnknownField


def test_headers_compare_without_accents_case_punctuation_or_trailing_number() -> None:
    assert header_key("Tél. fixe") == "tel fixe"
    assert header_key("TÉLÉPHONE 2") == "telephone"
    assert header_key("E-mail") == "e mail"
    assert header_key("N° de téléphone") == "n de telephone"


def test_french_headers_are_recognised() -> None:
    headers = ["Civilité", "Nom", "Prénom", "Tél. fixe", "Tel portable", "GSM", "Adresse", "Adresse 2", "CP",
               "Ville", "Courriel", "Raison sociale", "Référence", "Date de consentement", "Source du consentement",
               "Preuve", "Contrat en cours", "Surface habitable"]
    mapping = resolve("f.csv", headers)
    assert mapping.phones == [3, 4, 5]
    assert mapping.address == [6, 7]
    assert mapping.fields == {
        "civility": 0, "last_name": 1, "first_name": 2, "postcode": 8, "city": 9, "email": 10, "company": 11,
        "external_ref": 12, "consent_at": 13, "consent_source": 14, "consent_proof": 15, "contract_exemption": 16,
    }
    assert mapping.custom == [(17, "Surface habitable")]


def test_english_headers_are_recognised() -> None:
    mapping = resolve("f.csv", ["Title", "Last name", "First name", "Mobile", "Home phone", "Address", "Zip code",
                                "City", "Email", "Company", "ID", "Consent date", "Consent source", "Proof reference"])
    assert mapping.phones == [3, 4]
    assert set(mapping.fields) == {"civility", "last_name", "first_name", "postcode", "city", "email", "company",
                                   "external_ref", "consent_at", "consent_source", "consent_proof"}
    assert mapping.custom == []


def test_explicit_mapping_wins_and_may_keep_or_drop_columns() -> None:
    options = parse_map_options(["Numéro perso=phone", "Nom=custom", "Interne=ignore", "Tel=phone"])
    mapping = resolve("f.csv", ["Nom", "Numéro perso", "Interne", "Tel", "Ville"], options)
    assert mapping.phones == [1, 3]
    assert mapping.custom == [(0, "Nom")]
    assert "last_name" not in mapping.fields
    assert mapping.describe() == {"Nom": "custom", "Numéro perso": "phone", "Interne": "ignore", "Tel": "phone",
                                  "Ville": "city"}


def test_an_unknown_field_name_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownField) as caught:
        parse_map_options(["Tel=telephone"])
    assert "telephone" in str(caught.value)
    assert all(name in str(caught.value) for name in FIELDS)
    with pytest.raises(InvalidMapping, match="Tel"):
        parse_map_options(["Tel"])


def test_a_mapping_for_a_missing_header_names_the_file_and_its_columns() -> None:
    with pytest.raises(UnknownColumn) as caught:
        resolve("clients.csv", ["Nom", "Téléphone"], {"Portable": "phone"})
    assert "clients.csv" in str(caught.value) and "Portable" in str(caught.value) and "Téléphone" in str(caught.value)


def test_a_file_without_a_phone_column_is_refused_with_a_hint() -> None:
    with pytest.raises(NoPhoneColumn) as caught:
        resolve("clients.csv", ["Nom", "Prénom", "Ville"])
    assert "clients.csv" in str(caught.value) and "--map" in str(caught.value)


def test_duplicate_and_empty_headers_stay_distinct_custom_fields() -> None:
    mapping = resolve("f.csv", ["Tel", "Note", "Note", ""])
    assert mapping.custom == [(1, "Note"), (2, "Note (2)"), (3, "column_4")]
