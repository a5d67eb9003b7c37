"""The RDV sheet as a form: typed answers from what the agent typed, a French message per field, a live verdict."""

from __future__ import annotations

from campaigns.rdv_form import form_fields, input_name, live_verdict, read_answers
from campaigns.script import check_answers, conformity, load_script
from tests.campaigns.appointment_helpers import SAMPLE

SCRIPT = load_script(SAMPLE)
FILLED = {
    "answer_proprietaire": ["yes"], "answer_type_logement": ["maison_individuelle"], "answer_age_toiture": ["25_50"],
    "answer_type_charpente": ["traditionnelle"], "answer_couverture": ["ardoises"],
    "answer_problemes": ["infiltrations", "mousses"], "answer_surface_toiture": ["120 m²"],
    "answer_decideurs": ["tous_presents"], "answer_horizon": ["moins_3_mois"], "answer_acces": [" Portail vert "],
}


def test_each_question_becomes_a_labelled_field_of_its_kind_with_its_hint() -> None:
    fields = {f.question.key: f for f in form_fields(SCRIPT.questions)}
    assert fields["proprietaire"].widget == "radio_yes_no"
    assert fields["type_logement"].widget == "select"
    assert fields["problemes"].widget == "checkboxes"
    assert fields["problemes"].hint == "facultatif, plusieurs réponses possibles"
    assert fields["surface_toiture"].widget == "number"
    assert fields["surface_toiture"].hint == "de 10 à 2000\u00a0m²"
    assert fields["acces"].name == input_name(SCRIPT.question("acces")) == "answer_acces"


def test_a_whole_sheet_reads_into_answers_the_booking_accepts() -> None:
    read = read_answers(SCRIPT.questions, FILLED)
    assert read.complete
    assert read.values["proprietaire"] is True and read.values["surface_toiture"] == 120
    assert read.values["acces"] == "Portail vert"
    assert check_answers(read.values, SCRIPT.questions) == read.values
    assert conformity(read.values, SCRIPT.criteria).conform


def test_bad_or_missing_answers_each_get_one_french_line() -> None:
    form = {**FILLED, "answer_proprietaire": [""], "answer_surface_toiture": ["5"], "answer_horizon": ["demain"],
            "answer_decideurs": [], "answer_type_logement": ["chateau"]}
    errors = read_answers(SCRIPT.questions, form).errors
    assert errors == {
        "proprietaire": "Une réponse est obligatoire.",
        "type_logement": "Choisissez une des propositions.",
        "surface_toiture": "Au moins 10\u00a0m².",
        "decideurs": "Une réponse est obligatoire.",
        "horizon": "Choisissez une des propositions.",
    }
    assert read_answers(SCRIPT.questions, {**FILLED, "answer_surface_toiture": ["cent"]}).errors == {
        "surface_toiture": "Saisissez un nombre entier, par exemple 120."}
    assert read_answers(SCRIPT.questions, {**FILLED, "answer_surface_toiture": ["2 500"]}).errors == {
        "surface_toiture": "Au plus 2000\u00a0m²."}


def test_the_live_verdict_separates_criteria_met_missed_and_not_yet_answered() -> None:
    partial = read_answers(SCRIPT.questions, {"answer_proprietaire": ["no"], "answer_surface_toiture": ["120"]})
    verdict = live_verdict(partial.values, SCRIPT.criteria)
    assert not verdict.conform
    assert verdict.unmet == ("Le prospect est propriétaire de son logement",)
    assert verdict.met == ("Surface de toiture d'au moins 40 m²",)
    assert "Tous les décideurs seront présents lors de la visite" in verdict.pending
    assert len(verdict.met) + len(verdict.unmet) + len(verdict.pending) == len(SCRIPT.criteria)
    whole = live_verdict(read_answers(SCRIPT.questions, FILLED).values, SCRIPT.criteria)
    assert whole.conform and not whole.unmet and not whole.pending
