"""The supervisor's console in Chromium against a real `rdv run --simulate` with simulated agents taking calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from campaigns.models import Campaign
from rdv import db
from tests.web.conftest import LiveServer, add_user, start_live_server

# Generous for a loaded machine: each condition normally holds within seconds.
WAIT_MS = 180_000


@pytest.fixture(scope="module")
def floor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Three simulated agents on a clock twenty times faster than real time, so that calls and RDVs come soon."""
    server = start_live_server(tmp_path_factory.mktemp("console"), scale=20.0, sim_agents=3, lead_count=600)
    try:
        yield server
    finally:
        server.stop()


def _figure(page: Any, name: str) -> int:
    text = page.locator(f'[data-figure="{name}"]').inner_text()
    return int("".join(ch for ch in text if ch.isdigit()) or 0)


def _status(server: LiveServer) -> str:
    engine = db.make_engine(server.db_url)
    try:
        with db.session_factory(engine)() as session:
            status = session.scalar(select(Campaign.status).where(Campaign.id == server.campaign_id))
            return str(status)
    finally:
        engine.dispose()


def test_a_supervisor_watches_the_floor_live_and_steers_the_campaign(
        floor_server: LiveServer, browser: Any, shot: Callable[[Any, str], Path]) -> None:
    login, password = add_user(floor_server.db_url, "supervisor", name="Claire Chef", phone="PJSIP/2001")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768},
                                  base_url=floor_server.base_url)  # fmt: skip
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.goto(f"/console/{floor_server.campaign_id}")
        page.wait_for_selector("#live-state:has-text('En direct')", timeout=WAIT_MS)

        # A call connects: the wallboard and the agent table say so without a reload.
        page.wait_for_function("() => Number(document.querySelector('[data-figure=talking]').textContent) > 0",
                               timeout=WAIT_MS)  # fmt: skip
        page.wait_for_selector("#agents td:has-text('En appel')", timeout=WAIT_MS)
        assert _figure(page, "dials") > 0
        # An agent saves an RDV sheet: the RDVs counter moves.
        page.wait_for_function("() => Number(document.querySelector('[data-figure=rdvs]').textContent) > 0",
                               timeout=WAIT_MS)  # fmt: skip
        shot(page, "console-wallboard")

        # Pause from the console: the running dialer stops placing calls and the wallboard says so.
        page.click("#controls button[value=pause]")
        page.wait_for_selector("#controls .success:has-text('Campagne mise en pause')", timeout=WAIT_MS)
        page.wait_for_selector("#board h2:has-text('numérotation : en pause')", timeout=WAIT_MS)
        assert _status(floor_server) == "paused"
        shot(page, "console-paused")
        page.click("#controls button[value=start]")
        page.wait_for_selector("#board h2:has-text('numérotation : en cours')", timeout=WAIT_MS)
        assert _status(floor_server) == "running"

        # A bad abandonment target is refused next to the field, in French; nothing is stored.
        page.fill("#abandonment_target", "150 %")
        page.press("#abandonment_target", "Enter")
        error = page.wait_for_selector("#abandonment_target-error", timeout=WAIT_MS)
        assert "ne peut pas valoir 150 %" in error.inner_text()
        expect(page.locator("#abandonment_target")).to_have_attribute("aria-invalid", "true")
        assert page.evaluate("document.activeElement.id") == "abandonment_target"
        shot(page, "console-bad-target")
        page.fill("#abandonment_target", "2,5 %")
        page.press("#abandonment_target", "Enter")
        page.wait_for_selector("#controls .success:has-text('Réglage enregistré')", timeout=WAIT_MS)
        page.wait_for_selector("#board .tile:has-text('/ 2,5')", timeout=WAIT_MS)

        # An agent's current call, with listening to it from the supervisor's own phone.
        page.click("#agents tr:has-text('En appel') a")
        page.wait_for_selector("#call h2:has-text('Appel en cours')", timeout=WAIT_MS)
        page.wait_for_selector("#call dt:has-text('Numéro appelé')", timeout=WAIT_MS)
        shot(page, "console-agent")
        page.click("#call button:has-text('Écouter')")
        page.wait_for_selector(".success:has-text('Écoute demandée')", timeout=WAIT_MS)
        page.wait_for_selector("#call li:has-text('écoute')", timeout=WAIT_MS)
        # The dialer applies it (call control rings the supervisor's phone into a silent listen) and says so.
        done = page.wait_for_selector("#call li .badge", timeout=WAIT_MS)
        assert "Votre poste sonne" in done.inner_text(), done.inner_text()
        shot(page, "console-agent-listening")
    finally:
        context.close()
