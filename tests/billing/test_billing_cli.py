"""`rdv billing` and `rdv invoice` from the command line: one clear French line and exit 2 on bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns import store
from rdv import db
from rdv.cli import app
from tests.billing.helpers import SAMPLE, add_rdvs

IN_W48 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("RDV_SMTP_HOST", raising=False)
    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        store.add_client(session, "Charpentes Martin", ["rdv@charpentes-martin.example"], "Charpentes Martin SARL")
        campaign = store.create_campaign(session, "RDV Charpente", "Charpentes Martin")
        add_rdvs(session, campaign, 4, taken_at=IN_W48)
        add_rdvs(session, campaign, 6, taken_at=IN_W48, conform=False)
    engine.dispose()
    return CliRunner()


def test_a_week_is_billed_paid_from_the_package_mailed_and_not_billed_twice(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["billing", "contract", "Charpentes Martin", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert cli.invoke(app, ["billing", "topup", "Charpentes Martin", "1 000,00", "--ref", "VIR-2026-118"]
                      ).exit_code == 0
    result = cli.invoke(app, ["billing", "run", "--week", "2026-W48"])
    assert result.exit_code == 0, result.output
    assert "facture F-2026-00001 émise, 320,00" in result.output
    again = cli.invoke(app, ["billing", "run", "--week", "2026-W48", "--client", "Charpentes Martin"])
    assert "rien de nouveau à facturer" in again.output and "0 document émis" in again.output
    balance = cli.invoke(app, ["billing", "balance", "Charpentes Martin"])
    assert "680,00" in balance.output and "VIR-2026-118" in balance.output
    # Under the 800 € threshold: an alert, and the invoice with its PDF, both in the outbox folder.
    mails = {path.name.split("-")[0]: message_from_bytes(path.read_bytes())
             for path in (tmp_path / "var" / "outbox").glob("*.eml")}
    assert set(mails) == {"invoice", "low_balance"}
    attachment = next(p for p in mails["invoice"].walk() if p.get_filename())
    assert attachment.get_filename() == "F-2026-00001.pdf"
    assert "superviseur@outsourcing-academy.example" in mails["low_balance"]["To"]
    listed = cli.invoke(app, ["invoice", "list"])
    assert "F-2026-00001" in listed.output
    out = tmp_path / "f1.pdf"
    assert cli.invoke(app, ["invoice", "pdf", "F-2026-00001", "--out", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF")
    credit = cli.invoke(app, ["invoice", "credit", "F-2026-00001", "--reason", "Erreur de tarif"])
    assert credit.exit_code == 0 and "AV-2026-00001" in credit.output


@pytest.mark.parametrize(("args", "message"), [
    (["billing", "run", "--week", "2026-49"], "Semaine invalide 2026-49"),
    (["billing", "run", "--week", "2026-W48", "--client", "Inconnu"], "Client inconnu : Inconnu"),
    (["billing", "run", "--week", "2026-W48", "--client", "Charpentes Martin"], "pas de contrat"),
    (["billing", "topup", "Charpentes Martin", "douze", "--ref", "X"], "Montant invalide douze"),
    (["invoice", "show", "F-2026-99999"], "Aucune facture ne porte le numéro F-2026-99999"),
    (["billing", "contract", "Charpentes Martin", "/nonexistent.toml"], "/nonexistent.toml"),
])
def test_bad_input_gets_one_clear_line_and_exit_code_2(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
