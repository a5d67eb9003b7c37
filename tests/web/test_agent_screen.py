"""The agent screen in process: what the pop shows, what each action queues for the dialer, who sees what."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dialer.desk_models import AgentCommand
from tests.web.agent_helpers import CALLED, Desk, login_as, open_desk


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(database_url, tmp_path)



def _commands(desk: Desk) -> list[tuple[str, str, dict[str, Any]]]:
    with desk.sessions() as session:
        return [(c.login, c.kind, c.args) for c in session.scalars(select(AgentCommand).order_by(AgentCommand.id))]


def test_the_pop_shows_the_lead_its_phones_history_and_script_in_french(desk: Desk) -> None:
    page = desk.client.get("/agent").text
    assert "Mme Isabelle Lucas" in page
    assert "06 12 34 56 78" in page and "en cours d&#39;appel" in page  # the number called, in clear
    assert "+33 4** ** ** 34" in page and "04 78 90 12 34" not in page  # the other one, masked
    assert "69003 Lyon" in page and "<dd>69</dd>" in page  # département from the postcode
    assert "Année de construction" in page and "1914" in page  # custom fields of the file
    assert "Pas de réponse" in page  # yesterday's attempt in the history
    assert 'Bonjour Madame / Monsieur <strong class="field" data-field="nom">Lucas</strong>, ' \
           '<strong class="field" data-field="agent">Marie Curie</strong>' in page
    assert 'data-field="date" title="Absent de la fiche">[date\u00a0?]</span>' in page
    assert "Je n&#39;ai pas le temps / rappelez plus tard." in page  # an objection, escaped
    assert 'name="answer_surface_toiture"' in page and "de 10 à 2000\u00a0m²" in page
    assert "Rendez-vous pris" not in page  # the RDV is saved from the sheet, not a bare button
    assert "Refus <kbd>3</kbd>" in page and "Ne plus appeler <kbd>7</kbd>" in page


def test_a_teleoperator_logs_in_only_to_an_assigned_campaign(desk: Desk) -> None:
    answer = desk.post("/agent/command", {"kind": "login", "campaign_id": desk.other_campaign_id})
    assert answer.status_code == 404  # type: ignore[attr-defined]
    answer = desk.post("/agent/command", {"kind": "login", "campaign_id": desk.campaign_id})
    assert answer.json()["ok"]  # type: ignore[attr-defined]
    assert _commands(desk)[-1] == ("marie", "login", {"campaign_id": desk.campaign_id})


def test_pause_needs_one_of_the_pause_codes_and_ready_is_one_command(desk: Desk) -> None:
    refused = desk.post("/agent/command", {"kind": "pause", "reason": "sieste"})
    assert refused.status_code == 409 and refused.json()["message"] == "Choisissez un motif de pause."  # type: ignore[attr-defined]
    assert desk.post("/agent/command", {"kind": "pause", "reason": "lunch"}).json()["ok"]  # type: ignore[attr-defined]
    assert desk.post("/agent/command", {"kind": "ready"}).json()["ok"]  # type: ignore[attr-defined]
    assert [c[1:] for c in _commands(desk)] == [("pause", {"reason": "lunch"}), ("ready", {})]


def test_call_controls_go_to_the_dialer_only_for_the_agents_own_call(desk: Desk) -> None:
    assert desk.post(f"/agent/call/{desk.attempt_id}/control", {"kind": "hold"}).json()["ok"]  # type: ignore[attr-defined]
    assert desk.post(f"/agent/call/{desk.attempt_id}/control", {"kind": "hangup"}).json()["ok"]  # type: ignore[attr-defined]
    assert [c[1] for c in _commands(desk)] == ["hold", "hangup"]
    login_as(desk, "paul")
    assert desk.post(f"/agent/call/{desk.attempt_id}/control", {"kind": "hangup"}).status_code == 404  # type: ignore[attr-defined]
    assert desk.post(f"/agent/call/{desk.attempt_id}/check", {}).status_code == 404  # type: ignore[attr-defined]
    assert desk.post(f"/agent/call/{desk.attempt_id}/dispose", {"code": "refused"}).status_code == 404  # type: ignore[attr-defined]
    assert desk.client.get(f"/agent/lead/{desk.lead_id}").status_code == 404
    assert "Isabelle" not in desk.client.get("/agent").text


def test_the_lead_of_the_current_call_can_be_opened_and_no_other(desk: Desk) -> None:
    assert "Mme Isabelle Lucas" in desk.client.get(f"/agent/lead/{desk.lead_id}").text
    assert desk.client.get(f"/agent/lead/{desk.lead_id + 1000}").status_code == 404


def test_a_supervisor_or_a_client_cannot_open_the_agent_screen(desk: Desk) -> None:
    from rdv.web import accounts

    with desk.sessions.begin() as session:
        accounts.add_user(session, "chef", "supervisor", desk.clock.now())
    login_as(desk, "chef")
    assert desk.client.get("/agent").status_code == 403
    assert desk.client.get(f"/agent/lead/{desk.lead_id}").status_code == 404
    assert CALLED not in desk.client.get("/").text
