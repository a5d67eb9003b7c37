"""The back office in Debian's Chromium over real HTTP: a supervisor creates a campaign from the settings form
(a bad value shows its error), writes its script (a broken question shows its error, then a good one saves
version 2), reads the check's warnings and starts it. Screenshots under var/test-artifacts/screens/admin-*.png."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.script_versions import script_toml
from config.orm import transaction
from tests.campaigns.appointment_helpers import SAMPLE


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_supervisor_creates_scripts_checks_and_starts_a_campaign(
        browser: Any, served_app: str, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        login: Callable[[Any, str, str], None], shot: Callable[[Any, str], Path]) -> None:
    with transaction(sessions) as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.fr"])
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=served_app)
    page = context.new_page()
    try:
        login(page, *make_user("supervisor"))
        page.goto("/admin/campaigns")
        page.click("text=Nouvelle campagne")
        page.fill("#name", "Charpente Sud-Ouest")
        page.fill("#s-max_attempts", "0")
        page.click("text=Créer la campagne")
        error = page.locator("#s-max_attempts-error")
        expect(error).to_contain_text("max_attempts")
        expect(page.locator("#s-max_attempts")).to_have_attribute("aria-invalid", "true")
        shot(page, "admin-campaign-new-error")
        page.fill("#s-max_attempts", "6")
        page.click("text=Créer la campagne")
        expect(page.locator("body")).to_contain_text("Campagne créée en brouillon")

        page.click("text=Script et questions")
        good = script_toml(tomllib.loads(SAMPLE.read_text(encoding="utf-8")))
        page.fill("#text", good)
        page.click("text=Enregistrer comme nouvelle version")
        expect(page.locator("body")).to_contain_text("Enregistré comme version 1.")
        page.fill("#text", good.replace('type = "yes_no"', 'type = "peut-être"', 1))
        page.click("text=Enregistrer comme nouvelle version")
        expect(page.locator("#text-error")).to_contain_text("questions[0].type")
        shot(page, "admin-script-error")
        page.fill("#text", good.replace("Êtes-vous propriétaire", "Vous êtes propriétaire", 1))
        page.click("text=Enregistrer comme nouvelle version")
        expect(page.locator("body")).to_contain_text("Enregistré comme version 2.")
        expect(page.locator("section table tbody tr")).to_have_count(2)
        shot(page, "admin-script-saved")

        page.click("text=Charpente Sud-Ouest")
        warning = page.locator("#check [data-warning]")
        expect(warning).to_have_count(1)
        expect(warning).to_contain_text("6 tentatives ne tiennent pas")
        shot(page, "admin-campaign-check")
        page.get_by_role("button", name="Démarrer", exact=True).click()
        expect(page.locator("body")).to_contain_text("Campagne démarrée.")
        expect(page.get_by_role("button", name="Démarrer", exact=True)).to_be_disabled()
        shot(page, "admin-campaign-started")
    finally:
        context.close()
