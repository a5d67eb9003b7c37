"""Security of the web foundation: CSRF, cookies, throttling, headers, sessions, visibility, logs, error pages."""

from __future__ import annotations

import html
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from config.settings import load_settings
from rdv.bootstrap import App
from rdv.web import accounts
from rdv.web.app import create_app
from tests.web.conftest import client_login, csrf_of, manual_clock, post_login, serve_in_thread

WRONG = "Identifiant ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives échouées : attendez une minute avant de réessayer."


# ------------------------------------------------------------------------------------------------------ CSRF


def test_a_post_without_the_csrf_token_is_refused_in_french(asgi_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("supervisor")
    client_login(asgi_client, login, password)
    answer = asgi_client.post("/logout-all")
    assert answer.status_code == 403
    assert "Formulaire expiré" in answer.text and "rechargez la page" in answer.text
    wrong = asgi_client.post("/logout-all", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    assert asgi_client.get("/").status_code == 200, "the refused requests changed nothing: still logged in"


def test_the_csrf_token_is_accepted_as_form_field_or_header(asgi_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("teleoperator")
    token = client_login(asgi_client, login, password)
    assert asgi_client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303
    token = client_login(asgi_client, login, password)
    assert asgi_client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_the_login_form_needs_its_pre_login_token(asgi_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("teleoperator")
    asgi_client.get("/login")
    forged = asgi_client.post("/login", data={"login": login, "password": password, "csrf_token": "x"})
    assert forged.status_code == 403
    assert "rdv_session" not in forged.headers.get("set-cookie", "")


def test_a_token_of_another_session_is_refused(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("supervisor")
    with TestClient(web_app, follow_redirects=False) as one, TestClient(web_app, follow_redirects=False) as two:
        token_one = client_login(one, login, password)
        client_login(two, login, password)
        assert two.post("/logout-all", data={"csrf_token": token_one}).status_code == 403


# ------------------------------------------------------------------------------------------------------ cookies


def test_the_session_cookie_is_httponly_and_strict_and_secure_over_https(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("supervisor")
    with TestClient(web_app, base_url="http://testserver", follow_redirects=False) as plain:
        cookie = post_login(plain, login, password).headers["set-cookie"]
    assert "rdv_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie
    with TestClient(web_app, base_url="https://testserver", follow_redirects=False) as tls:
        cookie = post_login(tls, login, password).headers["set-cookie"]
        page = tls.get("/")
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert page.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(("trusted", "secure"), [("", False), ("127.0.0.1", True)])
def test_x_forwarded_proto_counts_only_from_a_configured_proxy(web_app: FastAPI, make_user, trusted: str,  # type: ignore[no-untyped-def]
                                                               secure: bool) -> None:
    login, password = make_user("supervisor")
    with serve_in_thread(web_app, trusted) as url, httpx.Client(base_url=url, follow_redirects=False) as client:
        forwarded = {"X-Forwarded-Proto": "https"}
        token = csrf_of(client.get("/login").text)  # over plain HTTP, so that httpx sends its cookie back
        answer = client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                             headers=forwarded)  # fmt: skip
    assert answer.status_code == 303
    assert ("Secure" in answer.headers["set-cookie"]) is secure


# ------------------------------------------------------------------------------------------------------ login



def test_unknown_login_and_wrong_password_get_the_same_answer(asgi_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login, _password = make_user("teleoperator")
    unknown = post_login(asgi_client, "nobody", "whatever")
    wrong = post_login(asgi_client, login, "whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert WRONG in unknown.text and WRONG in wrong.text
    assert "rdv_session" not in wrong.headers.get("set-cookie", "")


def test_five_failures_a_minute_for_one_login_hold_even_the_right_password(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    clock = manual_clock(web_app)
    login, password = make_user("teleoperator")
    with TestClient(web_app, follow_redirects=False) as client:
        for _ in range(5):
            assert WRONG in post_login(client, login, "guess").text
        held = post_login(client, login, password)
        assert held.status_code == 429 and TOO_MANY in held.text
        clock.advance(61)
        assert post_login(client, login, password).status_code == 303


def test_five_failures_a_minute_from_one_address_hold_every_login(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    manual_clock(web_app)
    login, password = make_user("teleoperator")
    with TestClient(web_app, follow_redirects=False) as client:
        for n in range(5):
            post_login(client, f"guess{n}", "x")
        assert TOO_MANY in post_login(client, login, password).text
    with TestClient(web_app, follow_redirects=False, client=("10.0.0.9", 5000)) as elsewhere:
        assert post_login(elsewhere, login, password).status_code == 303, "another address is not held"


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(web_app: FastAPI, make_user,  # type: ignore[no-untyped-def]
                                                                 sessions: sessionmaker[Session]) -> None:
    login, password = make_user("teleoperator")
    with TestClient(web_app, follow_redirects=False) as client:
        client_login(client, login, password)
        with sessions.begin() as session:
            accounts.set_active(session, login, False)
        assert client.get("/", headers={"accept": "text/html"}).status_code == 303
        assert WRONG in post_login(client, login, password).text


def test_after_login_only_a_local_page_is_a_destination(asgi_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("supervisor")
    token = csrf_of(asgi_client.get("/login?next=/health").text)
    for target, lands in [("//evil.example/x", "/"), ("https://evil.example", "/"), ("/health", "/health")]:
        asgi_client.cookies.delete("rdv_session")
        answer = asgi_client.post("/login", data={"login": login, "password": password, "csrf_token": token,
                                                  "next": target})  # fmt: skip
        assert answer.headers["location"] == lands


# ------------------------------------------------------------------------------------------------------ visibility


def test_each_role_sees_only_the_campaigns_it_may(asgi_client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                                  sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for client_name, campaign_name in [("Charpentes Test", "Toitures"), ("Isolation Nord", "Combles"),
                                           ("Isolation Nord", "Fenêtres")]:
            if client_name not in {c.name for c in store.list_clients(session)}:
                store.add_client(session, client_name, [])
            store.create_campaign(session, campaign_name, client_name)
    agent = make_user("teleoperator", campaigns=["Combles"])
    firm = make_user("client", client="Charpentes Test")
    chief = make_user("supervisor")
    seen = {}
    for who, (login, password) in {"agent": agent, "firm": firm, "chief": chief}.items():
        asgi_client.cookies.clear()
        client_login(asgi_client, login, password)
        html = asgi_client.get("/").text
        seen[who] = {name for name in ("Toitures", "Combles", "Fenêtres") if f"<td>{name}</td>" in html}
    assert seen == {"agent": {"Combles"}, "firm": {"Toitures"}, "chief": {"Toitures", "Combles", "Fenêtres"}}


# ------------------------------------------------------------------------------------------------------ headers, errors


def test_every_answer_carries_the_security_headers(asgi_client: TestClient) -> None:
    for path in ("/login", "/static/rdv.css", "/nowhere", "/"):
        headers = asgi_client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'"), path
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_no_page_has_inline_script_or_style() -> None:
    templates = Path(__file__).resolve().parents[2] / "rdv" / "web" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text and " on" + "click=" not in text and "style=" not in text, path
        for line in text.splitlines():
            if "<script" in line:
                assert 'src="' in line, f"{path}: inline script"


def test_error_pages_are_french_in_the_layout(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    @web_app.get("/boom", dependencies=[])
    def boom() -> None:
        raise RuntimeError("lead +33612345678 failed")

    login, password = make_user("supervisor")
    with TestClient(web_app, follow_redirects=False, raise_server_exceptions=False) as client:
        client_login(client, login, password)
        missing = client.get("/nowhere")
        crashed = client.get("/boom")
    assert missing.status_code == 404 and "Page introuvable" in missing.text and 'class="topbar"' in missing.text
    assert "superviseur" in missing.text, "the layout still says who is logged in"
    assert crashed.status_code == 500 and "Une erreur s'est produite" in html.unescape(crashed.text)
    assert crashed.headers["x-frame-options"] == "DENY", "even a crash answer carries the headers"
    assert "+33612345678" not in crashed.text


# ------------------------------------------------------------------------------------------------------ logs


def test_logs_hold_no_phone_password_or_session_token(asgi_client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                                      caplog: pytest.LogCaptureFixture) -> None:
    login, password = make_user("teleoperator")
    caplog.set_level(logging.DEBUG)
    asgi_client.get("/login?next=/search%3Fphone%3D0612345678")
    post_login(asgi_client, login, "wrong-secret-7")
    client_login(asgi_client, login, password)
    asgi_client.get("/calls/0612345678")
    token = asgi_client.cookies["rdv_session"]
    # The server's records (the test's own HTTP client logs the URLs it asks for: not the server's doing).
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))
    assert "rdv.web.access" in text and "POST /login 303" in text
    for secret in ("0612345678", "612345678", password, "wrong-secret-7", token):
        assert secret not in text
    assert "GET (unmatched) 404" in text


def test_create_app_needs_no_running_service(tmp_path: Path) -> None:
    app = App(settings=load_settings(env={"RDV_DATA_DIR": str(tmp_path)}))
    with TestClient(create_app(app)) as client:
        assert client.get("/health").text == "ok"
    app.close()


def test_a_refused_page_says_so_in_french_and_a_record_out_of_reach_is_not_found(web_app: FastAPI,  # type: ignore[no-untyped-def]
                                                                                 make_user) -> None:
    from fastapi import APIRouter

    from rdv.web.roles import Role, allow

    extra = APIRouter()
    extra.add_api_route("/reserved", lambda: "ok", dependencies=[allow(Role.supervisor)])
    extra.add_api_route("/reserved/{item_id}", lambda item_id: item_id, dependencies=[allow(Role.supervisor)])
    web_app.include_router(extra)
    login, password = make_user("teleoperator")
    with TestClient(web_app, follow_redirects=False) as client:
        client_login(client, login, password)
        refused = client.get("/reserved")
        hidden = client.get("/reserved/12")
    assert refused.status_code == 403 and "Accès refusé" in refused.text and "téléacteur" in refused.text
    assert hidden.status_code == 404 and "Page introuvable" in hidden.text
