"""The supervisor's do-not-call screen in process, on SQLite and PostgreSQL: search in any French format,
add with a reason (leads stop at once), remove with a reason (audited, without the number), masking, the
centre-wide list, and bad input."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.audit import AuditEntry
from leads.models import Lead, LeadPhone
from leads.store import add_do_not_call
from tests.campaigns.appointment_helpers import add_lead, seed_campaign
from tests.web.conftest import client_login

NUMBER = "+33612340001"  # lead 1 of the seeded campaign


def _seed(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """The client with one lead to call, and an objection heard on another number (internal list, in clear)."""
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        lead = add_lead(session, campaign, 1, status="new")
        session.add(LeadPhone(lead_id=lead.id, campaign_id=campaign.id, e164=lead.phone_e164))  # as an import does
        add_do_not_call(session, "+33698765432", campaign.client_id, reason="objection")
        return campaign.client_id, lead.id


def _audit(sessions: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_add_search_in_any_format_and_remove_with_an_audited_reason(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    client_id, lead_id = _seed(sessions)
    login, password = make_user("supervisor")
    token = client_login(asgi_client, login, password)
    page = asgi_client.get(f"/dnc?scope={client_id}").text
    assert "+33 6** ** ** 32" in page and "98765432" not in page  # listed numbers are masked
    assert "objection" in page

    added = asgi_client.post("/dnc/add", data={"scope": str(client_id), "number": "06.12.34.00.01",
                                               "reason": "courrier du 1er décembre", "csrf_token": token})
    assert added.status_code == 303 and added.headers["location"] == f"/dnc?scope={client_id}&done=added"
    with sessions() as session:
        assert session.get_one(Lead, lead_id).status == "dnc"  # stopped at once
    (entry,) = _audit(sessions, "dnc_add")
    assert (entry.who, entry.role, entry.target) == (login, "supervisor", "client Charpentes Martin")
    assert "courrier du 1er décembre" in entry.detail and "12340001" not in entry.detail

    for typed in ("+33 6 12 34 00 01", "0033612340001", "06 12 34 00 01"):
        found = asgi_client.get("/dnc", params={"scope": client_id, "q": typed}).text
        assert "06 12 34 00 01" in found and "ne jamais l&#39;appeler" in found, typed
        assert "98765432" not in found  # only the searched number is shown in full
    again = asgi_client.post("/dnc/add", data={"scope": str(client_id), "number": "0612340001", "reason": "x",
                                               "csrf_token": token})  # fmt: skip
    assert again.headers["location"].endswith("done=known")

    removed = asgi_client.post("/dnc/remove", data={"scope": str(client_id), "number": "06 12 34 00 01",
                                                    "reason": "consentement écrit reçu", "csrf_token": token})
    assert removed.status_code == 303 and removed.headers["location"].endswith("done=removed")
    (gone,) = _audit(sessions, "dnc_remove")
    assert (gone.who, gone.target) == (login, "client Charpentes Martin")
    assert "consentement écrit reçu" in gone.detail and "1 entries" in gone.detail and "12340001" not in gone.detail
    assert "sur aucune liste" in asgi_client.get("/dnc", params={"scope": client_id, "q": "0612340001"}).text


def test_removing_takes_the_number_off_the_internal_list_too(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    client_id, _lead = _seed(sessions)
    token = client_login(asgi_client, *make_user("supervisor"))
    answer = asgi_client.post("/dnc/remove", data={"scope": str(client_id), "number": "06 98 76 54 32",
                                                   "reason": "erreur de saisie", "csrf_token": token})
    assert answer.headers["location"].endswith("done=removed")
    page = asgi_client.get(f"/dnc?scope={client_id}").text
    assert "+33 6** ** ** 32" not in page and "Aucun numéro sur cette liste." in page
    nothing = asgi_client.post("/dnc/remove", data={"scope": str(client_id), "number": "06 98 76 54 32",
                                                    "reason": "encore", "csrf_token": token})
    assert nothing.headers["location"].endswith("done=absent")


def test_the_centre_list_applies_to_every_client(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    client_id, lead_id = _seed(sessions)
    token = client_login(asgi_client, *make_user("supervisor"))
    answer = asgi_client.post("/dnc/add", data={"scope": "centre", "number": "+33612340001",
                                                "reason": "demande par téléphone", "csrf_token": token})
    assert answer.headers["location"] == "/dnc?scope=centre&done=added"
    with sessions() as session:
        assert session.get_one(Lead, lead_id).status == "dnc"
    found = asgi_client.get("/dnc", params={"scope": client_id, "q": "0612340001"}).text
    assert "liste du centre" in found
    assert _audit(sessions, "dnc_add")[0].target == "centre"
    assert "demande par téléphone" in asgi_client.get("/dnc?scope=centre").text


def test_bad_input_names_what_is_wrong_and_stores_nothing(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    client_id, _lead = _seed(sessions)
    token = client_login(asgi_client, *make_user("supervisor"))
    bad = asgi_client.post("/dnc/add", data={"scope": str(client_id), "number": "06 12", "reason": "x",
                                             "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and "Numéro « 06 12 » (région FR) refusé : trop court" in bad.text
    no_reason = asgi_client.post("/dnc/remove", data={"scope": str(client_id), "number": "0698765432",
                                                      "reason": " ", "csrf_token": token})
    assert no_reason.status_code == 422 and "Indiquez le motif" in no_reason.text
    assert asgi_client.get("/dnc", params={"scope": client_id, "q": "abc"}).status_code == 422
    assert asgi_client.get("/dnc?scope=999999").status_code == 404
    assert _audit(sessions, "dnc_add") == [] and _audit(sessions, "dnc_remove") == []
    assert "+33 6** ** ** 32" in asgi_client.get(f"/dnc?scope={client_id}").text
