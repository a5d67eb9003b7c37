"""Campaign scripts as data: the sample file loads, and bad files are refused naming the file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from campaigns.script import (
    InvalidAnswer,
    InvalidScript,
    InvalidTomlFile,
    answer_text,
    check_answers,
    load_script,
    parse_script,
)
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, SAMPLE


def _sample() -> dict[str, Any]:
    return tomllib.loads(SAMPLE.read_text(encoding="utf-8"))


def test_the_charpente_sample_has_a_whole_script_questions_and_criteria() -> None:
    script = load_script(SAMPLE)
    assert script.name == "Prise de RDV Charpente"
    assert script.script.greeting.startswith("Bonjour")
    assert len(script.script.objections) >= 4
    assert all(o.answer for o in script.script.objections)
    assert {"proprietaire", "age_toiture", "type_charpente", "decideurs", "horizon", "surface_toiture"} <= {
        q.key for q in script.questions
    }
    assert "Tous les décideurs seront présents lors de la visite" in [c.label for c in script.criteria]
    assert script.question("surface_toiture").unit == "m²"


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (lambda d: d.pop("script"), "script", "table manquante"),
        (lambda d: d["script"].update(pitch=""), "script.pitch", "absent ou vide"),
        (lambda d: d["questions"][2].update(type="slider"), "questions[2].type", "type slider inconnu"),
        (lambda d: d["questions"][1].update(choices=d["questions"][1]["choices"][:1]), "questions[1].choices",
         "au moins deux choix"),
        (lambda d: d["questions"][1].update(key="proprietaire"), "questions[1].key", "clé proprietaire en double"),
        (lambda d: d["criteria"][0].update(question="jardin"), "criteria[0].question", "jardin"),
        (lambda d: d["criteria"][1].update({"in": ["chateau"]}), "criteria[1].in", "valeurs de choix"),
        (lambda d: d["criteria"][0].update(equals="oui"), "criteria[0].equals", "true ou false"),
        (lambda d: d["criteria"][5].update(max=12), "criteria[5]", "exactement un"),
        (lambda d: d["script"]["objections"][3].pop("answer"), "script.objections[3].answer", "absent"),
        (lambda d: d["campaign"].update(slot_minutes=5), "campaign.slot_minutes", "entre 15 et 480"),
    ],
)
def test_a_bad_script_file_is_refused_naming_the_file_and_key(edit: Any, key: str, problem: str) -> None:
    data = _sample()
    edit(data)
    with pytest.raises(InvalidScript) as caught:
        parse_script(data, "charpente.toml")
    message = str(caught.value)
    assert message.startswith(f"charpente.toml : {key} : "), message
    assert problem in message


def test_a_file_that_is_not_toml_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[campaign\nname = 'x'", encoding="utf-8")
    with pytest.raises(InvalidTomlFile, match=r"^broken\.toml, ligne 1, colonne 10 : TOML invalide : « \] » attendu"):
        load_script(path)


def test_a_criterion_without_a_label_is_described_in_plain_words() -> None:
    data = _sample()
    del data["criteria"][5]["label"]
    script = parse_script(data, "charpente.toml")
    assert script.criteria[5].label == "Surface approximative de la toiture : au moins 40 m²"


def test_answers_are_checked_against_their_questions() -> None:
    questions = load_script(SAMPLE).questions
    assert check_answers(CONFORM_ANSWERS, questions)["surface_toiture"] == 120
    optional_left_out = {k: v for k, v in CONFORM_ANSWERS.items() if k not in {"acces", "problemes"}}
    assert "acces" not in check_answers(optional_left_out, questions)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"proprietaire": "oui"}, "proprietaire"),
        ({"type_logement": "chateau"}, "type_logement"),
        ({"problemes": ["termites"]}, "problemes"),
        ({"surface_toiture": 5}, "surface_toiture"),
        ({"surface_toiture": "120"}, "surface_toiture"),
        ({"piscine": True}, "piscine"),
    ]
    for bad, key in cases:
        with pytest.raises(InvalidAnswer, match=key):
            check_answers({**CONFORM_ANSWERS, **bad}, questions)
    missing = dict(CONFORM_ANSWERS)
    del missing["horizon"]
    with pytest.raises(InvalidAnswer, match="horizon"):
        check_answers(missing, questions)


def test_answers_read_as_the_client_expects_them(monkeypatch: pytest.MonkeyPatch) -> None:
    script = load_script(SAMPLE)
    assert answer_text(script.question("proprietaire"), True) == "Oui"
    assert answer_text(script.question("problemes"), ["infiltrations", "mousses"]) == "Infiltrations, Mousses, lichens"
    assert answer_text(script.question("surface_toiture"), 120) == "120 m²"
    monkeypatch.setenv("RDV_LANG", "en")
    assert answer_text(script.question("proprietaire"), False) == "No"
