"""`rdv audit list|verify`, and the commands that touch personal data leaving their trace in the audit log."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from config import audit
from leads.models import Lead
from rdv import db
from rdv.cli import app
from rdv.cli.audit import id_ranges
from tests.leads.conftest import write_csv
from tests.rdv.privacy_harness import command_line

CAMPAIGN = "Prise de RDV Charpente"
PHONES = ["06 12 34 56 01", "06 12 34 56 02", "06 12 34 56 03"]


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The command line with a client, a campaign and three imported leads."""
    rows = [["Nom", "Portable", "Code postal"], *[[f"NOM{i}", p, "35000"] for i, p in enumerate(PHONES)]]
    return command_line(database_url, tmp_path, monkeypatch,
                        ["client", "add", "Charpentes Martin", "--email", "rdv@martin.fr"],
                        ["campaign", "create", CAMPAIGN, "--client", "Charpentes Martin"],
                        ["leads", "import", str(write_csv(tmp_path / "f.csv", rows)), "--campaign", CAMPAIGN])


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


def test_imports_views_exports_and_consent_changes_are_in_the_log_with_who_and_from_where(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        ids = sorted(session.scalars(select(Lead.id)))
    assert rdv.invoke(app, ["leads", "show", str(ids[0])]).exit_code == 0
    assert rdv.invoke(app, ["export", "leads", "--campaign", CAMPAIGN, "--out", str(tmp_path / "x.csv")]).exit_code == 0
    consent = ["--campaign", CAMPAIGN, "--source", "formulaire web", "--date", "2026-11-20", "--text-ref", "CGU-3"]
    assert rdv.invoke(app, ["leads", "consent", str(ids[0]), str(ids[1]), *consent]).exit_code == 0
    assert rdv.invoke(app, ["leads", "consent", str(ids[1]), "--campaign", CAMPAIGN, "--revoke",
                            "--source", "courriel"]).exit_code == 0
    with sessions() as session:
        log = [(e.who, e.role, e.address, e.action, e.target) for e in audit.entries(session)]
        details = [e.detail for e in audit.entries(session)]
    me = getpass.getuser()
    assert log == [(me, "supervisor", "cli", "import", f"campaign {CAMPAIGN}"),
                   (me, "supervisor", "cli", "view", f"lead {ids[0]}"),
                   (me, "supervisor", "cli", "export", f"campaign {CAMPAIGN}"),
                   (me, "supervisor", "cli", "consent", f"campaign {CAMPAIGN}"),
                   (me, "supervisor", "cli", "consent_revoked", f"campaign {CAMPAIGN}")]
    assert details[3] == f"leads {ids[0]}-{ids[1]}; source: formulaire web; proof: CGU-3"
    assert details[4] == f"leads {ids[1]}; channel: courriel"
    # The log holds ids, never a prospect's name or number.
    assert not any("NOM" in d or "0612" in d or "+336" in d for d in details)

    listed = rdv.invoke(app, ["audit", "list", "--what", "consent"])
    assert listed.exit_code == 0, listed.output
    assert "consentement enregistré" in listed.output and "consentement retiré" in listed.output
    assert "superviseur" in listed.output and "2 entrées." in listed.output
    assert "1 entrée." in rdv.invoke(app, ["audit", "list", "--what", f"lead {ids[0]}"]).output
    assert "0 entrée." in rdv.invoke(app, ["audit", "list", "--who", "personne"]).output
    assert "0 entrée." in rdv.invoke(app, ["audit", "list", "--to", "01/01/2000"]).output
    assert "5 entrées." in rdv.invoke(app, ["audit", "list", "--from", "01/01/2000"]).output
    bad = rdv.invoke(app, ["audit", "list", "--from", "hier"])
    assert bad.exit_code == 2 and "--from : date illisible « hier »" in bad.output


def test_verify_says_intact_then_names_the_entry_tampered_with(
    rdv: CliRunner, sessions: sessionmaker[Session], database_url: str
) -> None:
    done = rdv.invoke(app, ["audit", "verify"])
    assert done.exit_code == 0 and "Journal d'audit intact : 1 entrée vérifiée" in done.output, done.output
    engine = db.make_engine(database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET who = 'quelqu''un' WHERE seq = 1"))
    engine.dispose()
    done = rdv.invoke(app, ["audit", "verify"])
    assert done.exit_code == 1
    assert "Entrée 1 : son contenu a été modifié après son écriture" in done.output
    assert "Le journal d'audit a été altéré : 1 rupture trouvée." in done.output


def test_lead_ids_are_written_as_ranges() -> None:
    assert id_ranges([9, 3, 4, 5, 7, 3]) == "3-5,7,9"
    assert id_ranges([]) == ""
