"""A teleoperator's calls in headless Chromium against a real `rdv run --simulate`, with the keyboard only.

Log in, start taking calls, the simulator connects a call, the lead and the script pop; the RDV sheet is
filled and saved without a mouse and the appointment is in `rdv appointments list`; the next call is booked
as a callback for tomorrow 11:00, and when the service runs again at that time the call reaches the same agent
with the callback's note. Screenshots of each screen go to var/test-artifacts/screens/agent-*.png.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from campaigns.models import Attempt, Callback, Campaign
from dialer.desk_models import CallPop
from dialer.simulator.outcomes import Outcome, OutcomeModel
from leads.models import Lead
from rdv import db
from tests.rdv.service_harness import MONDAY_3PM, PARIS, PYTHON, ROOT, prepare
from tests.web.conftest import LiveServer, _wait_for_web, add_user

SCALE = 3.0

TIMEOUT_MS = 180_000
FIRST = ("Isabelle", "Rémi", "Nathalie", "Jean-Luc", "Sophie", "Hervé", "Élodie", "Patrick", "Chantal", "Marc")
LAST = ("Lucas", "Bernard", "Moreau", "Lefèvre", "Girard", "Roux", "Fontaine", "Chevalier", "Garnier", "Faure")
CITIES = (("69003", "Lyon"), ("33000", "Bordeaux"), ("44000", "Nantes"), ("20090", "Ajaccio"), ("31000", "Toulouse"))


def _name_the_leads(url: str, campaign_id: int) -> None:
    """The sample campaign's leads get names, addresses and the file's own columns, as an imported file has;
    ten minutes of wrap-up (the sample's ten seconds are 3 s here)."""
    rng = random.Random(7)
    engine = db.make_engine(url)
    with db.session_factory(engine).begin() as session:
        session.get_one(Campaign, campaign_id).settings = {"wrap_up_seconds": "600"}
        for lead in session.scalars(select(Lead)):
            postcode, city = rng.choice(CITIES)
            lead.civility, lead.first_name = rng.choice((("M.", "Rémi"), ("Mme", "Isabelle"), ("M.", "Hervé"),
                                                         ("Mme", "Chantal"), ("Mme", "Élodie")))
            lead.last_name = rng.choice(LAST)
            lead.address, lead.postcode, lead.city = f"{rng.randint(1, 120)} rue des Tilleuls", postcode, city
            lead.custom = {"Type de logement": rng.choice(("maison", "appartement")),
                           "Année de construction": str(rng.randint(1900, 2010))}
    engine.dispose()


def _tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus, as a keyboard user does."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus with Tab")


def _arrow_to(page: Any, select_id: str, value: str) -> None:
    """Move a focused <select> to the option `value` with the arrow keys."""
    index = page.evaluate("([id, v]) => [...document.getElementById(id).options].findIndex(o => o.value === v)",
                          [select_id, value])
    assert index >= 0, f"{value} not offered in #{select_id}"
    for _ in range(index - page.evaluate(f"document.getElementById('{select_id}').selectedIndex")):
        page.keyboard.press("ArrowDown")
    assert page.evaluate(f"document.getElementById('{select_id}').value") == value


def _pop(page: Any, other_than: str = "") -> str:
    """Wait for a call panel (another call than `other_than`); its attempt id."""
    page.wait_for_function("(before) => { const c = document.getElementById('agent-call');"
                           " return c && c.dataset.attempt && c.dataset.attempt !== before; }",
                           arg=other_than, timeout=TIMEOUT_MS)
    page.wait_for_selector("#agent-call[data-offers-loaded]", state="attached")  # the pickers' options
    return str(page.get_attribute("#agent-call", "data-attempt"))


def _keyboard_login(page: Any, login: str, password: str) -> None:
    page.goto("/login")
    assert page.evaluate("document.activeElement.id") == "login"
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if not page.url.endswith("/agent"):  # the home page sends a teleoperator to their screen when it can
        page.goto("/agent")


