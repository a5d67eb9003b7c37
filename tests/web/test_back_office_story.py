"""The supervisor's half of the back-office story in Debian's Chromium over real HTTP, in one go: a campaign
created from the settings form (a bad value shows its error), its script saved, a messy lead file uploaded to it
with its phone column mapped by hand, the quality report read, the check's warnings seen, then the campaign
started with its leads. The client's half (a visit reported as "chute", a dispute settled as "fausse chute" with
a proof, the RDV's history) is tests/web/test_portal_browser.py. Screenshots: var/test-artifacts/screens/story-*.png.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.models import Campaign
from campaigns.script_versions import script_toml
from config.orm import transaction
from leads.models import Lead
from tests.campaigns.appointment_helpers import SAMPLE

GOOD_ROWS = 40


def _crm_export(folder: Path) -> Path:
    """French Excel's CP1252 and `;`, a title row, a phone column no importer knows, a short and a twice-seen number."""
    lines = ["Export du 01/12/2026;;", "Nom;Où le joindre;CP"]
    lines += [f"PROSPECT{i};06 20 30 {i // 10:02d} {i % 10:02d};{31000 + i}" for i in range(GOOD_ROWS)]
    lines += ["COURT;0612;75011", "DOUBLON;06 20 30 00 00;69003"]
    path = folder / "prospects toulouse.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_supervisor_creates_a_campaign_loads_a_messy_file_maps_it_and_starts_calling(
        browser: Any, served_app: str, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        login: Callable[[Any, str, str], None], shot: Callable[[Any, str], Path], tmp_path: Path) -> None:
    with transaction(sessions) as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.fr"])
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=served_app)
    page = context.new_page()
    try:
        login(page, *make_user("supervisor", name="Chef de plateau"))
        page.goto("/admin/campaigns")
        page.click("text=Nouvelle campagne")
        page.fill("#name", "Charpente Toulouse")
        page.fill("#s-max_attempts", "-3")
        page.click("text=Créer la campagne")
        expect(page.locator("#s-max_attempts-error")).to_be_visible()
        page.fill("#s-max_attempts", "20")
        page.click("text=Créer la campagne")
        expect(page.locator("body")).to_contain_text("Campagne créée en brouillon")
        shot(page, "story-campaign-created")
        page.click("text=Script et questions")
        page.fill("#text", script_toml(tomllib.loads(SAMPLE.read_text(encoding="utf-8"))))
        page.click("text=Enregistrer comme nouvelle version")
        expect(page.locator("body")).to_contain_text("Enregistré comme version 1.")

        page.goto("/admin/leads")
        page.click("text=Charpente Toulouse")
        page.set_input_files("#file", str(_crm_export(tmp_path)))
        page.get_by_role("button", name="Déposer et importer", exact=True).click()
        page.wait_for_url("**/admin/leads/jobs/*/map")
        page.select_option("select[data-header='Où le joindre']", "phone")
        shot(page, "story-mapping")
        page.get_by_role("button", name="Importer avec cette correspondance", exact=True).click()
        page.wait_for_selector("#report", timeout=180_000)
        created = page.locator("#leads-created").inner_text().replace("\u202f", "").replace("\xa0", "")
        assert created == str(GOOD_ROWS)
        reasons = page.locator("#reasons").inner_text()
        assert "trop court" in reasons and "doublon dans le fichier" in reasons
        shot(page, "story-report")

        page.goto("/admin/campaigns")
        page.click("text=Charpente Toulouse")
        expect(page.locator("#check")).to_be_visible()
        shot(page, "story-check")
        page.get_by_role("button", name="Démarrer", exact=True).click()
        expect(page.locator("body")).to_contain_text("Campagne démarrée.")
        shot(page, "story-started")
    finally:
        context.close()
    with sessions() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.name == "Charpente Toulouse")).one()
        assert campaign.status == "running"
        leads = session.scalar(select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign.id))
        assert leads == GOOD_ROWS
