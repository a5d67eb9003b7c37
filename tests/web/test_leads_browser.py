"""Lead files in Debian's Chromium over real HTTP: a supervisor uploads a messy file whose phone column has an
unusual name, maps it, follows the import, reads the quality report and downloads the rejects.
Screenshots under var/test-artifacts/screens/leads-*.png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from leads.models import Lead

ROWS = 20_000  # enough rows for the import to take a moment on the page


def _messy_file(folder: Path) -> Path:
    """A CRM export: a title row, French Excel's CP1252 and `;`, an unknown phone header, bad rows."""
    lines = ["Export CRM du 01/12/2026;;;", "Nom;Commentaire;Où le joindre;CP"]
    lines += [f"CLIENT{i};rappeler après 18 h;06 {10 + i // 10000:02d} {i // 100 % 100:02d} {i % 100:02d} 11;35000"
              for i in range(ROWS)]  # fmt: skip
    lines += ["=HYPERLINK(\"http://x\");piège;0612;75011", "DOUBLON;;06 10 00 00 11;69003"]
    path = folder / "export crm.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_messy_file_mapped_imported_reported_and_its_rejects_downloaded(
        browser: Any, served_app: str, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        login: Callable[[Any, str, str], None], shot: Callable[[Any, str], Path], tmp_path: Path) -> None:
    with sessions.begin() as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.fr"])
        campaign_id = store.create_campaign(session, "Toitures 2026", "Charpentes Martin").id
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=served_app,
                                  accept_downloads=True)  # fmt: skip
    page = context.new_page()
    try:
        login(page, *make_user("supervisor", name="Chef de plateau"))
        page.goto("/admin/leads")
        page.click("text=Toitures 2026")
        page.set_input_files("#file", str(_messy_file(tmp_path)))
        shot(page, "leads-upload")
        page.get_by_role("button", name="Déposer et importer", exact=True).click()
        page.wait_for_url("**/admin/leads/jobs/*/map")
        expect(page.locator("body")).to_contain_text("Aucune colonne de ce fichier n'est reconnue")
        assert page.locator("#preview tbody tr").count() == 5
        assert page.locator("select[data-header='Nom']").input_value() == "last_name"  # detected
        page.select_option("select[data-header='Où le joindre']", "phone")
        page.select_option("select[data-header='Commentaire']", "ignore")
        shot(page, "leads-mapping")
        page.get_by_role("button", name="Importer avec cette correspondance", exact=True).click()
        page.wait_for_url("**/admin/leads/jobs/*")
        if page.locator("#progress").count():
            shot(page, "leads-progress")
        page.wait_for_selector("#report", timeout=180_000)
        assert page.locator("#leads-created").inner_text().replace("\u202f", "").replace("\xa0", "") == str(ROWS)
        reasons = page.locator("#reasons").inner_text()
        assert "trop court" in reasons and "doublon dans le fichier" in reasons
        shot(page, "leads-report")
        with page.expect_download() as waiting:
            page.click("#rejects-link")
        rejects = Path(waiting.value.path()).read_bytes().decode("utf-8-sig")
        assert rejects.splitlines()[0] == "Nom;Commentaire;Où le joindre;CP;Ligne;Motif"
        assert "'=HYPERLINK" in rejects and "doublon de la ligne 3" in rejects
        page.goto(f"/admin/leads/{campaign_id}")
        assert page.locator("#imports tbody tr").count() == 1
        shot(page, "leads-campaign")
    finally:
        context.close()
    with sessions() as session:
        lead = session.scalars(select(Lead).where(Lead.last_name == "CLIENT7")).one()
        assert (lead.postcode, lead.phone_e164, lead.custom) == ("35000", "+33610000711", {})
