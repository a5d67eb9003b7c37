"""The script as the agent reads it: the lead's fields put in, a missing one marked, never a crash or a brace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from campaigns.appointment_rules import TimeSlot
from campaigns.script import CallScript, Objection, load_script
from campaigns.script_render import field_key, fill, lead_fields, plain_text, render_script
from tests.campaigns.appointment_helpers import PARIS, SAMPLE


@dataclass
class Prospect:
    civility: str = "Mme"
    first_name: str = "Isabelle"
    last_name: str = "Lucas"
    company: str = ""
    address: str = "97 route des Écoles"
    postcode: str = "75015"
    city: str = "Paris"
    email: str = ""
    custom: dict[str, Any] = field(default_factory=lambda: {"Année de construction": "1914", "Projet": "combles"})


def test_the_sample_script_reads_as_steps_with_the_leads_name_agent_and_client() -> None:
    script = load_script(SAMPLE)
    steps = render_script(script.script, lead_fields(Prospect(), agent="Marie", client="Charpentes Martin"))
    assert [s.kind for s in steps] == ["greeting", "pitch", *["objection"] * 5, "closing"]
    greeting = plain_text(steps[0].paragraphs)
    assert greeting.startswith("Bonjour Madame / Monsieur Lucas, Marie de la société Charpentes Martin,")
    assert plain_text(steps[2].prompt) == "Je n'ai pas le temps / rappelez plus tard."
    assert "au 97 route des Écoles, 75015 Paris." in plain_text(steps[-1].paragraphs)


def test_the_visit_fields_are_marked_missing_until_a_slot_is_chosen_then_filled() -> None:
    script = load_script(SAMPLE).script
    before = render_script(script, lead_fields(Prospect()))[-1]
    missing = [p for para in before.paragraphs for p in para if p.missing]
    assert [p.field for p in missing] == ["date", "heure_debut", "heure_fin"]
    assert "{" not in plain_text(before.paragraphs) and "[date\u00a0?]" in plain_text(before.paragraphs)
    start = datetime(2026, 12, 1, 14, 0, tzinfo=PARIS)
    after = render_script(script, lead_fields(Prospect(), slot=TimeSlot(start, start + timedelta(hours=2))))[-1]
    assert "passera le mardi 1er décembre 2026 entre 14:00 et 16:00 au" in plain_text(after.paragraphs)
    assert not any(p.missing for para in after.paragraphs for p in para)


def test_custom_fields_of_the_file_are_named_without_accents_or_spaces() -> None:
    text = "Maison de {annee_de_construction}, projet : {Projet}. Fax : {fax}. {{littéral}}"
    filled = fill(text, lead_fields(Prospect()))
    assert plain_text(filled) == "Maison de 1914, projet : combles. Fax : [fax\u00a0?]. {littéral}"
    assert field_key("Année de construction") == "annee_de_construction"


def test_an_empty_cell_is_missing_like_an_unknown_field() -> None:
    filled = fill("Bonjour {prenom} {nom}", lead_fields(Prospect(first_name="")))
    assert plain_text(filled) == "Bonjour [prenom\u00a0?] Lucas"
    assert [p.missing for p in filled[0]] == [False, True, False, False]


def test_the_departement_comes_from_the_postcode() -> None:
    assert lead_fields(Prospect(postcode="20100"))["departement"] == "2A"
    assert lead_fields(Prospect(postcode="97411"))["departement"] == "974"
    assert lead_fields(Prospect(postcode=""))["departement"] == ""


@given(st.text(max_size=80))
def test_any_script_text_renders_without_a_placeholder_left(text: str) -> None:
    script = CallScript(text or "x", "pitch", (Objection(text or "o", text or "a"),), "fin")
    for step in render_script(script, lead_fields(Prospect())):
        for paragraph in (*step.paragraphs, *step.prompt):
            for piece in paragraph:
                assert piece.text or not piece.field
                if piece.field or piece.missing:
                    assert "{" not in piece.text


def test_a_recorded_campaign_reads_its_notice_right_after_the_greeting() -> None:
    script = load_script(SAMPLE).script
    steps = render_script(script, lead_fields(Prospect()), recorded=True)
    assert [s.kind for s in steps[:3]] == ["greeting", "notice", "pitch"]
    assert plain_text(steps[1].paragraphs).startswith("Je vous informe que cet appel peut être enregistré")
    assert "notice" not in [s.kind for s in render_script(script, lead_fields(Prospect()))]
