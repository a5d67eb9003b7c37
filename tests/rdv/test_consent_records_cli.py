"""`rdv consent import|show|revoke` and `rdv leads show`: consent records with their scope, expiry and revocation,
and what the hopper makes of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from campaigns.hopper import claim_leads
from campaigns.store import get_campaign
from config import audit
from leads.consent_models import ConsentGrant
from leads.models import Lead
from rdv import db
from rdv.cli import app
from tests.leads.conftest import write_csv
from tests.rdv.privacy_harness import command_line

CAMPAIGN = "Prise de RDV Isolation"
MONDAY = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
PHONES = ["06 12 34 56 01", "06 12 34 56 02", "06 12 34 56 03"]
HEADERS = ["Téléphone", "Date de consentement", "Source", "Preuve", "Texte affiché", "Produits", "Expiration",
           "Hors horaires", "Type"]


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A started fr-consumer campaign with three leads and no consent at all."""
    rows = [["Nom", "Portable", "Code postal"], *[[f"NOM{i}", p, "35000"] for i, p in enumerate(PHONES)]]
    return command_line(database_url, tmp_path, monkeypatch,
                        ["client", "add", "Isolation Durand", "--email", "rdv@durand.fr"],
                        ["campaign", "create", CAMPAIGN, "--client", "Isolation Durand"],
                        ["campaign", "start", CAMPAIGN, "--at", "2026-11-30T09:00+01:00"],
                        ["leads", "import", str(write_csv(tmp_path / "f.csv", rows)), "--campaign", CAMPAIGN])


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


def claimed(sessions: sessionmaker[Session], at: datetime = MONDAY) -> set[str]:
    with sessions.begin() as session:
        found = claim_leads(session, get_campaign(session, CAMPAIGN).id, at, 10, "d1")
        session.rollback()
        return {t.phone_e164 for t in found}


def test_a_file_of_consents_makes_records_the_hopper_reads_and_show_explains(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    assert claimed(sessions) == set()
    file = write_csv(tmp_path / "consentements.csv", [HEADERS,
        ["0612345601", "20/11/2026 10:22", "formulaire web", "ENR-1", "CGU v3", "isolation", "", "oui", "formulaire"],
        ["0612345602", "01/09/2026", "partenaire Habitat+", "ENR-2", "", "", "01/12/2026", "non", "partenaire"],
        ["0612345603", "", "", "", "", "", "", "", "contrat"]])
    done = rdv.invoke(app, ["consent", "import", str(file), "--campaign", CAMPAIGN])
    assert done.exit_code == 0, done.output
    assert "Consentement enregistré pour 3 fiches depuis consentements.csv." in done.output
    # The second consent expired on 1 December; the contract counts (fr-consumer accepts it).
    assert claimed(sessions) == {"+33612345601", "+33612345603"}
    with sessions() as session:
        ids = {lead.phone_e164: lead.id for lead in session.scalars(select(Lead))}
        first = session.scalars(select(ConsentGrant).where(ConsentGrant.lead_id == ids["+33612345601"])).one()
        assert (first.kind, first.text_ref, first.products, first.hours_exempt, first.origin) == (
            "form", "CGU v3", "isolation", True, "consentements.csv")
        assert first.given_at == datetime(2026, 11, 20, 9, 22, tzinfo=UTC)
        assert [e.action for e in audit.entries(session)][-1] == "consent"
    shown = rdv.invoke(app, ["consent", "show", str(ids["+33612345602"])])
    assert shown.exit_code == 0, shown.output
    assert "peut pas être appelée : consentement expiré le mardi 1er décembre 2026" in shown.output
    details = rdv.invoke(app, ["leads", "show", str(ids["+33612345601"])])
    assert ("Consentement : peut être appelée : consentement donné le vendredi 20 novembre 2026 (formulaire web, "
            "preuve ENR-1) ; y compris hors des jours et heures légaux.") in details.output, details.output


def test_a_revocation_keeps_the_record_with_its_date_and_channel_and_stops_the_calls(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    file = write_csv(tmp_path / "c.csv", [HEADERS, ["0612345601", "20/11/2026", "salon", "BON-7", "", "", "", "", ""]])
    assert rdv.invoke(app, ["consent", "import", str(file), "--campaign", CAMPAIGN]).exit_code == 0
    assert claimed(sessions) == {"+33612345601"}
    with sessions() as session:
        lead_id = session.scalars(select(Lead.id).where(Lead.phone_e164 == "+33612345601")).one()
    done = rdv.invoke(app, ["consent", "revoke", str(lead_id), "--campaign", CAMPAIGN, "--channel",
                            "appel entrant", "--date", "01/12/2026 11:00"])
    assert done.exit_code == 0, done.output
    assert claimed(sessions) == set()
    with sessions() as session:
        grant = session.scalars(select(ConsentGrant)).one()
        assert (grant.revoked_at, grant.revoke_channel) == (datetime(2026, 12, 1, 10, 0, tzinfo=UTC), "appel entrant")
        assert [e.action for e in audit.entries(session)][-1] == "consent_revoked"
    shown = rdv.invoke(app, ["consent", "show", str(lead_id)])
    assert "consentement retiré le mardi 1er décembre 2026 (appel entrant)" in shown.output, shown.output
    assert "retiré" in shown.output


def test_a_file_with_a_bad_row_names_every_problem_and_records_nothing(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    file = write_csv(tmp_path / "c.csv", [HEADERS,
        ["0612345601", "20/11/2026", "salon", "BON-7", "", "", "", "", ""],
        ["0612345602", "20/11/2026", "", "BON-8", "", "", "", "peut-être", ""],
        ["0699999999", "31/02/2026", "salon", "BON-9", "", "", "", "", "courrier"]])
    done = rdv.invoke(app, ["consent", "import", str(file), "--campaign", CAMPAIGN])
    assert done.exit_code == 2
    assert "c.csv ligne 3" in done.output and "pas de source" in done.output and "« peut-être »" in done.output
    assert "c.csv ligne 4" in done.output and "date illisible « 31/02/2026 »" in done.output
    assert "courrier" in done.output
    assert "2 lignes sont erronées : rien n'a été enregistré" in done.output
    with sessions() as session:
        assert session.scalars(select(ConsentGrant)).all() == []
