"""The console's pages in process: who may open them, what they show, and controls with the CLI's rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt, Campaign
from config.orm import transaction
from dialer.desk_models import AgentCommand, CallPop
from dialer.models import AgentRecord
from rdv.live_models import CampaignLive
from tests.campaigns.factories import campaign, leads
from tests.web.conftest import client_login

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def floor_data(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A campaign with a dialer's live row, two agents, and alice on a call: (campaign id, attempt id)."""
    with transaction(sessions) as session:
        made = campaign(session, settings={"abandonment_target": "2%"})
        made.status = "running"
        lead = leads(session, made.id, 1, first_name="Jeanne", last_name="Durand", postcode="31000",
                     city="Toulouse")[0]  # fmt: skip
        attempt = Attempt(campaign_id=made.id, lead_id=lead.id, attempt_no=1, phone_e164=lead.phone_e164,
                          callee_tz="Europe/Paris", action_id="c1", state="connected", created_at=NOW,
                          connected_at=NOW, agent="alice")  # fmt: skip
        session.add(attempt)
        session.flush()
        session.add_all([
            AgentRecord(login="alice", display_name="Alice Martin", campaign_id=made.id, state="on_call",
                        since=NOW, call_id="c1"),
            AgentRecord(login="bob", display_name="Bob Petit", campaign_id=made.id, state="paused",
                        pause_reason="lunch", since=NOW),
            CallPop(login="alice", attempt_id=attempt.id, lead_id=lead.id, campaign_id=made.id, call_id="c1",
                    phone_e164=lead.phone_e164, connected_at=NOW),
            CampaignLive(campaign_id=made.id, dialer_id="main", ringing=7, queued=2, talking=1, dial_level=3.5,
                         pacing_mode="predictive", abandon_target=0.02, dialing="running", dials_today=1234,
                         resolved_today=1200, answered_today=290, humans_today=300, dropped_today=9,
                         humans_30d=4000, dropped_30d=80, updated_at=NOW),
        ])  # fmt: skip
        return made.id, attempt.id


def _as(client: TestClient, make_user: Callable[..., tuple[str, str]], role: str, **options: str) -> str:
    return client_login(client, *make_user(role, **options))


def test_the_console_shows_the_live_figures_and_each_agent(asgi_client: TestClient, make_user: Callable[
        ..., tuple[str, str]], floor_data: tuple[int, int]) -> None:
    cid, _attempt = floor_data
    _as(asgi_client, make_user, "supervisor")
    listing = asgi_client.get("/console")
    assert listing.status_code == 200 and "Toitures" in listing.text and "1\u202f234" in listing.text
    page = asgi_client.get(f"/console/{cid}")
    assert page.status_code == 200
    html = page.text
    assert 'data-figure="ringing">7<' in html and 'data-figure="queued">2<' in html
    assert "3,0\u00a0%" in html and "/ 2,0\u00a0%" in html, "abandonment today against the target"
    assert "Alice Martin" in html and "En appel" in html and "En pause : Déjeuner" in html
    assert 'value="2 %"' in html or 'value="2\u00a0%"' in html or 'value="2%"' in html


def test_the_console_says_when_the_trunk_holds_a_campaign_back(
        asgi_client: TestClient, make_user: Callable[..., tuple[str, str]], floor_data: tuple[int, int],
        sessions: sessionmaker[Session]) -> None:
    cid, _attempt = floor_data
    _as(asgi_client, make_user, "supervisor")
    assert "tous les canaux du trunk sont occupés" not in unescape(asgi_client.get("/console").text)
    with transaction(sessions) as session:
        session.get_one(CampaignLive, (cid, "main")).dialing = "trunk_full"
    listing = unescape(asgi_client.get("/console").text)
    assert "en appel, freinée : tous les canaux du trunk sont occupés" in listing
    assert "en appel, freinée" in unescape(asgi_client.get(f"/console/{cid}").text)


