"""What a French supervisor reads from the CLI is French as French is written: agreement, counts, dates."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdv.cli import app
from rdv.cli.common import console, err_console

CAMPAIGN = "Antilles Toitures"


@pytest.fixture
def rdv(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A client and a campaign on an empty database, French by default, on a wide terminal."""
    monkeypatch.delenv("RDV_LANG", raising=False)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in (["client", "add", "Charpentes Martin", "--email", "rdv@martin.fr"],
                 ["campaign", "create", CAMPAIGN, "--client", "Charpentes Martin"]):
        assert runner.invoke(app, args).exit_code == 0
    return runner


def test_a_duplicate_campaign_or_client_agrees_in_gender(rdv: CliRunner) -> None:
    result = rdv.invoke(app, ["campaign", "create", CAMPAIGN, "--client", "Charpentes Martin"])
    assert result.exit_code == 2
    assert f"Erreur : Une campagne nommée {CAMPAIGN} existe déjà" in result.output
    result = rdv.invoke(app, ["client", "add", "Charpentes Martin"])
    assert "Erreur : Un client nommé Charpentes Martin existe déjà" in result.output


def test_a_yes_no_setting_is_confirmed_as_oui_and_shown_as_oui(rdv: CliRunner) -> None:
    result = rdv.invoke(app, ["campaign", "set", CAMPAIGN, "saturday", "yes"])
    assert result.output.strip() == f"Réglage saturday de la campagne {CAMPAIGN} : oui."
    shown = rdv.invoke(app, ["campaign", "show", CAMPAIGN]).output
    saturday = next(line for line in shown.splitlines() if " saturday " in line)
    assert " oui " in saturday and "yes" not in saturday


def test_a_bad_number_for_a_setting_is_refused_in_french(rdv: CliRunner) -> None:
    result = rdv.invoke(app, ["campaign", "set", CAMPAIGN, "max_attempts", "abc"])
    assert result.exit_code == 2
    assert "nombre entier de 1 à 100 attendu" in result.output and "invalid literal" not in result.output
    result = rdv.invoke(app, ["campaign", "set", CAMPAIGN, "closures", "2026-13-01"])
    assert "2026-13-01 n'est pas une date (écrivez 2026-12-24 ou 24/12/2026)" in result.output
    assert "month must be" not in result.output


def test_check_names_weekdays_in_lower_case_and_dates_in_words(rdv: CliRunner) -> None:
    # fr-consumer campaigns start from the lawful 10:00–13:00, 14:00–19:00: ask for the lunch hour too.
    assert rdv.invoke(app, ["campaign", "set", CAMPAIGN, "weekday_windows", "10:00-19:00"]).exit_code == 0
    output = rdv.invoke(app, ["campaign", "check", CAMPAIGN, "--at", "2026-11-23T09:00+01:00"]).output
    assert "Du lundi au vendredi : la plage 10:00–19:00 dépasse ce qu'autorise le profil fr-consumer" in output
    assert "Du Lundi" not in output
    # The last of 20 attempts at 4 per 30 days: a date in words, not 2027-03-24.
    assert "la dernière aurait lieu le mercredi 24 mars 2027" in output


def test_counts_before_a_noun_agree_with_the_count(rdv: CliRunner) -> None:
    output = rdv.invoke(app, ["campaign", "calendar", CAMPAIGN, "--days", "1", "--at", "2026-11-23T09:00+01:00"])
    assert "0 fiche" in output.output and "0 fiches" not in output.output
    output = rdv.invoke(app, ["mail", "outbox"]).output
    assert "0 message listé." in output


def test_a_missing_file_is_named_with_the_reason_in_french(rdv: CliRunner) -> None:
    result = rdv.invoke(app, ["campaign", "script", CAMPAIGN, "--load", "nope.toml"])
    assert result.exit_code == 2
    assert "Erreur : nope.toml : fichier ou dossier introuvable" in result.output
    result = rdv.invoke(app, ["leads", "import", "nope.csv", "--campaign", CAMPAIGN])
    assert "nope.csv : fichier illisible : fichier ou dossier introuvable" in result.output