def _fill_the_sheet(page: Any) -> None:
    page.keyboard.press("f")
    assert page.evaluate("document.activeElement.id") == "answer_proprietaire-yes"
    page.keyboard.press("Space")
    for select_id, value in (("answer_type_logement", "maison_individuelle"), ("answer_age_toiture", "25_50"),
                             ("answer_type_charpente", "traditionnelle"), ("answer_couverture", "ardoises")):
        _tab_to(page, select_id, limit=2)
        _arrow_to(page, select_id, value)
    _tab_to(page, "answer_problemes-infiltrations", limit=2)
    page.keyboard.press("Space")
    _tab_to(page, "answer_surface_toiture", limit=6)
    page.keyboard.type("5")
    page.wait_for_selector("#msg-surface_toiture:has-text('Au moins 10')")  # checked as the agent types
    page.keyboard.type("0")
    page.wait_for_selector("#msg-surface_toiture:empty", state="attached")
    for select_id, value in (("answer_decideurs", "tous_presents"), ("answer_horizon", "moins_3_mois")):
        _tab_to(page, select_id, limit=2)
        _arrow_to(page, select_id, value)
    _tab_to(page, "answer_acces", limit=2)
    page.keyboard.type("Portail vert, sonner deux fois")
    _tab_to(page, "sheet-slot", limit=2)
    page.keyboard.press("ArrowDown")


