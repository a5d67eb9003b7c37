"""`rdv dnc`: opposition lists per client and centre-wide, stored as keyed hashes, applied at once and at import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from config import audit
from leads.dnc import HashedOptOut
from leads.models import DoNotCall, Lead
from rdv import db
from rdv.cli import app
from tests.leads.conftest import write_csv
from tests.rdv.privacy_harness import command_line

PHONES = ["06 12 34 56 01", "06 12 34 56 02", "06 12 34 56 03"]


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Two clients with a campaign each; the same three numbers imported into both."""
    rows = [["Nom", "Portable", "Code postal"], *[[f"NOM{i}", p, "35000"] for i, p in enumerate(PHONES)]]
    file = str(write_csv(tmp_path / "f.csv", rows))
    return command_line(database_url, tmp_path, monkeypatch, ["client", "add", "Martin"], ["client", "add", "Durand"],
                        ["campaign", "create", "Toitures", "--client", "Martin"],
                        ["campaign", "create", "Fenêtres", "--client", "Durand"],
                        ["leads", "import", file, "--campaign", "Toitures"],
                        ["leads", "import", file, "--campaign", "Fenêtres"])


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


def statuses(sessions: sessionmaker[Session]) -> dict[tuple[int, str], str]:
    with sessions() as session:
        return {(lead.campaign_id, lead.phone_e164[-2:]): lead.status for lead in session.scalars(select(Lead))}


def test_a_clients_list_stops_its_leads_at_once_and_leaves_the_other_client_alone(
    rdv: CliRunner, sessions: sessionmaker[Session]
) -> None:
    done = rdv.invoke(app, ["dnc", "add", "0612345601", "--client", "Martin", "--reason", "courrier"])
    assert done.exit_code == 0, done.output
    assert "1 numéro ajouté à la liste (0 y figurait déjà)." in done.output
    assert "1 fiche ne sera plus appelée." in done.output
    assert statuses(sessions)[(1, "01")] == "dnc" and statuses(sessions)[(2, "01")] == "new"
    checked = rdv.invoke(app, ["dnc", "check", "06 12 34 56 01", "--client", "Martin"])
    assert "figure sur une liste d'opposition pour Martin" in checked.output
    assert "ne figure sur aucune liste d'opposition pour Durand" in rdv.invoke(
        app, ["dnc", "check", "0612345601", "--client", "Durand"]).output
    with sessions() as session:
        stored = session.scalars(select(HashedOptOut)).one()
        assert len(stored.digest) == 64 and "612345601" not in stored.digest
        (entry,) = [e for e in audit.entries(session) if e.action == "dnc_add"]
        assert entry.target == "client Martin" and "0612" not in entry.detail and "+33" not in entry.detail
        # Only the keyed hash is stored: the internal (clear) list has nothing of it.
        assert session.scalars(select(DoNotCall)).all() == []


def test_an_external_list_is_centre_wide_refuses_later_imports_and_names_unreadable_rows(
    rdv: CliRunner, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    listing = write_csv(tmp_path / "opposition.csv", [["0612345602"], ["+33 6 12 34 56 03"], ["pas un numéro"]])
    done = rdv.invoke(app, ["dnc", "import", str(listing)])
    assert done.exit_code == 0, done.output
    assert "1 numéro illisible écarté (ligne 3)." in done.output
    assert "2 numéros ajoutés à la liste" in done.output and "4 fiches ne seront plus appelées." in done.output
    assert {k: v for k, v in statuses(sessions).items() if v == "dnc"}.keys() == {
        (1, "02"), (1, "03"), (2, "02"), (2, "03")}
    assert rdv.invoke(app, ["campaign", "create", "Volets", "--client", "Durand"]).exit_code == 0
    again = rdv.invoke(app, ["leads", "import", str(tmp_path / "f.csv"), "--campaign", "Volets"])
    assert again.exit_code == 0, again.output
    with sessions() as session:
        assert len(session.scalars(select(Lead).where(Lead.campaign_id == 3)).all()) == 1
    removed = rdv.invoke(app, ["dnc", "remove", "0612345602"])
    assert "1 numéro retiré de la liste." in removed.output
    bad = rdv.invoke(app, ["dnc", "add", "12"])
    assert bad.exit_code == 2


def test_a_database_restored_without_its_secrets_file_refuses_the_new_key_and_lists_nothing_under_it(
        rdv: CliRunner, sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opposition numbers are hashed under the data folder's key: a database restored without that folder would
    get a new key, under which the stored list matches no number. The key is checked against the database."""
    assert rdv.invoke(app, ["dnc", "add", "0612345601", "--client", "Martin", "--reason", "courrier"]).exit_code == 0
    original = (tmp_path / "var" / "secrets.toml").read_text(encoding="utf-8")
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "restored-without-its-folder"))
    refused = rdv.invoke(app, ["dnc", "check", "06 12 34 56 01", "--client", "Martin"])
    assert refused.exit_code != 0
    assert "La clé dnc_key n'est pas celle avec laquelle cette base a été écrite" in refused.output, refused.output
    assert "secrets.toml" in refused.output and "Traceback" not in refused.output
    later = rdv.invoke(app, ["leads", "import", str(tmp_path / "f.csv"), "--campaign", "Toitures"])
    assert later.exit_code != 0 and "dnc_key" in later.output, "no import hashes under the wrong key"
    with sessions() as session:
        assert len(list(session.scalars(select(HashedOptOut)))) <= 1, "nothing stored under the new key"

    restored = tmp_path / "restored-without-its-folder" / "secrets.toml"
    restored.write_text(original, encoding="utf-8")  # the secrets file of the same backup brought back
    listed = rdv.invoke(app, ["dnc", "check", "06 12 34 56 01", "--client", "Martin"])
    assert listed.exit_code == 0, listed.output
    assert "ne figure sur aucune" not in listed.output, listed.output
