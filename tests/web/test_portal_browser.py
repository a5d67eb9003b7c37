"""The portal in Debian's Chromium over real HTTP: a client sees only its RDVs, reports a visit as "chute" and
opens a dispute with a file; the supervisor answers and settles it as "fausse chute" with a proof; the RDV's
history shows every step. Screenshots under var/test-artifacts/screens/portal-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_services import get_appointment
from tests.campaigns.portal_helpers import PDF
from tests.web.portal_helpers import two_firms


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_chute_disputed_then_settled_as_fausse_chute_with_its_proof(
        visit: Callable[[], Any], sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        login: Callable[[Any, str, str], None], shot: Callable[[Any, str], Path], tmp_path: Path) -> None:
    mine, other = two_firms(sessions)
    proof = tmp_path / "attestation-proprietaire.pdf"
    proof.write_bytes(PDF)
    client = visit()
    login(client, *make_user("client", client=mine.client, name="Mme Martin"))
    client.goto("/portal")
    rows = client.locator("table.grid tbody tr")
    assert rows.count() == 1 and f"RDV-{other.rdv_id:06d}" not in client.content()
    shot(client, "portal-list")

    client.click(f"text=RDV-{mine.rdv_id:06d}")
    client.select_option("#outcome", "absent")
    # portal.js filters the reasons once the page has loaded: wait for it rather than read at once
    expect(client.locator("optgroup[data-outcome=honoured_sale]")).to_have_attribute("disabled", re.compile(".*"))
    client.select_option("#reason", "nobody_home")
    client.fill("#comment", "Volets fermés, personne à 14 h")
    client.get_by_role("button", name="Enregistrer le compte rendu", exact=True).click()
    expect(client.locator("body")).to_contain_text("Compte rendu de visite enregistré.")
    client.select_option("#ground", "not_conforming")
    client.fill("#dispute textarea[name=body]", "Le commercial dit que le prospect n'était pas propriétaire.")
    client.set_input_files("#dispute input[type=file]", str(proof))
    client.get_by_role("button", name="Ouvrir la contestation", exact=True).click()
    expect(client.locator("body")).to_contain_text("Contestation envoyée au centre d'appels.")
    shot(client, "portal-sheet-disputed")

    chef = visit()
    login(chef, *make_user("supervisor", name="Chef de plateau"))
    chef.goto("/disputes")
    shot(chef, "portal-disputes")
    chef.click("table.grid tbody tr >> a")
    chef.fill("textarea[name=body]", "Nous avons réécouté l'appel : le prospect se dit propriétaire.")
    chef.get_by_role("button", name="Envoyer", exact=True).click()
    chef.check("input[value=false_cancellation]")
    chef.fill("#reason", "Titre de propriété fourni par le prospect ; visite réalisée.")
    chef.fill("#reference", "TP-2026-0042")
    chef.set_input_files("#proof", str(proof))
    chef.get_by_role("button", name="Trancher", exact=True).click()
    expect(chef.locator("body")).to_contain_text("Tranchée par")
    shot(chef, "portal-dispute-settled")

    client.reload()
    history = client.locator("#history").inner_text()
    for step in ("État : envoyé au client", "Compte rendu de visite : prospect absent (chute)",
                 "État : annulé par le client", "Contestation n° 1 ouverte", "Message dans la contestation n° 1",
                 "Contestation n° 1 tranchée : fausse chute", "État : fausse chute"):
        assert step in history, step
    shot(client, "portal-sheet-history")
    client.click("text=Téléchargements")
    expect(client.locator("body")).to_contain_text(f"RDV_{mine.campaign_id}.pdf")
    assert f"RDV_{other.campaign_id}.pdf" not in client.content()
    shot(client, "portal-downloads")
    with sessions() as session:
        settled = get_appointment(session, mine.rdv_id)
        assert (settled.state, settled.proof_reference) == ("false_cancellation", "TP-2026-0042")
        assert settled.events[-1].by == chef_login(sessions)


def chef_login(sessions: sessionmaker[Session]) -> str:
    from sqlalchemy import select

    from rdv.web.models import User

    with sessions() as session:
        return session.scalars(select(User.login).where(User.role == "supervisor")).one()
