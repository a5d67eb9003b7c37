"""Phones in client files: as `display` shows valid ones, written fast for French-plan numbers."""

from __future__ import annotations

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from leads.phone import FRENCH_PLAN, display
from reports.labels import outcome_label, phone_cell, status_label

# Prefixes in use in each code of the French plan, so that most drawn numbers are valid ones.
PREFIXES = {"33": r"[1-9][0-9]{2}", "262": r"(262|263|269|639|692|693)", "590": r"(590|690|691)",
            "594": r"(594|694)", "596": r"(596|696|697)"}
NUMBERS = st.sampled_from(FRENCH_PLAN).flatmap(
    lambda code: st.from_regex(PREFIXES[code] + r"[0-9]{6}", fullmatch=True).map(lambda nsn: f"+{code}{nsn}")
)


@given(NUMBERS)
def test_french_plan_numbers_read_as_display_shows_them(e164: str) -> None:
    assume(phonenumbers.is_valid_number(phonenumbers.parse(e164)))  # stored numbers were all normalised
    shown = display(e164)
    assert phone_cell(e164) == ("00 " + shown[1:] if shown.startswith("+") else shown)


def test_numbers_abroad_are_written_as_dialled_from_france() -> None:
    assert phone_cell("+442079460958") == "00 44 20 7946 0958"
    assert phone_cell("+33612345678") == "06 12 34 56 78"
    assert phone_cell("+590590123456") == "0590 12 34 56"
    assert phone_cell("") == "" and phone_cell(None) == ""


def test_codes_get_labels_and_unknown_ones_stay_as_they_are() -> None:
    assert outcome_label("dropped") == "Abandonné (aucun téléacteur libre)"
    assert status_label("no_consent") == "Écartée : pas de consentement prouvable"
    assert outcome_label("weird") == "weird" and outcome_label(None) == ""


def test_a_leads_last_outcome_set_by_the_agents_disposition_reads_in_french() -> None:
    # The results file's "Dernier résultat" showed refused / rdv / not_target as codes.
    assert outcome_label("refused") == "Refus"
    assert outcome_label("rdv") == "RDV pris"