def test_only_supervisors_open_the_console(asgi_client: TestClient, make_user: Callable[..., tuple[str, str]],
                                           floor_data: tuple[int, int]) -> None:
    cid, _attempt = floor_data
    _as(asgi_client, make_user, "teleoperator")
    assert asgi_client.get("/console").status_code == 403
    assert asgi_client.get(f"/console/{cid}").status_code == 404
    assert asgi_client.get(f"/console/{cid}/agents/alice").status_code == 404


def test_a_bad_target_is_refused_in_place_and_a_good_one_is_stored(
        asgi_client: TestClient, make_user: Callable[..., tuple[str, str]], floor_data: tuple[int, int],
        sessions: sessionmaker[Session]) -> None:
    cid, _attempt = floor_data
    token = _as(asgi_client, make_user, "supervisor")
    refused = asgi_client.post(f"/console/{cid}/settings", data={"key": "abandonment_target", "value": "150 %",
                                                                 "csrf_token": token}, headers={"X-Rdv-Fragment": "1"})
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "ne peut pas valoir 150 %" in refused.text
    assert 'value="150 %"' in refused.text, "what was typed stays in the field"
    with sessions() as session:
        assert session.get_one(Campaign, cid).settings["abandonment_target"] == "2%"
    saved = asgi_client.post(f"/console/{cid}/settings", data={"key": "abandonment_target", "value": "2,5 %",
                                                               "csrf_token": token}, headers={"X-Rdv-Fragment": "1"})
    assert saved.status_code == 200 and "Réglage enregistré" in saved.text
    with sessions() as session:
        assert session.get_one(Campaign, cid).settings["abandonment_target"] == "2.5%"
    other = asgi_client.post(f"/console/{cid}/settings", data={"key": "max_attempts", "value": "3",
                                                               "csrf_token": token})  # fmt: skip
    assert other.status_code == 422


def test_pause_and_stop_use_the_campaign_services_and_need_the_csrf_token(
        asgi_client: TestClient, make_user: Callable[..., tuple[str, str]], floor_data: tuple[int, int],
        sessions: sessionmaker[Session]) -> None:
    cid, _attempt = floor_data
    token = _as(asgi_client, make_user, "supervisor")
    assert asgi_client.post(f"/console/{cid}/status", data={"action": "pause"}).status_code == 403
    paused = asgi_client.post(f"/console/{cid}/status", data={"action": "pause", "csrf_token": token})
    assert paused.status_code == 200 and "Campagne mise en pause" in paused.text
    with sessions() as session:
        assert session.get_one(Campaign, cid).status == "paused"
    asgi_client.post(f"/console/{cid}/status", data={"action": "stop", "csrf_token": token})
    with sessions() as session:
        assert session.get_one(Campaign, cid).status == "stopped"


def test_a_supervisor_listens_to_an_agent_s_call_from_their_own_phone(
        asgi_client: TestClient, make_user: Callable[..., tuple[str, str]], floor_data: tuple[int, int],
        sessions: sessionmaker[Session]) -> None:
    cid, _attempt = floor_data
    login, password = make_user("supervisor", phone="PJSIP/2001")
    token = client_login(asgi_client, login, password)
    page = asgi_client.get(f"/console/{cid}/agents/alice")
    assert page.status_code == 200 and "Jeanne" in page.text and "Écouter" in page.text
    assert "+33610000000" not in page.text, "the number called is masked"
    assert asgi_client.get(f"/console/{cid}/agents/nobody").status_code == 404
    sent = asgi_client.post(f"/console/{cid}/agents/alice/listen", data={"csrf_token": token})
    assert sent.status_code == 303
    with sessions() as session:
        command = session.scalars(select(AgentCommand)).one()
    assert (command.login, command.kind, command.args["agent_login"]) == ("alice", "listen", "alice")
    assert command.sent_by == login and command.campaign_id == cid
    not_on_call = asgi_client.post(f"/console/{cid}/agents/bob/whisper", data={"csrf_token": token})
    assert not_on_call.status_code == 409 and "n'est pas en appel" in unescape(not_on_call.text)
