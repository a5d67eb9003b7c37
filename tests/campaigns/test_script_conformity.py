"""The conformity verdict: a pure function of the answers and the criteria agreed with the client."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from campaigns.script import Criterion, conformity, load_script
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, SAMPLE

CRITERIA = load_script(SAMPLE).criteria


def test_answers_meeting_every_criterion_make_a_conform_appointment() -> None:
    verdict = conformity(CONFORM_ANSWERS, CRITERIA)
    assert verdict.conform
    assert verdict.unmet == ()


def test_unmet_criteria_are_listed_in_plain_words_in_the_file_order() -> None:
    answers = {**CONFORM_ANSWERS, "proprietaire": False, "decideurs": "un_absent", "horizon": "plus_12_mois"}
    verdict = conformity(answers, CRITERIA)
    assert not verdict.conform
    assert verdict.unmet == (
        "Le prospect est propriétaire de son logement",
        "Tous les décideurs seront présents lors de la visite",
        "Projet de travaux dans les 12 mois",
    )


def test_a_missing_answer_never_meets_a_criterion() -> None:
    answers = {k: v for k, v in CONFORM_ANSWERS.items() if k != "surface_toiture"}
    assert conformity(answers, CRITERIA).unmet == ("Surface de toiture d'au moins 40 m²",)


def test_bounds_are_inclusive() -> None:
    assert conformity({**CONFORM_ANSWERS, "surface_toiture": 40}, CRITERIA).conform
    assert not conformity({**CONFORM_ANSWERS, "surface_toiture": 39}, CRITERIA).conform
    at_most = Criterion("horizon_mois", "max", 12, "Projet dans les 12 mois")
    assert conformity({"horizon_mois": 12}, [at_most]).conform
    assert conformity({"horizon_mois": 13}, [at_most]).unmet == ("Projet dans les 12 mois",)


def test_a_multiple_choice_answer_is_judged_on_every_choice() -> None:
    only = Criterion("problemes", "in", ["infiltrations", "mousses"], "Problèmes traités")
    never = Criterion("problemes", "not_in", ["affaissement"], "Pas d'affaissement")
    assert conformity({"problemes": ["mousses"]}, [only, never]).conform
    assert conformity({"problemes": ["mousses", "affaissement"]}, [only, never]).unmet == (
        "Problèmes traités", "Pas d'affaissement",
    )


answer_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 3000), st.sampled_from(
    ["maison_individuelle", "appartement", "moins_10", "25_50", "tous_presents", "un_absent", "plus_12_mois"]
))


@given(st.dictionaries(st.sampled_from(sorted(CONFORM_ANSWERS)), answer_values))
def test_the_verdict_is_conform_exactly_when_nothing_is_unmet(changes: dict[str, Any]) -> None:
    answers = {**CONFORM_ANSWERS, **changes}
    verdict = conformity(answers, CRITERIA)
    assert verdict.conform == (verdict.unmet == ())
    assert set(verdict.unmet) <= {c.label for c in CRITERIA}
    # Changing only questions no criterion reads keeps the verdict of the conform answers.
    judged = {c.question for c in CRITERIA}
    if not (set(changes) & judged):
        assert verdict.conform
