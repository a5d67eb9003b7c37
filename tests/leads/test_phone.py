"""Phone numbers as lead files write them → E.164, line type, region and zone, or a reason."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leads.phone import FRENCH_PLAN, InvalidPhoneNumber, _classify, display, mask, normalise

MOBILE = "+33612345678"


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "0612345678", "+33 (0)6 12 34 56 78",
        "+33 6 12 34 56 78", "+33612345678", "0033612345678", "0033 6 12 34 56 78", "612345678", "612345678.0",
        "6,12345678E+08", "33612345678", "'0612345678", '="0612345678"', " 06 12 34 56 78 ", "06\u00a012\u00a034 56 78",
    ],
)
def test_every_usual_way_of_writing_a_french_mobile_gives_the_same_number(raw: str) -> None:
    phone = normalise(raw, "FR")
    assert (phone.e164, phone.line_type, phone.region, phone.timezone) == (MOBILE, "mobile", "FR", "Europe/Paris")
    assert phone.national == "06 12 34 56 78"


@pytest.mark.parametrize(
    ("raw", "e164", "kind", "region", "zone"),
    [
        ("01 45 67 89 01", "+33145678901", "fixed", "FR", "Europe/Paris"),
        ("09 12 34 56 78", "+33912345678", "voip", "FR", "Europe/Paris"),
        ("0692 12 34 56", "+262692123456", "mobile", "RE", "Indian/Reunion"),
        ("+262 692 12 34 56", "+262692123456", "mobile", "RE", "Indian/Reunion"),
        ("+33 6 92 12 34 56", "+262692123456", "mobile", "RE", "Indian/Reunion"),
        ("0262 16 12 34", "+262262161234", "fixed", "RE", "Indian/Reunion"),
        ("0269 60 12 34", "+262269601234", "fixed", "YT", "Indian/Mayotte"),
        ("0639 01 23 45", "+262639012345", "mobile", "YT", "Indian/Mayotte"),
        ("0590 20 12 34", "+590590201234", "fixed", "GP", "America/Guadeloupe"),
        ("0690 00 12 34", "+590690001234", "mobile", "GP", "America/Guadeloupe"),
        ("+596 696 20 12 34", "+596696201234", "mobile", "MQ", "America/Martinique"),
        ("0694 20 12 34", "+594694201234", "mobile", "GF", "America/Cayenne"),
        ("+32 470 12 34 56", "+32470123456", "mobile", "BE", "Europe/Brussels"),
        ("0032 470 12 34 56", "+32470123456", "mobile", "BE", "Europe/Brussels"),
        ("+41 44 668 18 00", "+41446681800", "fixed", "CH", "Europe/Zurich"),
        ("+1 212 555 0123", "+12125550123", "fixed_or_mobile", "US", "America/New_York"),
    ],
)
def test_numbers_get_their_line_type_region_and_zone(raw: str, e164: str, kind: str, region: str, zone: str) -> None:
    phone = normalise(raw, "FR")
    assert (phone.e164, phone.line_type, phone.region, phone.timezone) == (e164, kind, region, zone)


def test_a_national_number_follows_the_default_region() -> None:
    assert normalise("0470 12 34 56", "BE").e164 == "+32470123456"
    # The French plan is one: a Réunion campaign's "01 45…" still rings in Paris.
    assert normalise("01 45 67 89 01", "RE").e164 == "+33145678901"


@pytest.mark.parametrize(
    ("raw", "reason", "words"),
    [
        ("08 99 12 34 56", "premium_rate", "surtaxé"),
        ("0810 12 34 56", "service_number", "numéro de service"),
        ("0820 12 34 56", "service_number", "numéro de service"),
        ("08 21 12 34 56", "service_number", "numéro de service"),
        ("0806 12 34 56", "service_number", "numéro de service"),
        ("0800 12 34 56", "service_number", "numéro de service"),
        ("+33 8 10 12 34 56", "service_number", "numéro de service"),
        ("39 49", "service_number", "numéro de service"),
        ("3655", "service_number", "numéro de service"),
        ("118 712", "service_number", "numéro de service"),
        ("+44 800 123 4567", "service_number", "numéro de service"),
        ("0612", "too_short", "trop court"),
        ("06 59 14 27 5", "too_short", "trop court"),
        ("06 12 34 56 78 9", "too_long", "trop long"),
        ("n/a", "not_a_number", "pas un numéro"),
        ("+999 123 456", "invalid_country_code", "indicatif"),
        ("05 90 12 34 56 7", "too_long", "trop long"),
        ("06 39 81 23 45", "invalid", "invalide"),
        ("", "empty", "vide"),
    ],
)
def test_numbers_nobody_can_dial_are_refused_with_the_reason_the_value_and_the_region(
    raw: str, reason: str, words: str
) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise(raw, "FR")
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)
    assert f"« {raw} »" in str(caught.value) and "FR" in str(caught.value) and words in str(caught.value)


def test_masked_numbers_keep_only_the_country_code_and_a_few_digits() -> None:
    assert mask("+33612345678") == "+33 6** ** ** 78"
    assert mask("+262692123456") == "+262 6** ** ** 56"
    assert mask("+447911123456") == "+44 7*******56"
    assert mask("not a number") == "***"


def _written(nsn: str, shape: int) -> str:
    pairs = [nsn[i:i + 2] for i in range(1, 9, 2)]
    return [
        f"0{nsn[0]} {' '.join(pairs)}", f"0{nsn[0]}.{'.'.join(pairs)}", f"+33 (0){nsn[0]} {' '.join(pairs)}",
        f"0033{nsn}", nsn, f"{nsn}.0", f"+33{nsn}", f"0{nsn[0]}-{'-'.join(pairs)}",
    ][shape]


mobiles = st.builds(
    lambda head, rest: head + rest,
    st.sampled_from(["60", "61", "62", "64", "65", "66", "67", "68", "73", "74", "75", "76", "77", "78", "79"]),
    st.text("0123456789", min_size=7, max_size=7),
)


@given(mobiles, st.integers(0, 7), st.integers(0, 7))
def test_any_french_mobile_in_any_usual_shape_normalises_to_one_e164(nsn: str, a: int, b: int) -> None:
    first, second = normalise(_written(nsn, a)), normalise(_written(nsn, b))
    assert first == second
    assert first.e164 == "+33" + nsn and first.line_type == "mobile"


@given(st.sampled_from(FRENCH_PLAN), st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
def test_the_fast_path_classifies_french_plan_numbers_exactly_as_phonenumbers(code: str, nsn: str) -> None:
    number = phonenumbers.PhoneNumber(country_code=int(code), national_number=int(nsn))
    expected = None
    if phonenumbers.is_valid_number(number):
        expected = (phonenumbers.region_code_for_number(number), phonenumbers.number_type(number))
    assert _classify(code, nsn) == expected


@given(st.sampled_from(["FR", "RE", "GP", "BE", "CH", "GB", "US"]), st.text("0123456789 +.()-", max_size=18))
def test_normalise_either_gives_a_valid_number_or_says_why(region: str, raw: str) -> None:
    try:
        phone = normalise(raw, region)
    except InvalidPhoneNumber as exc:
        assert exc.reason in {"empty", "not_a_number", "too_short", "too_long", "invalid_country_code", "invalid",
                              "premium_rate", "service_number"}
        return
    parsed = phonenumbers.parse(phone.e164, None)
    assert phonenumbers.is_valid_number(parsed)
    assert phone.line_type not in {"premium", "toll_free", "shared_cost", "uan"}


def test_numbers_are_displayed_as_a_french_client_dials_them() -> None:
    assert display("+33612345678") == "06 12 34 56 78"
    assert display("+262692123456") == "0692 12 34 56"  # Réunion, dialled from France in the national plan
    assert display("+442079460958") == "+44 20 7946 0958"
    assert display("not a number") == "not a number"
