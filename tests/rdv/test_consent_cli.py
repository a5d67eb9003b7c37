"""Consent as the import report, `rdv campaign check`, the hopper and `rdv leads consent` see it: one rule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from campaigns.hopper import claim_leads
from campaigns.store import get_campaign
from leads.models import Lead, LeadConsent
from rdv import db
from rdv.cli import app
from rdv.cli.common import console
from tests.leads.conftest import write_csv

CAMPAIGN = "Prise de RDV Charpente"
# Monday 7 December 2026, 15:00 in Paris: fr-consumer requires consent, every zone is open.
MONDAY = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
HEADERS = ["Nom", "Portable", "Code postal", "Date de consentement"]
PHONES = ["06 12 34 56 01", "06 12 34 56 02", "06 12 34 56 03", "06 12 34 56 04", "06 12 34 56 05"]


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line with a client and a started fr-consumer campaign of five leads with a consent date only."""
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in (["client", "add", "Charpentes Martin", "--email", "rdv@martin.fr"],
                 ["campaign", "create", CAMPAIGN, "--client", "Charpentes Martin"],
                 ["campaign", "start", CAMPAIGN, "--at", "2026-11-30T09:00+01:00"]):
        assert runner.invoke(app, args).exit_code == 0
    return runner


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


def imported(rdv: CliRunner, tmp_path: Path) -> str:
    rows = [[f"LEAD{i}", phone, "35000", "14/03/2026"] for i, phone in enumerate(PHONES)]
    done = rdv.invoke(app, ["leads", "import", str(write_csv(tmp_path / "f.csv", [HEADERS, *rows])),
                            "--campaign", CAMPAIGN])
    assert done.exit_code == 0, done.output
    return done.output


def figure(output: str, label: str) -> int:
    found = re.search(rf"{re.escape(label)}[\s│]+(\d+)", output)
    assert found, output
    return int(found.group(1))


