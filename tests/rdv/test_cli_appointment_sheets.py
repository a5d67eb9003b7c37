"""The supervisor's commands for scripts, the daily e-mail, the outbox and the call log, on the embedded defaults."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.policy import default
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns import store
from campaigns.appointment_services import book_appointment
from rdv.bootstrap import bootstrap
from rdv.cli import app
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, SAMPLE, add_attempt, add_lead, visit_days_after

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("RDV_SMTP_HOST", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "var"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_supervisor_loads_a_script_sends_the_daily_mail_and_exports_the_calls(data_dir: Path) -> None:
    _run("client", "add", "Charpentes Martin", "--email", "rdv@charpentes-martin.fr")
    _run("campaign", "create", "Prise de RDV Charpente", "--client", "Charpentes Martin")
    assert "Version 1 du script" in _run("campaign", "script", "Prise de RDV Charpente", "--load", str(SAMPLE))
    shown = _run("campaign", "script", "Prise de RDV Charpente", "--show")
    assert "Tous les décideurs seront présents lors de la visite" in shown
    now = datetime.now(UTC)
    application = bootstrap()
    with application.sessions.begin() as session:
        campaign = store.get_campaign(session, "Prise de RDV Charpente")
        attempt = add_attempt(session, add_lead(session, campaign, 1), now - timedelta(minutes=5))
        # Today's clock (the CLI reads it): a visit slot the script offers, two days or more from now.
        book_appointment(session, attempt_id=attempt.id, slot=visit_days_after(now, days=2),
                         answers=CONFORM_ANSWERS, agent="agent7", now=now)
    application.close()

    assert "E-mail quotidien n° 1 prêt" in _run("mail", "daily", "--campaign", "Prise de RDV Charpente")
    assert "Rien à envoyer" in _run("mail", "daily", "--campaign", "Prise de RDV Charpente")
    listing = _run("mail", "outbox")
    assert "RDV du" in listing and "daily_rdv" not in listing and "1 message listé." in listing
    assert "Remis : 1" in _run("mail", "send-pending")
    (eml,) = (data_dir / "outbox").glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert parsed["To"] == "rdv@charpentes-martin.fr"
    assert "0 message listé." in _run("mail", "outbox")

    out = data_dir.parent / "calls.csv"
    assert "1 appel écrit dans" in _run("export", "calls", "--campaign", "Prise de RDV Charpente", "--out", str(out))
    assert out.read_text(encoding="utf-8-sig").startswith("N° d'appel;N° de fiche;Tentative;Téléphone;")
    _run("export", "calls", "--campaign", "Prise de RDV Charpente", "--out", str(out), "--format", "raw")
    assert out.read_text(encoding="utf-8-sig").startswith("attempt_id;lead_id;attempt_no;phone_e164")


def test_a_bad_script_file_is_one_clear_line_and_exit_code_2(data_dir: Path, tmp_path: Path) -> None:
    _run("client", "add", "Acme", "--email", "rdv@acme.example")
    _run("campaign", "create", "Toitures", "--client", "Acme")
    bad = tmp_path / "toitures.toml"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace('type = "yes_no"', 'type = "oui_non"'), "utf-8")
    result = runner.invoke(app, ["campaign", "script", "Toitures", "--load", str(bad)])
    assert result.exit_code == 2
    assert "toitures.toml : questions[0].type : type oui_non inconnu" in " ".join(result.output.split())
