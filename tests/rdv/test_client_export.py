"""`rdv client export`: everything the client owns in CSV and JSON with a manifest of counts and SHA-256 sums,
formula-safe, nothing of another client; and the monthly standard export job."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from config.clock import ManualClock
from rdv import db
from rdv.cli import app
from rdv.client_export import ClientExport
from rdv.jobs import MailContext, monthly_export_job
from reports.mailer import FolderTransport
from tests.leads.conftest import write_csv
from tests.rdv.privacy_harness import command_line


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Two clients, Martin's leads with a formula for a name."""
    header = ["Nom", "Portable", "Code postal"]
    mine = write_csv(tmp_path / "m.csv", [header, ["=HYPERLINK(\"x\")", "0612345601", "35000"],
                                          ["DUPONT", "0612345602", "69003"]])
    theirs = write_csv(tmp_path / "d.csv", [header, ["AUTRECLIENT", "0699887766", "75001"]])
    return command_line(database_url, tmp_path, monkeypatch, ["client", "add", "Martin"], ["client", "add", "Durand"],
                        ["campaign", "create", "Toitures", "--client", "Martin"],
                        ["campaign", "create", "Fenêtres", "--client", "Durand"],
                        ["leads", "import", str(mine), "--campaign", "Toitures"],
                        ["leads", "import", str(theirs), "--campaign", "Fenêtres"])


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


def test_the_export_holds_the_clients_data_with_a_manifest_that_proves_it(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    out = tmp_path / "export-martin"
    done = rdv.invoke(app, ["client", "export", "Martin", "--out", str(out)])
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    checksum = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert checksum in done.output.replace("\n", "")
    assert manifest["client"] == "Martin" and manifest["counts"]["leads"] == 2
    assert manifest["counts"]["campaigns"] == 1 and manifest["counts"]["lead_phones"] == 2
    for entry in manifest["files"]:
        path = out / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert path.stat().st_size == entry["bytes"]
    listed = {entry["file"] for entry in manifest["files"]}
    assert listed == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    with (out / "leads.csv").open(encoding="utf-8", newline="") as handle:
        leads = list(csv.DictReader(handle))
    assert sorted(row["last_name"] for row in leads) == ["'=HYPERLINK(\"x\")", "DUPONT"]
    assert {row["phone_e164"] for row in leads} == {"+33612345601", "+33612345602"}
    rows = json.loads((out / "leads.json").read_text(encoding="utf-8"))
    assert sorted(row["last_name"] for row in rows) == ["=HYPERLINK(\"x\")", "DUPONT"]
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"AUTRECLIENT" not in everything and b"699887766" not in everything
    with sessions() as session:
        (record,) = session.scalars(select(ClientExport)).all()
        assert (record.client_name, record.manifest_sha256, record.rows) == (
            "Martin", checksum, sum(manifest["counts"].values()))
    again = rdv.invoke(app, ["client", "export", "Martin", "--out", str(out)])
    assert again.exit_code == 2 and "le dossier n'est pas vide" in again.output


def test_the_monthly_standard_export_runs_once_per_client_and_month(
    rdv: CliRunner, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    ctx = MailContext(sessions, clock, "rdv@example.invalid", FolderTransport(tmp_path / "mails"), "Europe/Paris",
                      tmp_path / "exports")
    job = monthly_export_job(ctx, tmp_path / "exports")
    job.run(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    job.run(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    assert sorted(str(p.relative_to(tmp_path / "exports")) for p in (tmp_path / "exports").glob("*/*")) == [
        "1-martin/2026-11", "2-durand/2026-11"]
    with sessions() as session:
        assert len(session.scalars(select(ClientExport)).all()) == 2