def test_a_consent_date_alone_is_no_provable_consent_for_the_report_the_check_and_the_hopper(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    report = imported(rdv, tmp_path)
    assert figure(report, "Consentement prouvable (date, source et preuve)") == 0
    assert figure(report, "Ni consentement prouvable ni contrat") == 5
    assert figure(report, "dont consentement incomplet (date, source ou preuve manquante)") == 5
    check = rdv.invoke(app, ["campaign", "check", CAMPAIGN, "--at", "2026-12-07T15:00+01:00"])
    assert "5 fiches n'ont ni consentement prouvable" in check.output
    with sessions.begin() as session:
        assert claim_leads(session, get_campaign(session, CAMPAIGN).id, MONDAY, 10, "d1") == []


def test_consent_recorded_from_a_file_of_phones_makes_the_leads_callable_at_once(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    imported(rdv, tmp_path)
    proofs = write_csv(tmp_path / "consentements.csv", [["Téléphone"], ["+33612345601"], ["0612345602"]])
    done = rdv.invoke(app, ["leads", "consent", str(proofs), "--campaign", CAMPAIGN, "--source", "formulaire web",
                            "--date", "20/11/2026 10:22", "--text-ref", "CGU-2026-v3", "--by", "Sophie"])
    assert done.exit_code == 0, done.output
    assert "Consentement enregistré pour 2 fiches" in done.output
    assert figure(done.output, "Fiches écartées faute de consentement et désormais appelables :") == 2
    check = rdv.invoke(app, ["campaign", "check", CAMPAIGN, "--at", "2026-12-07T15:00+01:00"])
    assert "3 fiches n'ont ni consentement prouvable" in check.output
    with sessions.begin() as session:
        cid = get_campaign(session, CAMPAIGN).id
        claimed = {t.phone_e164 for t in claim_leads(session, cid, MONDAY, 10, "d1")}
        assert claimed == {"+33612345601", "+33612345602"}
        journal = session.scalars(select(LeadConsent)).all()
        assert {(j.action, j.source, j.text_ref, j.recorded_by) for j in journal} == {
            ("recorded", "formulaire web", "CGU-2026-v3", "Sophie")}
        assert {j.consent_at for j in journal} == {datetime(2026, 11, 20, 9, 22, tzinfo=UTC)}  # Paris time


def test_one_unmatched_row_is_reported_with_the_others_and_nothing_is_recorded(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    imported(rdv, tmp_path)
    proofs = write_csv(tmp_path / "c.csv", [["Portable"], ["0612345601"], ["0699999999"], ["12"], ["0612345603"]])
    done = rdv.invoke(app, ["leads", "consent", str(proofs), "--campaign", CAMPAIGN, "--source", "salon",
                            "--date", "2026-11-20", "--text-ref", "BON-12"])
    assert done.exit_code == 2, done.output
    assert "c.csv ligne 3" in done.output and "aucune fiche de la campagne avec ce téléphone" in done.output
    assert "c.csv ligne 4" in done.output and "trop court" in done.output
    assert "c.csv ligne 2" not in done.output
    assert "2 lignes ne correspondent à aucune fiche : rien n'a été enregistré" in done.output
    with sessions() as session:
        assert session.scalars(select(LeadConsent)).all() == []
        assert set(session.scalars(select(Lead.consent_source))) == {""}


def test_consent_by_lead_id_then_revoked_leaves_the_lead_uncallable(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    imported(rdv, tmp_path)
    with sessions() as session:
        first = min(session.scalars(select(Lead.id)))
    args = ["--campaign", CAMPAIGN, "--source", "appel entrant", "--date", "2026-11-20", "--text-ref", "ENR-7"]
    assert rdv.invoke(app, ["leads", "consent", str(first), *args]).exit_code == 0
    unknown = rdv.invoke(app, ["leads", "consent", str(first + 999), *args])
    assert unknown.exit_code == 2 and f"fiche n° {first + 999}" in unknown.output
    done = rdv.invoke(app, ["leads", "consent", str(first), "--campaign", CAMPAIGN, "--revoke",
                            "--source", "courriel du 1er décembre"])
    assert done.exit_code == 0, done.output
    assert "Consentement retiré pour 1 fiche" in done.output
    with sessions.begin() as session:
        assert claim_leads(session, get_campaign(session, CAMPAIGN).id, MONDAY, 10, "d1") == []
        lead = session.get_one(Lead, first)
        assert (lead.consent_at, lead.consent_source, lead.consent_proof, lead.status) == (None, "", "", "no_consent")
        actions = [j.action for j in session.scalars(select(LeadConsent).order_by(LeadConsent.id))]
        assert actions == ["recorded", "revoked"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--source", "salon", "--date", "2026-11-20"], "indiquez --date, --source et --text-ref"),
        (["--source", "salon", "--date", "31/13/2026", "--text-ref", "R"], "date illisible « 31/13/2026 »"),
        (["--source", "salon", "--date", "2099-01-01", "--text-ref", "R"], "est dans le futur"),
    ],
)
def test_a_consent_that_proves_nothing_is_refused_in_french(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session], args: list[str], words: str
) -> None:
    imported(rdv, tmp_path)
    with sessions() as session:
        first = min(session.scalars(select(Lead.id)))
    done = rdv.invoke(app, ["leads", "consent", str(first), "--campaign", CAMPAIGN, *args])
    assert done.exit_code == 2 and words in done.output, done.output
    with sessions() as session:
        assert session.scalars(select(LeadConsent)).all() == []


def test_consent_from_a_workbook_of_lead_ids(rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    imported(rdv, tmp_path)
    with sessions() as session:
        ids = sorted(session.scalars(select(Lead.id)))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["N° fiche", "Commentaire"])
    for lead_id in ids[:3]:
        sheet.append([lead_id, "rappel souhaité"])
    book.save(tmp_path / "fiches.xlsx")
    done = rdv.invoke(app, ["leads", "consent", str(tmp_path / "fiches.xlsx"), "--campaign", CAMPAIGN,
                            "--source", "salon de l'habitat", "--date", "2026-11-20", "--text-ref", "BON-3"])
    assert done.exit_code == 0, done.output
    assert "Consentement enregistré pour 3 fiches" in done.output
    with sessions() as session:
        assert sorted(session.scalars(select(LeadConsent.lead_id))) == ids[:3]
