"""In headless Chromium against a real `rdv run --simulate`: login page, wrong password, home, logout."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import LiveServer

pytestmark = pytest.mark.e2e


def test_a_teleoperator_logs_in_sees_their_home_and_logs_out(live_server: LiveServer, make_user, page: Any,  # type: ignore[no-untyped-def]
                                                             login, shot) -> None:
    user, password = make_user("teleoperator", campaigns=["Toitures"], phone="PJSIP/1001", name="Julie Martin")
    errors: list[str] = []
    # The refused login answers 401 (Chromium notes it in the console); anything else is a defect.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 401" not in m.text
            else None)

    page.goto("/")
    assert re.search(r"/login\?next=%2F$", page.url), "anonymous: sent to the login page"
    assert page.title() == "Connexion · rdv"
    assert page.locator("#login").evaluate("e => e === document.activeElement"), "the login field has the focus"
    shot(page, "web-login")

    page.fill("#login", user)
    page.fill("#password", "pas-le-bon")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("#login-error").inner_text() == "Identifiant ou mot de passe incorrect."
    assert page.locator("#login").input_value() == user, "the login is kept, the password is not"
    assert page.locator("#password").input_value() == ""
    shot(page, "web-login-wrong-password")

    login(page, user, password)
    # The home sends each role to its own screen: a teleoperator to the agent screen.
    assert page.url == f"{live_server.base_url}/agent"
    assert "téléacteur" in page.locator("header").inner_text()
    assert "Toitures" in page.locator("main").inner_text()
    shot(page, "web-home-teleoperator")

    page.get_by_role("button", name="Déconnexion").click()
    page.wait_for_load_state()
    assert page.url.endswith("/login")
    page.goto("/")
    assert "/login?next=" in page.url, "logged out for real: the session no longer opens the home page"
    assert errors == [], f"the browser reported errors (CSP, script): {errors}"


def test_a_supervisor_and_a_client_get_their_own_home(live_server: LiveServer, make_user, page: Any,  # type: ignore[no-untyped-def]
                                                      login, shot) -> None:
    chief, chief_password = make_user("supervisor", name="Paul Chef")
    login(page, chief, chief_password)
    assert page.url == f"{live_server.base_url}/console", "a supervisor's home is the console"
    assert "superviseur" in page.locator("header").inner_text()
    assert "Toitures" in page.locator("main").inner_text()
    shot(page, "web-home-supervisor")
    page.goto("/password")
    page.fill("#current", chief_password)
    page.fill("#new", "une phrase assez longue")
    page.fill("#again", "une phrase assez longue")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Votre mot de passe est changé." in page.locator("#password-done").inner_text()
    shot(page, "web-password-changed")
    page.context.clear_cookies()
    firm, firm_password = make_user("client", client="Charpentes Test", name="Charpentes Test")
    login(page, firm, firm_password)
    assert page.url == f"{live_server.base_url}/portal", "a client's home is the portal"
    shot(page, "web-home-client")
    page.goto("/nulle-part")
    assert page.locator("h1").inner_text() == "Page introuvable"
    shot(page, "web-error-404")


def test_the_service_log_holds_no_password_token_or_phone(live_server: LiveServer, make_user, page: Any,  # type: ignore[no-untyped-def]
                                                          login) -> None:
    user, password = make_user("teleoperator", campaigns=["Toitures"])
    login(page, user, password)
    page.goto("/login?next=/recherche%3Ftel%3D0612345678")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "rdv_session")
    log = live_server.log()
    assert "GET /login 200" in log, "the access log is there"
    for secret in (password, token, "0612345678", "612345678"):
        assert secret not in log


def test_the_service_serves_its_web_screens_and_stops_cleanly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import start_live_server

    server = start_live_server(tmp_path / "own")
    assert "Écrans web : http://127.0.0.1:" in server.log()
    assert server.stop() == 0
    assert "rdv s'est arrêté proprement" in server.log() or "arrêté" in server.log()
