"""In headless Chromium against a real `rdv run --simulate`: a supervisor creates a client, its account, and a
teleoperator with a phone and a campaign (a bad phone first, refused in place); the teleoperator logs in and is
offered the campaign. Screenshots: var/test-artifacts/screens/admin-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import LiveServer

pytestmark = pytest.mark.e2e


def _password(page: Any) -> str:
    text: str = page.locator("[data-password]").inner_text()
    assert len(text) >= 12
    return text


def test_a_supervisor_sets_up_a_client_and_a_teleoperator_who_then_sees_the_campaign(  # type: ignore[no-untyped-def]
        live_server: LiveServer, make_user, browser, page: Any, login, shot) -> None:
    chef, password = make_user("supervisor", name="Claire Chef")
    login(page, chef, password)

    page.click("nav >> text=Clients")
    page.fill("#name", "Isolation Ouest")
    page.fill("#legal_name", "Isolation Ouest SAS")
    page.fill("#siren", "123456789")
    page.fill("#emails", "rdv@isolation-ouest.fr")
    page.fill("#prospect_years", "2")
    page.click("text=Créer le client")
    assert page.locator("p.success").inner_text() == "Client Isolation Ouest créé."
    shot(page, "admin-clients")

    page.click("table >> text=Isolation Ouest")
    page.fill("#new-login", "iso.ouest")
    page.fill("#new-name", "Service RDV Isolation Ouest")
    page.click("#new-client-user button[type=submit]")
    client_password = _password(page)
    assert "iso.ouest" in page.locator("table.grid").inner_text()
    shot(page, "admin-client-account")

    page.click("nav >> text=Équipe")
    page.fill("#login", "julie")
    page.fill("#name", "Julie Martin")
    page.select_option("#role", "teleoperator")
    page.fill("#phone", "1001")
    page.select_option("#campaigns", label="Toitures")
    page.click("#new-person button[type=submit]")
    error = page.locator("#phone-error")
    expect(error).to_have_text(re.compile("^Poste invalide 1001"))
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#login").input_value() == "julie", "what was typed stays"
    shot(page, "admin-people-bad-phone")

    page.fill("#phone", "PJSIP/1001")
    page.select_option("#campaigns", label="Toitures")
    page.click("#new-person button[type=submit]")
    agent_password = _password(page)
    row = page.locator("tr", has_text="julie").inner_text()
    assert "PJSIP/1001" in row and "Toitures" in row and "actif" in row
    shot(page, "admin-people")

    agent_page = _fresh_page(browser, live_server)
    login(agent_page, "julie", agent_password)
    assert agent_page.url == f"{live_server.base_url}/agent"
    assert agent_page.locator("#campaign-choice option").all_inner_texts() == ["Toitures"]
    shot(agent_page, "admin-teleoperator-sees-campaign")
    agent_page.context.close()

    client_page = _fresh_page(browser, live_server)
    login(client_page, "iso.ouest", client_password)
    assert client_page.url == f"{live_server.base_url}/portal"
    client_page.context.close()


def _fresh_page(browser: Any, live_server: LiveServer) -> Any:
    """A page in a new browser context: another person at another computer."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768},
                                  base_url=live_server.base_url)  # fmt: skip
    return context.new_page()
