"""Postcodes → département, and overseas the zone that sets the calling window."""

from __future__ import annotations

import pytest

from leads.places import clean_postcode, is_overseas, place_of


@pytest.mark.parametrize(
    ("postcode", "departement", "country", "zone"),
    [
        ("75011", "75", "FR", "Europe/Paris"), ("01000", "01", "FR", "Europe/Paris"),
        ("20000", "2A", "FR", "Europe/Paris"), ("20169", "2A", "FR", "Europe/Paris"),
        ("20200", "2B", "FR", "Europe/Paris"), ("20600", "2B", "FR", "Europe/Paris"),
        ("97400", "974", "FR", "Indian/Reunion"), ("97600", "976", "FR", "Indian/Mayotte"),
        ("97110", "971", "FR", "America/Guadeloupe"), ("97200", "972", "FR", "America/Martinique"),
        ("97300", "973", "FR", "America/Cayenne"), ("97133", "977", "FR", "America/St_Barthelemy"),
        ("97150", "978", "FR", "America/Marigot"), ("98800", "988", "FR", "Pacific/Noumea"),
        ("98000", "980", "MC", "Europe/Monaco"),
    ],
)
def test_a_postcode_gives_its_departement_country_and_zone(
    postcode: str, departement: str, country: str, zone: str
) -> None:
    place = place_of(postcode)
    assert place is not None
    assert (place.departement, place.country, place.timezone) == (departement, country, zone)
    assert is_overseas(place) == (zone != "Europe/Paris")


@pytest.mark.parametrize("postcode", ["", "7501", "ABCDE", "00000", "750011", "99999"])
def test_what_is_not_a_french_postcode_has_no_place(postcode: str) -> None:
    assert place_of(postcode) is None


def test_the_zero_a_spreadsheet_dropped_is_put_back() -> None:
    assert clean_postcode("1000") == "01000"
    assert clean_postcode("1000.0") == "01000"
    assert clean_postcode(" 75011 ") == "75011"
    assert clean_postcode("SW1A 1AA") == "SW1A 1AA"
