"""Sessions: idle and lifetime expiry, logging out everywhere, hashed tokens, new passwords, one per browser."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rdv.web import accounts, auth
from rdv.web.models import LoginFailure, User, WebSession
from rdv.web.pages_password import password_problem
from tests.web.conftest import client_login, manual_clock, post_login

WRONG = "Identifiant ou mot de passe incorrect."

# A page every signed-in person gets as such (the home redirects each role to its own screen).
SIGNED_IN_PAGE = "/password"


def test_a_session_ends_after_idling_and_after_its_lifetime(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    clock = manual_clock(web_app)
    login, password = make_user("teleoperator")
    page = {"accept": "text/html"}
    with TestClient(web_app, follow_redirects=False) as client:
        client_login(client, login, password)
        clock.advance((auth.IDLE_TIMEOUT - timedelta(minutes=5)).total_seconds())
        assert client.get(SIGNED_IN_PAGE, headers=page).status_code == 200, "used before the idle timeout"
        clock.advance(auth.IDLE_TIMEOUT.total_seconds() + 1)
        assert client.get(SIGNED_IN_PAGE, headers=page).headers["location"] == "/login?next=%2Fpassword"

        client_login(client, login, password)
        for _ in range(int(auth.SESSION_LIFETIME / timedelta(hours=1))):
            clock.advance(3600)
            client.get(SIGNED_IN_PAGE, headers=page)
        assert client.get(SIGNED_IN_PAGE, headers=page).status_code == 303, "past its lifetime even though in use"


def test_logging_out_everywhere_ends_every_session_of_the_user_only(web_app: FastAPI, make_user,  # type: ignore[no-untyped-def]
                                                                    sessions: sessionmaker[Session]) -> None:
    login, password = make_user("supervisor")
    other, other_password = make_user("teleoperator")
    with (TestClient(web_app, follow_redirects=False) as desk, TestClient(web_app, follow_redirects=False) as laptop,
          TestClient(web_app, follow_redirects=False) as colleague):  # fmt: skip
        token = client_login(desk, login, password)
        client_login(laptop, login, password)
        client_login(colleague, other, other_password)
        assert desk.post("/logout-all", data={"csrf_token": token}).headers["location"] == "/login"
        assert laptop.get(SIGNED_IN_PAGE).status_code == 401
        assert colleague.get(SIGNED_IN_PAGE).status_code == 200
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1


def test_the_cookie_token_is_stored_only_as_its_hash(asgi_client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                                     sessions: sessionmaker[Session]) -> None:
    login, password = make_user("teleoperator")
    client_login(asgi_client, login, password)
    token = asgi_client.cookies["rdv_session"]
    with sessions() as session:
        stored = session.scalars(select(WebSession)).one()
    assert stored.token_hash == auth.token_hash(token) and token not in stored.token_hash


def test_a_new_password_ends_the_open_sessions(web_app: FastAPI, make_user,  # type: ignore[no-untyped-def]
                                               sessions: sessionmaker[Session]) -> None:
    login, password = make_user("supervisor")
    with TestClient(web_app, follow_redirects=False) as client:
        client_login(client, login, password)
        with sessions.begin() as session:
            fresh = accounts.reset_password(session, login, datetime.now(UTC))
        assert client.get(SIGNED_IN_PAGE).status_code == 401
        assert WRONG in post_login(client, login, password).text
        assert post_login(client, login, fresh).status_code == 303


def test_old_login_failures_are_forgotten(web_app: FastAPI, make_user, sessions: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    clock = manual_clock(web_app)
    with TestClient(web_app, follow_redirects=False) as client:
        post_login(client, "someone", "x")
        clock.advance(120)
        post_login(client, "someone", "y")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_logging_in_again_from_a_browser_ends_its_previous_session(asgi_client: TestClient, make_user,  # type: ignore[no-untyped-def]
                                                                   sessions: sessionmaker[Session]) -> None:
    first = make_user("teleoperator")
    second_login, second_password = make_user("teleoperator")
    token = client_login(asgi_client, *first)  # then a login form left open in another tab is sent
    answer = asgi_client.post("/login", data={"login": second_login, "password": second_password,
                                              "csrf_token": token})  # fmt: skip
    assert answer.status_code == 303
    with sessions() as session:
        rows = session.scalars(select(WebSession)).all()
    assert [r.token_hash for r in rows] == [auth.token_hash(asgi_client.cookies["rdv_session"])]


def test_a_person_changes_their_own_password_and_their_other_sessions_end(web_app: FastAPI, make_user) -> None:  # type: ignore[no-untyped-def]
    login, password = make_user("teleoperator")
    with TestClient(web_app, follow_redirects=False) as here, TestClient(web_app, follow_redirects=False) as there:
        token = client_login(here, login, password)
        client_login(there, login, password)

        def change(current: str, new: str, again: str | None = None) -> str:
            answer = here.post("/password", data={"csrf_token": token, "current": current, "new": new,
                                                  "again": new if again is None else again})  # fmt: skip
            return html.unescape(answer.text)

        assert "Le mot de passe actuel est incorrect." in change("nope", "une phrase assez longue")
        assert "doit compter au moins 10 caractères" in change(password, "court")
        assert "Les deux nouveaux mots de passe diffèrent." in change(password, "une phrase assez longue", "autre")
        assert "Votre mot de passe est changé." in change(password, "une phrase assez longue")
        assert here.get(SIGNED_IN_PAGE).status_code == 200, "this browser stays logged in"
        assert there.get(SIGNED_IN_PAGE).status_code == 401, "the other one is logged out"
        assert WRONG in post_login(there, login, password).text
        assert post_login(there, login, "une phrase assez longue").status_code == 303


def test_a_new_password_is_neither_the_login_nor_the_current_one() -> None:
    user = User(login="julie.martin", password_hash=auth.hash_password("ancien mot de passe"))
    assert "ne peut pas être votre identifiant" in password_problem(user, "Julie.Martin", "Julie.Martin")
    assert "différent de l'actuel" in password_problem(user, "ancien mot de passe", "ancien mot de passe")
    assert password_problem(user, "une phrase assez longue", "une phrase assez longue") == ""
