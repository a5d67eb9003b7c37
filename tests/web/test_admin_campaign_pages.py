"""The back office's campaign and script pages in process (SQLite and PostgreSQL): the settings form from the
registry, errors in place with nothing stored, the check before the start, script versions and RDVs."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from html import unescape

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.appointment_services import book_appointment
from campaigns.appointments import Appointment, CampaignScriptVersion
from campaigns.models import Campaign
from campaigns.script_versions import script_toml
from config.orm import transaction
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, NOW, SAMPLE, add_attempt, add_lead, seed_campaign, slot
from tests.web.conftest import client_login, csrf_of

MakeUser = Callable[..., tuple[str, str]]


def _supervisor(client: TestClient, make_user: MakeUser) -> str:
    return client_login(client, *make_user("supervisor"))


def _post(client: TestClient, url: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get(url if "/status" not in url else url.rsplit("/", 1)[0]).text)
    return client.post(url, data={**data, "csrf_token": token})


def _error(html: str, key: str) -> str:
    found = re.search(rf'id="s-{key}-error"[^>]*>([^<]*)<', html)
    return unescape(found.group(1)) if found else ""


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def client_name(sessions: sessionmaker[Session]) -> str:
    with transaction(sessions) as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.fr"])
    return "Charpentes Martin"


def test_the_new_campaign_form_is_the_registry_with_the_profiles_defaults(
        asgi_client: TestClient, make_user: MakeUser, client_name: str) -> None:
    _supervisor(asgi_client, make_user)
    html = unescape(asgi_client.get("/admin/campaigns/new").text)
    assert "Tentatives d'appel par fiche avant épuisement" in html, "the registry's help is the label"
    assert "Jours et heures d'appel" in html and "Enregistrement des appels" in html, "grouped"
    assert 'value="10:00–13:00, 14:00–19:00"' in html, "fr-consumer starts within its lawful hours"
    assert "défaut pour ce profil : 10:00–13:00, 14:00–19:00" in html
    assert '<option value="predictive" selected>prédictif</option>' in html


def test_a_bad_value_is_shown_in_place_and_no_campaign_is_created(
        asgi_client: TestClient, make_user: MakeUser, client_name: str, sessions: sessionmaker[Session]) -> None:
    _supervisor(asgi_client, make_user)
    form = {"name": "Toitures Sud", "client": client_name, "profile": "fr-consumer", "timezone": "Europe/Paris",
            "max_attempts": "0", "retry_busy": "20m"}
    refused = _post(asgi_client, "/admin/campaigns/new", form)
    assert refused.status_code == 422
    html = refused.text
    assert "max_attempts" in _error(html, "max_attempts") and "0" in _error(html, "max_attempts")
    assert not _error(html, "retry_busy")
    assert 'name="max_attempts" value="0"' in html and 'name="retry_busy" value="20m"' in html, "kept as typed"
    assert _count(sessions, Campaign) == 0
    made = _post(asgi_client, "/admin/campaigns/new", {**form, "max_attempts": "4"})
    assert made.status_code == 303
    with sessions() as session:
        campaign = store.get_campaign(session, "Toitures Sud")
        assert campaign.settings == {"weekday_windows": "10:00–13:00, 14:00–19:00", "max_attempts": "4",
                                     "retry_busy": "20m"}


def test_editing_refuses_the_whole_form_on_one_bad_value(
        asgi_client: TestClient, make_user: MakeUser, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cid = seed_campaign(session).id
    _supervisor(asgi_client, make_user)
    url = f"/admin/campaigns/{cid}"
    refused = _post(asgi_client, url, {"max_attempts": "3", "abandonment_target": "banane", "timezone": "Mars/Base"})
    assert refused.status_code == 422
    html = refused.text
    assert "banane" in _error(html, "abandonment_target") and 'id="timezone-error"' in html
    assert "Rien n'a été enregistré" in unescape(html)
    with sessions() as session:
        campaign = session.get_one(Campaign, cid)
        assert "max_attempts" not in (campaign.settings or {}) and campaign.timezone == "Europe/Paris"
    saved = _post(asgi_client, url, {"max_attempts": "3", "abandonment_target": "2%"})
    assert saved.status_code == 303
    with sessions() as session:
        stored = session.get_one(Campaign, cid).settings or {}
        assert stored["max_attempts"] == "3" and stored["abandonment_target"] == "2%"


def test_the_check_is_shown_and_a_blocking_conflict_refuses_the_start(
        asgi_client: TestClient, make_user: MakeUser, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        campaign = seed_campaign(session)
        cid = campaign.id
        campaign.settings = {**(campaign.settings or {}), "weekday_windows": "07:00-08:00"}
    _supervisor(asgi_client, make_user)
    html = unescape(asgi_client.get(f"/admin/campaigns/{cid}").text)
    assert "Empêche le démarrage : Il ne reste aucun moment pour appeler Europe/Paris" in html
    refused = _post(asgi_client, f"/admin/campaigns/{cid}/status", {"action": "start"})
    assert refused.status_code == 409
    with sessions() as session:
        assert session.get_one(Campaign, cid).status == "draft"
    _post(asgi_client, f"/admin/campaigns/{cid}", {"weekday_windows": "10:00–13:00, 14:00–19:00"})
    html = unescape(asgi_client.get(f"/admin/campaigns/{cid}").text)
    assert "Empêche le démarrage" not in html
    assert "<li class=\"notice\" data-warning>20 tentatives ne tiennent pas" in html, "a warning, in plain words"
    started = _post(asgi_client, f"/admin/campaigns/{cid}/status", {"action": "start"})
    assert started.status_code == 303
    with sessions() as session:
        assert session.get_one(Campaign, cid).status == "running"
    assert _post(asgi_client, f"/admin/campaigns/{cid}/status", {"action": "pause"}).status_code == 303
    with sessions() as session:
        assert session.get_one(Campaign, cid).status == "paused"


def test_a_new_script_version_leaves_an_old_rdv_on_its_own(
        asgi_client: TestClient, make_user: MakeUser, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        campaign = seed_campaign(session)
        cid = campaign.id
        attempt = add_attempt(session, add_lead(session, campaign, 1), NOW)
        rdv = book_appointment(session, attempt_id=attempt.id, slot=slot(25, 14), answers=CONFORM_ANSWERS,
                               agent="agent7", now=NOW).id
    _supervisor(asgi_client, make_user)
    url = f"/admin/campaigns/{cid}/script"
    text = asgi_client.get(url).text
    assert "Prise de RDV Charpente" in text and "version 1" in text
    broken_toml = _post(asgi_client, url, {"text": '[campaign]\nname = "X\n'})
    assert broken_toml.status_code == 422 and "web.toml, ligne 2, colonne 10" in unescape(broken_toml.text)
    good = script_toml(tomllib.loads(SAMPLE.read_text(encoding="utf-8")))
    broken_question = good.replace('type = "yes_no"', 'type = "peut-être"', 1)
    refused = _post(asgi_client, url, {"text": broken_question})
    assert refused.status_code == 422
    assert "web.toml : questions[0].type : type peut-être inconnu" in unescape(refused.text)
    assert _count(sessions, CampaignScriptVersion) == 1, "nothing stored"
    saved = _post(asgi_client, url, {"text": good.replace("Prise de RDV Charpente", "Charpente v2", 1)})
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=2")
    with sessions() as session:
        assert session.get_one(Appointment, rdv).script_version == 1
        assert session.scalar(select(func.max(CampaignScriptVersion.version))) == 2
    listed = asgi_client.get(url).text
    assert re.findall(r"<td data-taken>(\d+)</td>", listed) == ["0", "1"], "v2 none yet, v1 the old RDV"
    old = unescape(asgi_client.get(f"{url}/1").text)
    assert "Prise de RDV Charpente · version 1" in old and "la version en service est la version 2" in old
    assert asgi_client.get(f"{url}/3").status_code == 404


def test_only_supervisors_reach_the_back_office(
        asgi_client: TestClient, make_user: MakeUser, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cid = seed_campaign(session).id
    client_login(asgi_client, *make_user("teleoperator"))
    assert asgi_client.get("/admin/campaigns").status_code == 403
    assert asgi_client.get(f"/admin/campaigns/{cid}").status_code == 404
    assert asgi_client.get(f"/admin/campaigns/{cid}/script/1").status_code == 404


def test_every_group_of_the_registry_has_a_title_on_the_form() -> None:
    # A setting added to the registry in a new group must not break the campaign form.
    from campaigns.settings import SPECS
    from rdv.web.admin_campaigns_view import GROUP_TITLES

    assert {spec.group for spec in SPECS} <= set(GROUP_TITLES)
