"""The RDV sheet and the other dispositions from the agent screen, saved through the same services as the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from campaigns.appointments import Appointment
from campaigns.models import Attempt, Callback
from campaigns.visit_slots import offer_slots
from dialer.desk_models import AgentCommand, CallPop
from leads.models import DoNotCall, Lead
from tests.web.agent_helpers import CALLED, NOW, Desk, login_as, open_desk


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(database_url, tmp_path)


SHEET = {
    "answer_proprietaire": "yes", "answer_type_logement": "maison_individuelle", "answer_age_toiture": "25_50",
    "answer_type_charpente": "traditionnelle", "answer_couverture": "ardoises",
    "answer_problemes": ["infiltrations", "mousses"], "answer_surface_toiture": "120",
    "answer_decideurs": "tous_presents", "answer_horizon": "moins_3_mois", "answer_acces": "Portail vert",
}


def _first_slot() -> str:
    from campaigns.script import load_script
    from tests.web.agent_helpers import SAMPLE

    return str(offer_slots(load_script(SAMPLE).visit_rules(), "Europe/Paris", NOW)[0].slots[0])


def _kinds(desk: Desk) -> list[str]:
    with desk.sessions() as session:
        return list(session.scalars(select(AgentCommand.kind).order_by(AgentCommand.id)))


def test_the_check_answers_each_touched_field_and_the_live_verdict(desk: Desk) -> None:
    answer: Any = desk.post(f"/agent/call/{desk.attempt_id}/check",
                            {"answer_proprietaire": "no", "answer_surface_toiture": "5"})
    found = answer.json()
    assert found["errors"] == {"surface_toiture": "Au moins 10\u00a0m²."}  # untouched fields are not nagged
    assert not found["conform"]
    assert "Non conforme :" in found["verdict"] and "Le prospect est propriétaire de son logement" in found["verdict"]
    assert "Projet de travaux dans les 12 mois" in found["verdict"]  # still to ask
    whole: Any = desk.post(f"/agent/call/{desk.attempt_id}/check", SHEET)
    assert whole.json()["conform"] and "Rendez-vous conforme" in whole.json()["verdict"]


def test_saving_the_sheet_books_the_appointment_and_ends_the_wrap_up(desk: Desk) -> None:
    slot = _first_slot()
    saved: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {**SHEET, "code": "rdv", "slot": slot,
                                                                       "note": "Chien dans le jardin"})
    assert saved.json() == {"ok": True, "message": "Rendez-vous enregistré.", "errors": {}}
    with desk.sessions() as session:
        rdv = session.scalars(select(Appointment)).one()
        assert (rdv.attempt_id, rdv.agent, rdv.conform, rdv.comments) == (desk.attempt_id, "marie", True,
                                                                           "Chien dans le jardin")
        assert rdv.answers["surface_toiture"] == 120
        assert rdv.slot_start == datetime.fromisoformat(slot.split("/")[0])
        assert session.get_one(Attempt, desk.attempt_id).disposition == "rdv"
        assert session.scalars(select(CallPop.qualified_at)).one() is not None
    assert _kinds(desk) == ["wrapped"]
    again: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {**SHEET, "code": "rdv", "slot": slot})
    assert again.status_code == 422 and again.json()["message"] == "Cet appel est déjà qualifié."


def test_a_sheet_with_missing_answers_or_a_slot_the_client_refuses_is_not_saved(desk: Desk) -> None:
    partial = {k: v for k, v in SHEET.items() if k != "answer_decideurs"}
    refused: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {**partial, "code": "rdv",
                                                                         "slot": _first_slot()})
    assert refused.status_code == 422 and refused.json()["errors"] == {"decideurs": "Une réponse est obligatoire."}
    sunday = "2026-11-29T14:00:00+01:00/2026-11-29T16:00:00+01:00"
    refused = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {**SHEET, "code": "rdv", "slot": sunday})
    assert refused.status_code == 422 and "ne se déplace pas ce jour-là" in refused.json()["errors"]["slot"]
    with desk.sessions() as session:
        assert session.scalars(select(Appointment)).all() == []
        assert session.get_one(Attempt, desk.attempt_id).disposition == ""


def test_a_callback_is_booked_only_at_an_offered_moment_and_kept_for_the_agent(desk: Desk) -> None:
    lunch = datetime(2026, 11, 25, 13, 15).isoformat() + "+01:00"  # the lunch break of D. 223-9
    refused: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {"code": "callback", "callback_at": lunch})
    assert refused.status_code == 422 and "choisissez-en un dans la liste" in refused.json()["message"]
    tomorrow = (NOW + timedelta(days=1)).replace(hour=10).isoformat()  # 11:00 Paris
    booked: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose",
                            {"code": "callback", "callback_at": tomorrow, "note": "Rappeler après 11 h"})
    assert booked.json()["message"] == "Rappel enregistré."
    with desk.sessions() as session:
        callback = session.scalars(select(Callback)).one()
        assert (callback.agent, callback.note, callback.status) == ("marie", "Rappeler après 11 h", "pending")
    assert "Rappeler après 11 h" in desk.client.get("/agent").text  # listed under "Mes rappels" once qualified


def test_an_objection_hangs_up_first_then_blocks_the_number_for_the_client(desk: Desk) -> None:
    done: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {"code": "objection"})
    assert done.json()["ok"]
    assert _kinds(desk) == ["hangup", "wrapped"]
    with desk.sessions() as session:
        assert CALLED in set(session.scalars(select(DoNotCall.e164)))
        assert session.get_one(Lead, desk.lead_id).status == "dnc"


def test_do_not_call_is_one_action(desk: Desk) -> None:
    done: Any = desk.post(f"/agent/call/{desk.attempt_id}/dispose", {"code": "do_not_call"})
    assert done.json()["message"] == "Ce numéro ne sera plus appelé pour ce client."
    assert _kinds(desk) == ["wrapped"]  # the agent ends the conversation politely; no hang-up forced
    with desk.sessions() as session:
        assert session.get_one(Lead, desk.lead_id).status == "dnc"
        assert session.get_one(Attempt, desk.attempt_id).disposition == "do_not_call"


def test_the_pickers_offer_only_slots_the_client_accepts_and_lawful_callback_moments(desk: Desk) -> None:
    offers: Any = desk.client.get(f"/agent/call/{desk.attempt_id}/offers").json()
    assert 'label="mercredi 25 novembre 2026"' in offers["slots"]  # Tuesday 11:00 + a day's notice
    assert "mer. 25 nov. · 14:00–16:00" in offers["slots"] and "· 12:00–14:00" not in offers["slots"]
    assert 'label="dimanche' not in offers["slots"]
    assert 'value="2026-11-24T11:15:00+01:00"' in offers["callbacks"]  # a quarter of an hour from now
    assert "T13:00:00+01:00" not in offers["callbacks"] and "T19:00:00+01:00" not in offers["callbacks"]
    assert 'label="samedi' not in offers["callbacks"]  # fr-consumer: weekdays only
    login_as(desk, "paul")
    assert desk.client.get(f"/agent/call/{desk.attempt_id}/offers").status_code == 404
