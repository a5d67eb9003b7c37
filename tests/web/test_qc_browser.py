"""Quality control and the do-not-call screen in Debian's Chromium over real HTTP: the supervisor validates one
RDV and sends another back, the agent sees it on their screen; a number is added, searched and removed, and the
removal is in the audit log. Screenshots under var/test-artifacts/screens/qc-*.png and dnc-*.png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_services import get_appointment
from config.audit import AuditEntry
from tests.web.test_dnc_pages import _seed as seed_dnc
from tests.web.test_qc_pages import _seed as seed_qc


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_supervisor_validates_one_rdv_and_sends_one_back_to_the_agent(
        visit: Callable[[], Any], sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        login: Callable[[Any, str, str], None], shot: Callable[[Any, str], Path]) -> None:
    first, second, _old = seed_qc(sessions)
    chef = visit()
    login(chef, *make_user("supervisor", name="Chef de plateau"))
    chef.goto("/qc?day=2026-11-23")
    assert chef.locator("#qc-queue tbody tr").count() == 2
    shot(chef, "qc-queue")
    chef.click(f"text=RDV-{first:06d}")
    chef.get_by_role("button", name="Valider", exact=True).click()
    expect(chef.locator("body")).to_contain_text("Rendez-vous validé.")
    chef.click(f"text=RDV-{second:06d}")
    expect(chef.locator("body")).to_contain_text("Critères non respectés")
    shot(chef, "qc-sheet")
    chef.fill("#send-back-note", "Le prospect n'est pas propriétaire : vérifier avec lui")
    chef.get_by_role("button", name="Renvoyer au téléacteur", exact=True).click()
    expect(chef.locator("body")).to_contain_text("Rendez-vous renvoyé à son téléacteur.")
    assert chef.locator("#qc-queue").count() == 0  # nothing left to check that day
    shot(chef, "qc-queue-done")
    with sessions() as session:
        assert get_appointment(session, second).state == "returned_to_agent"

    agent = visit()
    login(agent, *make_user("teleoperator", login="agent7", name="Agent Sept"))
    agent.goto("/agent")
    sent_back = agent.locator("#sent-back")
    sent_back.wait_for()
    assert f"RDV-{second:06d}" in sent_back.inner_text() and "vérifier avec lui" in sent_back.inner_text()
    shot(agent, "qc-agent-sent-back")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_number_is_added_searched_and_removed_with_an_audit_entry(
        visit: Callable[[], Any], sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        login: Callable[[Any, str, str], None], shot: Callable[[Any, str], Path]) -> None:
    client_id, _lead = seed_dnc(sessions)
    chef = visit()
    login(chef, *make_user("supervisor", login="chef"))
    chef.goto("/dnc")
    chef.fill("#add-number", "06.12.34.00.01")
    chef.fill("#add-reason", "Courrier du 1er décembre")
    chef.get_by_role("button", name="Ajouter à la liste", exact=True).click()
    expect(chef.locator("body")).to_contain_text("Numéro ajouté à la liste d'opposition.")
    chef.fill("#q", "+33 6 12 34 00 01")
    chef.get_by_role("button", name="Rechercher", exact=True).click()
    result = chef.locator("#search-result").inner_text()
    assert "06 12 34 00 01" in result and "Courrier du 1er décembre" in result
    assert "98 76 54 32" not in chef.content()  # the other listed number stays masked
    shot(chef, "dnc-search")
    chef.fill("#remove-number", "0612340001")
    chef.fill("#remove-reason", "Consentement écrit reçu")
    chef.get_by_role("button", name="Retirer de la liste", exact=True).click()
    done = chef.locator("p.success")
    done.wait_for()
    assert "le retrait figure dans le journal d'audit" in done.inner_text()
    shot(chef, "dnc-removed")
    with sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "dnc_remove")).one()
        assert entry.who == "chef" and "Consentement écrit reçu" in entry.detail
    assert client_id
