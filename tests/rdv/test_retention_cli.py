"""`rdv client retention` and `rdv retention run`, with their trace in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from config import audit
from leads.models import Lead
from rdv import db
from rdv.cli import app
from rdv.cli.common import console
from tests.leads.conftest import write_csv


def test_retention_is_set_per_client_and_run_on_demand(database_url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    rdv = CliRunner()
    file = write_csv(tmp_path / "f.csv", [["Nom", "Portable", "Code postal"], ["MARTIN", "0612345601", "35000"]])
    for args in (["client", "add", "Martin"], ["campaign", "create", "Toitures", "--client", "Martin"],
                 ["leads", "import", str(file), "--campaign", "Toitures"]):
        assert rdv.invoke(app, args).exit_code == 0
    shown = rdv.invoke(app, ["client", "retention", "Martin"])
    assert "Martin : prospects anonymisés 3 ans après le dernier contact" in shown.output, shown.output
    done = rdv.invoke(app, ["client", "retention", "Martin", "--prospects", "2", "--records", "6"])
    assert "2 ans après le dernier contact ; historique des appels et fiches RDV conservés 6 ans." in done.output
    ran = rdv.invoke(app, ["retention", "--at", "2031-01-01T00:00+00:00"])
    assert ran.exit_code == 0 and "Fiches anonymisées" in ran.output, ran.output
    engine = db.make_engine(database_url)
    with db.session_factory(engine)() as session:
        assert session.scalars(select(Lead.last_name)).one() == ""
        assert [e.action for e in audit.entries(session)][-2:] == ["change", "anonymise"]
    engine.dispose()
