"""The back office's people pages, in process on SQLite and PostgreSQL: clients, client accounts, teleoperators,
supervisors; each refusal in place with nothing stored, each change audited without a password."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from campaigns import store
from campaigns.models import Client
from campaigns.retention import retention_of
from config.audit import AuditEntry, verify
from dialer.desk_models import AgentCommand
from dialer.models import AgentRecord
from rdv.cli import app
from rdv.cli.common import console
from rdv.web import accounts
from rdv.web.models import User, WebSession, campaigns_of, user_by_login
from tests.rdv.service_harness import MONDAY_3PM
from tests.web.conftest import client_login, post_login

MakeUser = Callable[..., tuple[str, str]]


@pytest.fixture
def sup(asgi_client: TestClient, make_user: MakeUser) -> tuple[TestClient, str]:
    """The test client logged in as a supervisor, and its CSRF token."""
    login, password = make_user("supervisor", login="chef")
    return asgi_client, client_login(asgi_client, login, password)


@pytest.fixture
def two_campaigns(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions.begin() as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.fr"])
        first = store.create_campaign(session, "Toitures Lyon", "Charpentes Martin")
        second = store.create_campaign(session, "Toitures Nord", "Charpentes Martin")
        return first.id, second.id


def _post(sup: tuple[TestClient, str], path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    client, token = sup
    return client.post(path, data={**data, "csrf_token": token})


def _password(html: str) -> str:
    found = re.search(r"<code class=\"password\" data-password>([^<]+)</code>", html)
    assert found, "no password shown"
    return found.group(1)


def _audit(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _user_id(sessions: sessionmaker[Session], login: str) -> int:
    with sessions() as session:
        user = user_by_login(session, login)
        assert user is not None
        return user.id


# ----------------------------------------------------------------------------------------------------- clients


def test_a_supervisor_creates_a_client_with_its_legal_fields_and_retention(sup, sessions) -> None:  # type: ignore[no-untyped-def]
    answer = _post(sup, "/admin/clients", {"name": "Isolation Ouest", "legal_name": "Isolation Ouest SAS",
                                           "siren": "123456789", "address": "3 rue du Port, 44000 Nantes",
                                           "emails": "rdv@iso-ouest.fr; chef@iso-ouest.fr", "prospect_years": "2",
                                           "records_years": "5"})  # fmt: skip
    assert answer.status_code == 200
    assert "Client Isolation Ouest créé." in answer.text
    with sessions() as session:
        client = store.get_client(session, "Isolation Ouest")
        assert (client.legal_name, client.siren, client.emails) == ("Isolation Ouest SAS", "123456789",
                                                                   ["rdv@iso-ouest.fr", "chef@iso-ouest.fr"])
        assert (retention_of(session, client.id).prospect_years, retention_of(session, client.id).records) == (2, 5)
        assert verify(session).breaks == []
    (entry,) = _audit(sessions)
    assert (entry.who, entry.role, entry.action, entry.target, entry.detail) == (
        "chef", "supervisor", "change", f"client {client.id}", "created")


def test_a_duplicate_client_or_a_bad_address_is_refused_in_place_and_nothing_is_stored(sup, sessions,  # type: ignore[no-untyped-def]
                                                                                      two_campaigns) -> None:
    answer = _post(sup, "/admin/clients", {"name": "charpentes martin", "emails": ""})
    assert answer.status_code == 422
    assert 'id="name-error"' in answer.text and "Un client nommé charpentes martin existe déjà" in answer.text
    answer = _post(sup, "/admin/clients", {"name": "Neuf", "emails": "pas-une-adresse", "prospect_years": "2"})
    assert answer.status_code == 422
    assert 'id="emails-error"' in answer.text and "pas-une-adresse" in answer.text
    assert 'value="Neuf"' in answer.text  # what was typed stays in the form
    answer = _post(sup, "/admin/clients", {"name": "Neuf", "prospect_years": "99"})
    assert answer.status_code == 422 and "99" in answer.text
    with sessions() as session:
        assert [c.name for c in store.list_clients(session)] == ["Charpentes Martin"]
    assert _audit(sessions) == []


def test_editing_a_client_changes_its_fields_and_audits_which(sup, sessions, two_campaigns) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        client_id = store.get_client(session, "Charpentes Martin").id
    page = sup[0].get(f"/admin/clients/{client_id}")
    assert page.status_code == 200 and 'value="rdv@charpentes-martin.fr"' in page.text
    answer = _post(sup, f"/admin/clients/{client_id}", {"name": "Charpentes Martin", "legal_name": "CM SARL",
                                                        "emails": "rdv@charpentes-martin.fr", "prospect_years": "3",
                                                        "records_years": "10"})  # fmt: skip
    assert answer.status_code == 200 and "Client enregistré." in answer.text
    with sessions() as session:
        client = session.get_one(Client, client_id)
        assert client.legal_name == "CM SARL" and retention_of(session, client_id).records == 10
    assert [e.detail for e in _audit(sessions)] == ["changed: legal_name, retention"]
    assert sup[0].get("/admin/clients/999999").status_code == 404


# ------------------------------------------------------------------------------------------------ client users


def test_a_client_account_is_bound_to_its_client_and_its_password_shown_once(sup, sessions, two_campaigns,  # type: ignore[no-untyped-def]
                                                                             asgi_client) -> None:
    with sessions() as session:
        client_id = store.get_client(session, "Charpentes Martin").id
    answer = _post(sup, f"/admin/clients/{client_id}/users", {"login": "martin.rdv", "name": "M. Martin"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    password = _password(answer.text)
    with sessions() as session:
        user = user_by_login(session, "martin.rdv")
        assert user is not None and (user.role, user.client_id) == ("client", client_id)
    assert password not in sup[0].get(f"/admin/clients/{client_id}").text
    assert all(password not in e.detail + e.target for e in _audit(sessions))
    again = _post(sup, f"/admin/clients/{client_id}/users", {"login": "martin.rdv"})
    assert again.status_code == 422
    assert 'id="new-login-error"' in again.text and "L'identifiant martin.rdv est déjà pris" in unescape(again.text)
    asgi_client.cookies.clear()
    assert post_login(asgi_client, "martin.rdv", password).headers["location"] == "/"


# ---------------------------------------------------------------------------------------------- teleoperators


def test_a_teleoperator_is_created_with_a_phone_and_campaigns(sup, sessions, two_campaigns) -> None:  # type: ignore[no-untyped-def]
    first, second = two_campaigns
    answer = _post(sup, "/admin/people", {"login": "agent7", "role": "teleoperator", "name": "Julie",
                                          "phone": "PJSIP/1007", "campaigns": [str(first), str(second)]})
    assert answer.status_code == 200, answer.text[-800:]
    assert _password(answer.text)
    with sessions() as session:
        user = user_by_login(session, "agent7")
        assert user is not None and (user.phone, user.display_name) == ("PJSIP/1007", "Julie")
        assert campaigns_of(session, user.id) == [first, second]
    (entry,) = _audit(sessions)
    assert entry.detail == f"created teleoperator account, phone PJSIP/1007, campaigns {[first, second]}"


@pytest.mark.parametrize(("form", "field", "words"), [
    ({"phone": "1007"}, "phone", "Poste invalide 1007"),
    ({"login": "Agent Sept"}, "login", "Identifiant invalide Agent Sept"),
    ({"role": "client", "client": "Inconnu SA"}, "client", "Client inconnu : Inconnu SA"),
    ({"role": "client"}, "client", "choisissez-le"),
    ({"campaigns": ["424242"]}, "campaigns", "n'existe plus"),
])
def test_a_bad_account_form_shows_its_error_at_the_field_and_stores_nothing(sup, sessions, two_campaigns,  # type: ignore[no-untyped-def]
                                                                             form, field, words) -> None:
    answer = _post(sup, "/admin/people", {"login": "agent8", "role": "teleoperator", "phone": "PJSIP/1008", **form})
    assert answer.status_code == 422
    error = re.search(rf'<span id="{field}-error" class="field-error" role="alert">([^<]+)</span>', answer.text)
    assert error, answer.text[-1500:]
    assert words in unescape(error.group(1))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1  # the supervisor alone
    assert _audit(sessions) == []


def test_editing_a_teleoperator_changes_phone_and_campaigns_or_refuses_a_bad_phone(sup, sessions,  # type: ignore[no-untyped-def]
                                                                                  two_campaigns) -> None:
    first, second = two_campaigns
    with sessions.begin() as session:
        accounts.add_user(session, "agent9", "teleoperator", MONDAY_3PM, phone="PJSIP/1009",
                          campaigns=["Toitures Lyon"])
    user_id = _user_id(sessions, "agent9")
    bad = _post(sup, f"/admin/people/{user_id}", {"name": "Paul", "phone": "PJSIP 1009", "campaigns": [str(second)]})
    assert bad.status_code == 422 and 'id="phone-error"' in bad.text
    with sessions() as session:
        assert session.get_one(User, user_id).phone == "PJSIP/1009" and campaigns_of(session, user_id) == [first]
    good = _post(sup, f"/admin/people/{user_id}", {"name": "Paul", "phone": "Local/9@agents",
                                                   "campaigns": [str(second)]})
    assert good.status_code == 200
    with sessions() as session:
        user = session.get_one(User, user_id)
        assert (user.display_name, user.phone, campaigns_of(session, user_id)) == ("Paul", "Local/9@agents", [second])
    assert [e.detail for e in _audit(sessions)] == [f"changed: name, phone, campaigns; campaigns {[second]}"]


def test_a_teleoperator_disabled_mid_session_loses_it_and_cannot_log_in(sup, sessions, make_user,  # type: ignore[no-untyped-def]
                                                                         web_app) -> None:
    login, password = make_user("teleoperator", phone="PJSIP/1010")
    with TestClient(web_app, follow_redirects=False) as agent:
        client_login(agent, login, password)
        assert agent.get("/").status_code in (200, 303)
        user_id = _user_id(sessions, login)
        assert _post(sup, f"/admin/people/{user_id}/active", {"active": "0"}).status_code == 200
        assert agent.get("/agent", headers={"accept": "text/html"}).headers["location"].startswith("/login")
        assert post_login(agent, login, password).status_code == 401
    with sessions() as session:
        assert not session.get_one(User, user_id).active
        assert session.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id)) == 0
    assert _audit(sessions)[-1].detail == "disabled; sessions ended"
    assert _post(sup, f"/admin/people/{user_id}/active", {"active": "1"}).status_code == 200
    with sessions() as session:
        assert session.get_one(User, user_id).active


def test_disabling_a_teleoperator_the_dialer_has_logged_in_logs_them_out_of_it(
        sup, sessions, make_user, two_campaigns) -> None:  # type: ignore[no-untyped-def]
    working, _password1 = make_user("teleoperator", login="julie", phone="PJSIP/1011")
    away, _password2 = make_user("teleoperator", login="paul", phone="PJSIP/1012")
    with sessions.begin() as session:
        session.add(AgentRecord(login=working, campaign_id=two_campaigns[0], state="available", since=MONDAY_3PM))
        session.add(AgentRecord(login=away, campaign_id=two_campaigns[0], state="logged_out", since=MONDAY_3PM))
    for login in (working, away):
        assert _post(sup, f"/admin/people/{_user_id(sessions, login)}/active", {"active": "0"}).status_code == 200
    with sessions() as session:
        sent = session.execute(select(AgentCommand.login, AgentCommand.kind, AgentCommand.sent_by,
                                      AgentCommand.campaign_id)).all()  # fmt: skip
    # The queue stops handing calls to julie at once; paul was not logged in: nothing to send.
    assert sent == [(working, "logout", "chef", two_campaigns[0])]


def test_the_last_active_supervisor_cannot_be_disabled_and_the_page_says_why(sup, sessions, make_user) -> None:  # type: ignore[no-untyped-def]
    me = _user_id(sessions, "chef")
    answer = _post(sup, f"/admin/people/{me}/active", {"active": "0"})
    assert answer.status_code == 409 and "dernier superviseur actif" in answer.text
    with sessions() as session:
        assert session.get_one(User, me).active
    other, _password_ = make_user("supervisor")
    assert "chef" in sup[0].get("/admin/people").text and other in sup[0].get("/admin/people").text
    assert _post(sup, f"/admin/people/{_user_id(sessions, other)}/active", {"active": "0"}).status_code == 200
    assert _post(sup, f"/admin/people/{me}/active", {"active": "0"}).status_code == 409


def test_a_password_reset_is_shown_once_and_ends_sessions_and_logout_everywhere_too(sup, sessions, make_user,  # type: ignore[no-untyped-def]
                                                                                   web_app) -> None:
    login, password = make_user("teleoperator")
    user_id = _user_id(sessions, login)
    with TestClient(web_app, follow_redirects=False) as agent:
        client_login(agent, login, password)
        answer = _post(sup, f"/admin/people/{user_id}/password", {})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        fresh = _password(answer.text)
        assert post_login(agent, login, password).status_code == 401
        client_login(agent, login, fresh)
        ended = _post(sup, f"/admin/people/{user_id}/logout", {})
        assert "1 session terminée." in ended.text
        assert agent.get("/agent", headers={"accept": "text/html"}).status_code == 303
    details = [e.detail for e in _audit(sessions)]
    assert details == ["password reset; sessions ended", "logged out everywhere (1 sessions)"]
    assert all(fresh not in d for d in details)


def test_other_roles_cannot_reach_the_back_office(asgi_client, make_user, sessions) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("teleoperator")
    token = client_login(asgi_client, login, password)
    assert asgi_client.get("/admin/people").status_code == 403
    assert asgi_client.get(f"/admin/people/{_user_id(sessions, login)}").status_code == 404
    answer = asgi_client.post("/admin/people", data={"login": "intrus", "role": "supervisor", "csrf_token": token})
    assert answer.status_code == 403
    with sessions() as session:
        assert user_by_login(session, "intrus") is None


def test_the_cli_refuses_to_disable_the_last_active_supervisor_too(database_url: str, tmp_path, monkeypatch,  # type: ignore[no-untyped-def]
                                                                    make_user) -> None:
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    login, _password_ = make_user("supervisor")
    result = CliRunner().invoke(app, ["user", "disable", login])
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("Erreur : C'est le dernier superviseur actif :")
    assert result.output.strip().count("\n") == 0


def test_a_teleoperators_phone_server_is_chosen_among_the_configured_servers(sup, sessions, web_app) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from config.servers import ServerSettings

    application = web_app.state.rdv
    application.settings = replace(application.settings, servers=(ServerSettings("pbx1", "10.0.0.21"),
                                                                   ServerSettings("pbx2", "10.0.0.22")))
    with sessions.begin() as session:
        accounts.add_user(session, "agent7", "teleoperator", MONDAY_3PM, phone="PJSIP/1007")
    user_id = _user_id(sessions, "agent7")
    client, _token = sup
    page = client.get(f"/admin/people/{user_id}").text
    assert '<select id="phone_server" name="phone_server"' in page and '<option value="pbx2">pbx2</option>' in page
    bad = _post(sup, f"/admin/people/{user_id}", {"name": "", "phone": "PJSIP/1007", "phone_server": "pbx9"})
    assert bad.status_code == 422 and 'id="phone_server-error"' in bad.text
    assert "Serveur Asterisk inconnu pbx9" in unescape(bad.text)
    good = _post(sup, f"/admin/people/{user_id}", {"name": "", "phone": "PJSIP/1007", "phone_server": "pbx2"})
    assert good.status_code == 200 and '<option value="pbx2" selected>' in good.text
    with sessions() as session:
        assert session.get_one(User, user_id).phone_server == "pbx2"
    assert [e.detail for e in _audit(sessions)] == ["changed: phone server"]


def test_with_one_configured_server_the_phone_server_defaults_to_it(sup, sessions, web_app) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from config.servers import ServerSettings

    application = web_app.state.rdv
    application.settings = replace(application.settings, servers=(ServerSettings("pbx1", "10.0.0.21"),))
    with sessions.begin() as session:
        accounts.add_user(session, "agent8", "teleoperator", MONDAY_3PM)
    client, _token = sup
    page = client.get(f"/admin/people/{_user_id(sessions, 'agent8')}").text
    select = page.split('<select id="phone_server"')[1].split("</select>")[0]
    assert '<option value="pbx1" selected>pbx1</option>' in select and 'value=""' not in select


def test_a_new_teleoperator_is_created_on_the_server_chosen_or_the_only_one(sup, sessions, web_app) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from config.servers import ServerSettings

    application = web_app.state.rdv
    two = (ServerSettings("pbx1", "10.0.0.21"), ServerSettings("pbx2", "10.0.0.22"))
    application.settings = replace(application.settings, servers=two)
    client, _token = sup
    form = client.get("/admin/people").text.split('id="new-person"')[1].split("</form>")[0]
    assert '<select id="phone_server" name="phone_server"' in form and '<option value="pbx2">pbx2</option>' in form
    fields = {"login": "agent21", "role": "teleoperator", "phone": "PJSIP/1021"}
    bad = _post(sup, "/admin/people", {**fields, "phone_server": "pbx9"})
    assert bad.status_code == 422 and "Serveur Asterisk inconnu pbx9" in unescape(bad.text)
    assert 'value="agent21"' in bad.text, "what was typed stays"
    with sessions() as session:
        assert session.scalar(select(User).where(User.login == "agent21")) is None, "nothing stored"
    assert _post(sup, "/admin/people", {**fields, "phone_server": "pbx2"}).status_code == 200
    application.settings = replace(application.settings, servers=two[:1])
    form = client.get("/admin/people").text.split('id="new-person"')[1].split("</form>")[0]
    assert "phone_server" not in form, "one server: nothing to choose"
    assert _post(sup, "/admin/people", {**fields, "login": "agent22"}).status_code == 200
    with sessions() as session:
        assert session.get_one(User, _user_id(sessions, "agent21")).phone_server == "pbx2"
        assert session.get_one(User, _user_id(sessions, "agent22")).phone_server == "pbx1"
    assert "on server pbx2" in " ".join(e.detail for e in _audit(sessions))
