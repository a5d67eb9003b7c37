"""Settings validated at the door of the CLI, and a campaign stored with an invalid one repaired by `set`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from campaigns.models import Campaign
from rdv import db
from rdv.cli import app
from rdv.cli.common import console

AT = ["--at", "2026-12-07T15:00+01:00"]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(app, ["client", "add", "Martin", "--email", "rdv@martin.fr"]).exit_code == 0
    return runner


def campaigns_stored(database_url: str) -> int:
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(Campaign)) or 0
    engine.dispose()
    return count


def test_a_city_for_a_time_zone_is_refused_with_its_iana_name_and_nothing_is_created(
    cli: CliRunner, database_url: str
) -> None:
    done = cli.invoke(app, ["campaign", "create", "Charpente", "--client", "Martin", "--timezone", "Paris"])
    assert done.exit_code == 2
    assert "timezone ne peut pas valoir Paris : ce n'est pas un nom de fuseau horaire : vouliez-vous dire " \
           "Europe/Paris ?" in done.output
    assert campaigns_stored(database_url) == 0


def test_set_changes_the_time_zone_and_takes_a_negative_value_to_refuse_it(cli: CliRunner) -> None:
    assert cli.invoke(app, ["campaign", "create", "Charpente", "--client", "Martin"]).exit_code == 0
    done = cli.invoke(app, ["campaign", "set", "Charpente", "timezone", "Martinique"])
    assert done.exit_code == 2 and "vouliez-vous dire America/Martinique ?" in done.output
    done = cli.invoke(app, ["campaign", "set", "Charpente", "timezone", "America/Martinique"])
    assert done.exit_code == 0 and "Réglage timezone de la campagne Charpente : America/Martinique." in done.output
    assert "fuseau America/Martinique" in cli.invoke(app, ["campaign", "show", "Charpente"]).output
    done = cli.invoke(app, ["campaign", "set", "Charpente", "wrap_up_seconds", "-5"])
    assert done.exit_code == 2 and "nombre entier de 0 à 3600 attendu" in done.output
    done = cli.invoke(app, ["campaign", "set", "Charpente", "saturday", "no"])
    assert "Réglage saturday de la campagne Charpente : non." in done.output


def test_a_campaign_stored_with_invalid_values_says_how_to_repair_and_set_repairs_it(
    cli: CliRunner, database_url: str
) -> None:
    assert cli.invoke(app, ["campaign", "create", "Charpente", "--client", "Martin"]).exit_code == 0
    engine = db.make_engine(database_url)
    with engine.begin() as conn:  # as an older version stored them, before validation
        conn.execute(update(Campaign).values(timezone="Paris", settings={"max_attempts": "abc"}))
    engine.dispose()
    check = cli.invoke(app, ["campaign", "check", "Charpente", *AT])
    assert check.exit_code == 2, check.output
    assert 'corrigez-le avec : rdv campaign set "Charpente" timezone VALEUR' in check.output
    assert "Traceback" not in check.output and "No time zone found" not in check.output
    shown = cli.invoke(app, ["campaign", "show", "Charpente"])
    assert shown.exit_code == 0 and "abc (invalide : nombre entier de 1 à 100 attendu)" in shown.output
    assert cli.invoke(app, ["campaign", "set", "Charpente", "timezone", "Europe/Paris"]).exit_code == 0
    check = cli.invoke(app, ["campaign", "check", "Charpente", *AT])
    assert check.exit_code == 2 and "rdv campaign set \"Charpente\" max_attempts VALEUR" in check.output
    assert cli.invoke(app, ["campaign", "set", "Charpente", "max_attempts", "4"]).exit_code == 0
    check = cli.invoke(app, ["campaign", "check", "Charpente", *AT])
    assert check.exit_code == 0 and "VALEUR" not in check.output, check.output
