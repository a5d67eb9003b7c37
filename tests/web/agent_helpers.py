"""Shared setup of the agent screen's in-process tests: a campaign with its script, a teleoperator, and a call
connected to them as the dialer records it (the agent's presence row and the call's pop)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import literal
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from campaigns.script_store import load_script_file
from config.clock import ManualClock
from config.settings import load_settings
from dialer.desk_models import CallPop
from dialer.models import AgentRecord
from leads.consent_store import records_from_columns
from leads.models import Lead, LeadPhone
from rdv.bootstrap import App
from rdv.wakeup import LocalNotifier
from rdv.web import accounts
from rdv.web.app import create_app
from tests.campaigns.factories import CONSENT, campaign
from tests.web.conftest import client_login

SAMPLE = Path(__file__).resolve().parents[2] / "campaigns" / "samples" / "charpente.toml"
# Tuesday 24 November 2026, 11:00 in Paris.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CALLED = "+33612345678"
OTHER = "+33478901234"


@dataclass
class Desk:
    """The app, a logged-in client for agent `login`, its CSRF token, and the ids of the call on screen."""

    client: TestClient
    token: str
    login: str
    sessions: sessionmaker[Session]
    clock: ManualClock
    campaign_id: int
    other_campaign_id: int
    lead_id: int
    attempt_id: int

    def post(self, path: str, data: dict[str, object] | None = None, json: bool = True) -> object:
        headers = {"X-CSRF-Token": self.token}
        if json:
            headers["Accept"] = "application/json"
        return self.client.post(path, data=data or {}, headers=headers)


def seed(session: Session) -> tuple[int, int, int, int]:
    """Campaign "Toitures" (script loaded) and "Autre" (not assigned); a lead with two phones and a past try."""
    toitures = campaign(session, "Toitures", client="Charpentes Martin")
    other = campaign(session, "Autre", client="Charpentes Martin")
    load_script_file(session, toitures.id, SAMPLE, "test", NOW - timedelta(days=3))
    lead = Lead(campaign_id=toitures.id, civility="Mme", first_name="Isabelle", last_name="Lucas",
                address="97 route des Écoles", postcode="69003", city="Lyon", phone_e164=CALLED,
                custom={"Année de construction": "1914", "Projet": "isolation des combles"}, **CONSENT)
    session.add(lead)
    session.flush()
    # The consent gate reads consent records: the import makes them of a file's columns, and so does this.
    records_from_columns(session, Lead.id == lead.id, literal(toitures.client_id), "test", NOW - timedelta(days=3))
    session.add_all([
        LeadPhone(lead_id=lead.id, campaign_id=toitures.id, e164=OTHER, rank=0, source_column="Téléphone"),
        LeadPhone(lead_id=lead.id, campaign_id=toitures.id, e164=CALLED, rank=1, source_column="Portable")])
    session.add(Attempt(campaign_id=toitures.id, lead_id=lead.id, attempt_no=1, phone_e164=OTHER,
                        callee_tz="Europe/Paris", action_id="a-1", created_at=NOW - timedelta(days=1),
                        state="ended", outcome="no_answer"))
    attempt = Attempt(campaign_id=toitures.id, lead_id=lead.id, attempt_no=2, phone_e164=CALLED,
                      callee_tz="Europe/Paris", action_id="a-2", created_at=NOW - timedelta(seconds=40),
                      state="connected", connected_at=NOW - timedelta(seconds=20))
    session.add(attempt)
    lead.attempts = 2
    session.flush()
    return toitures.id, other.id, lead.id, attempt.id


def connect(session: Session, login: str, campaign_id: int, lead_id: int, attempt_id: int) -> None:
    """What the dialer writes when the PBX connects the call to the agent (AgentConnect)."""
    session.add(AgentRecord(login=login, campaign_id=campaign_id, state="on_call", since=NOW - timedelta(seconds=20),
                            call_id="call-1"))
    session.add(CallPop(login=login, attempt_id=attempt_id, lead_id=lead_id, campaign_id=campaign_id,
                        call_id="call-1", phone_e164=CALLED, connected_at=NOW - timedelta(seconds=20)))


def open_desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    """The body of each test module's `desk` fixture: the app over a seeded database, Marie logged in."""
    settings = load_settings(env={"RDV_DATA_DIR": str(tmp_path), "RDV_DATABASE_URL": database_url, "RDV_LANG": "fr"})
    clock = ManualClock(NOW)
    application = App(settings=settings, migrate=False, clock=clock)
    with application.sessions.begin() as session:
        toitures, other, lead_id, attempt_id = seed(session)
        made = accounts.add_user(session, "marie", "teleoperator", NOW, name="Marie Curie", campaigns=["Toitures"])
        accounts.add_user(session, "paul", "teleoperator", NOW, campaigns=["Toitures"])
        connect(session, "marie", toitures, lead_id, attempt_id)
        password = made.password
    web = create_app(application, notifier=LocalNotifier())
    with TestClient(web, follow_redirects=False) as client:
        token = client_login(client, "marie", password)
        yield Desk(client, token, "marie", application.sessions, clock, toitures, other, lead_id, attempt_id)
    application.close()


def login_as(desk: Desk, login: str) -> str:
    """Log the desk's client in as another account (a new first password is set for it)."""
    from rdv.web.auth import hash_password
    from rdv.web.models import user_by_login

    with desk.sessions.begin() as session:
        user = user_by_login(session, login)
        assert user is not None
        user.password_hash = hash_password("Another-pass-1234")
    desk.client.cookies.clear()
    desk.token = client_login(desk.client, login, "Another-pass-1234")
    desk.login = login
    return desk.token
