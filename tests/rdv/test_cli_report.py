"""`rdv report weekly` on the embedded defaults: the files by hand, the e-mail once, bad input in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from rdv.bootstrap import bootstrap
from rdv.cli import app
from tests.reports.weekly_helpers import seed_weeks

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("RDV_SMTP_HOST", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "var"


def test_a_supervisor_builds_a_weeks_dashboard_and_sends_it_once(data_dir: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    application = bootstrap()
    with application.sessions.begin() as session:
        seed_weeks(session, calls_per_day=4)
    application.close()
    out = tmp_path / "semaine"
    args = ["report", "weekly", "--campaign", "Prise de RDV Charpente", "--week", "2026-W50", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Écrit :" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["resultats_Prise-de-RDV-Charpente_2026-W50.xlsx",
                     "tableau-de-bord_Prise-de-RDV-Charpente_2026-W50.eml",
                     "tableau-de-bord_Prise-de-RDV-Charpente_2026-W50.xlsx"]  # fmt: skip
    headline = load_workbook(out / names[2])["Chiffres clés"]
    assert (headline["A5"].value, headline["B5"].value) == ("Appels passés", 20)
    sent = runner.invoke(app, [*args, "--send"])
    assert sent.exit_code == 0 and "1 remis" in sent.output, sent.output
    again = runner.invoke(app, [*args, "--send"])
    assert "déjà été envoyé" in again.output
    assert len(list((data_dir / "outbox").glob("*.eml"))) == 1


def test_a_week_written_wrong_is_one_french_line_and_exit_2(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    application = bootstrap()
    with application.sessions.begin() as session:
        seed_weeks(session, calls_per_day=1)
    application.close()
    result = runner.invoke(app, ["report", "weekly", "--campaign", "Prise de RDV Charpente", "--week", "2026-49"])
    assert result.exit_code == 2
    assert "Semaine invalide 2026-49 : écrivez une semaine ISO, par exemple 2026-W49" in result.output
    unknown = runner.invoke(app, ["report", "weekly", "--campaign", "Nulle part"])
    assert unknown.exit_code == 2 and "Nulle part" in unknown.output