def _launch(data_dir: Path, url: str, campaign_id: int, start: datetime, env: dict[str, str],
            seed: int = 4) -> LiveServer:
    """`rdv run --simulate --web` over `url` on a clock started at `start`, SCALE times faster than the wall.

    A person's simulated callee hangs up after a minute on that clock (20 s here), time enough to fill the sheet.
    """
    args = [str(PYTHON), "-m", "tests.rdv.service_process", "--simulate", "--sim-agents", "0", "--seed", str(seed),
            "--drain-seconds", "5", "--clock-scale", str(SCALE), "--clock-start", start.isoformat(),
            "--clock-epoch", str(time.time()), "--web", "127.0.0.1:0"]  # fmt: skip
    log = (data_dir / "service.log").open("ab")
    proc = subprocess.Popen(args, env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer("", url, data_dir, campaign_id, proc, env)
    server.base_url = _wait_for_web(server)
    return server


@pytest.fixture
def desk_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The sample campaign (named leads, ten minutes of wrap-up) served by a real service, Monday 15:00 Paris."""
    url = f"sqlite:///{tmp_path / 'rdv.sqlite3'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    campaign_id = prepare(url, 300)
    _name_the_leads(url, campaign_id)
    env = {**os.environ, "RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": url, "RDV_LANG": "fr"}
    env.pop("RDV_AMI_HOST", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    server = _launch(tmp_path, url, campaign_id, MONDAY_3PM, env)
    try:
        yield server
    finally:
        server.stop()


def _restart_at(server: LiveServer, moment: datetime, seed: int) -> LiveServer:
    """The same service over the same database, its clock started at `moment` (the next day, say)."""
    assert server.stop() == 0, server.log()[-3000:]
    log = server.data_dir / "service.log"
    log.rename(server.data_dir / "service-before.log")  # the new one prints its own address
    return _launch(server.data_dir, server.db_url, server.campaign_id, moment, server.env, seed)


def _only_the_callback_left(url: str, lead_id: int, moment: datetime) -> int:
    """The day's other leads are done, and a simulator seed whose first call is answered by a person: the
    callback is then the one call of the morning, and it reaches an agent."""
    engine = db.make_engine(url)
    with db.session_factory(engine).begin() as session:
        session.execute(update(Lead).where(Lead.id != lead_id).values(status="final", next_attempt_at=None))
        phone = session.get_one(Lead, lead_id).phone_e164
    engine.dispose()
    return next(seed for seed in range(1000)
                if OutcomeModel().draw(phone, moment, random.Random(seed)).outcome is Outcome.HUMAN)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_teleoperator_takes_calls_with_the_keyboard_only(desk_server: LiveServer, browser: Any,
                                                           shot: Any) -> None:
    server = desk_server
    login, password = add_user(server.db_url, "teleoperator", login="marie", phone="PJSIP/1001", name="Marie Curie",
                               campaigns=["Toitures"])
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768}, base_url=server.base_url)
    page = context.new_page()
    try:
        _keyboard_login(page, login, password)
        shot(page, "agent-1-campaign")
        _tab_to(page, "agent-login")
        page.keyboard.press("Enter")
        # Ready, or already on a call: the simulator may connect one before the screen has shown "Prêt".
        page.wait_for_function("() => { const l = document.getElementById('agent-state-label');"
                               " const c = document.getElementById('agent-call');"
                               " return (l && l.textContent.includes('Prêt')) || (c && c.dataset.attempt); }",
                               timeout=60_000)
        shot(page, "agent-2-ready")

        first = _pop(page)
        with db.session_factory(db.make_engine(server.db_url))() as session:
            call = session.scalars(select(CallPop).where(CallPop.attempt_id == int(first))).one()
            lead = session.get_one(Lead, call.lead_id)
        assert page.inner_text("#lead-name").split() == f"{lead.civility} {lead.first_name} {lead.last_name}".split()
        assert lead.last_name in page.inner_text(".step-greeting")  # the script speaks to this lead
        assert "Marie Curie" in page.inner_text(".step-greeting")
        assert page.inner_text(".phones .called .mono").replace(" ", "").lstrip("0") in call.phone_e164
        shot(page, "agent-3-pop")

        _fill_the_sheet(page)
        page.wait_for_selector("#sheet-verdict.conform")
        assert "passera le" in page.inner_text(".step-closing") and "[date" not in page.inner_text(".step-closing")
        shot(page, "agent-4-sheet")
        page.keyboard.press("Escape")
        page.keyboard.press("h")  # hang up
        page.wait_for_selector("#agent-callstatus.ended", timeout=60_000)
        page.wait_for_selector(".controls-log li.ok", timeout=60_000)
        shot(page, "agent-5-wrap-up")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#agent-toast:has-text('Rendez-vous enregistré.')")
        listed = server.rdv("appointments", "list", "--campaign", "Toitures").stdout
        assert lead.last_name in listed, listed

        second = _pop(page, other_than=first)
        page.keyboard.press("h")
        page.wait_for_selector("#agent-callstatus.ended", timeout=60_000)
        page.keyboard.press("2")
        assert page.evaluate("document.activeElement.id") == "callback-at"
        tomorrow = datetime(2026, 11, 24, 11, 0, tzinfo=PARIS)
        _arrow_to(page, "callback-at", tomorrow.isoformat())
        page.keyboard.press("Tab")
        page.keyboard.type("Rappeler à 11 h, madame sera là")
        shot(page, "agent-6-callback")
        page.keyboard.press("Enter")
        page.wait_for_selector("#agent-toast:has-text('Rappel enregistré.')")
        page.wait_for_selector("#agent-call.waiting", timeout=60_000)
        page.keyboard.press("p")
        assert page.evaluate("document.activeElement.id") == "pause-reason"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector("#agent-state-label:has-text('En pause')", timeout=60_000)
        assert "Rappeler à 11 h" in page.inner_text("#agent-call")  # under "Mes rappels"
        shot(page, "agent-7-paused")
        with db.session_factory(db.make_engine(server.db_url))() as session:
            booked = session.scalars(select(Callback).where(Callback.agent == "marie")).one()
            callback_lead = session.get_one(Attempt, int(second)).lead_id
        assert booked.lead_id == callback_lead

        morning = datetime(2026, 11, 24, 11, 0, 5, tzinfo=PARIS)
        server = _restart_at(server, morning, _only_the_callback_left(server.db_url, callback_lead, morning))
        page.goto(f"{server.base_url}/agent")
        page.wait_for_selector("#agent-state")
        if page.query_selector("#agent-login"):
            _tab_to(page, "agent-login")
            page.keyboard.press("Enter")
        else:
            page.keyboard.press("r")
        third = _pop(page)
        with db.session_factory(db.make_engine(server.db_url))() as session:
            assert session.get_one(Attempt, int(third)).lead_id == callback_lead
        assert "Rappeler à 11 h, madame sera là" in page.inner_text(".callback-note")
        shot(page, "agent-8-callback-call")
    finally:
        context.close()
        server.stop()
