"""The README's campaign examples run as written and pass `rdv campaign check`: a new fr-consumer campaign
starts from lawful hours."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdv.cli import app
from rdv.cli.common import console

README = Path(__file__).resolve().parents[2] / "README.md"
SETUP = ("rdv client add ", "rdv campaign create ", "rdv campaign set ")


def readme_commands() -> list[list[str]]:
    """The README's client and campaign set-up commands, then its campaign check, as argument lists."""
    lines = [line.strip() for line in README.read_text(encoding="utf-8").splitlines()]
    setup = [shlex.split(line, comments=True)[1:] for line in lines if line.startswith(SETUP)]
    check = [shlex.split(line, comments=True)[1:] for line in lines if line.startswith("rdv campaign check ")]
    assert setup and check, "the README lost its campaign examples"
    return setup + check[:1]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    return CliRunner()


def test_the_readme_campaign_examples_pass_the_check(cli: CliRunner) -> None:
    for args in readme_commands():
        at = ["--at", "2026-12-07T15:00+01:00"] if args[:2] == ["campaign", "check"] else []  # a week without holiday
        done = cli.invoke(app, [*args, *at])
        assert done.exit_code == 0, (args, done.output)
    assert "Aucun conflit" in done.output, done.output


def test_a_new_fr_consumer_campaign_starts_from_the_lawful_hours_and_saturday_is_refused(cli: CliRunner) -> None:
    for args in (["client", "add", "Martin", "--email", "rdv@martin.fr"],
                 ["campaign", "create", "Charpente", "--client", "Martin", "--profile", "fr-consumer"],
                 ["campaign", "create", "Pros", "--client", "Martin", "--profile", "fr-business"]):
        assert cli.invoke(app, args).exit_code == 0
    shown = cli.invoke(app, ["campaign", "show", "Charpente"]).output
    assert "10:00–13:00, 14:00–19:00" in shown and "10:00–19:00" not in shown
    assert "10:00–19:00" in cli.invoke(app, ["campaign", "show", "Pros"]).output
    assert cli.invoke(app, ["campaign", "set", "Charpente", "saturday", "yes"]).exit_code == 0
    check = cli.invoke(app, ["campaign", "check", "Charpente", "--at", "2026-12-07T15:00+01:00"]).output
    assert "Samedi : la plage 10:00–13:00 n'est pas autorisée par le profil fr-consumer" in check
    assert "13:00–14:00" not in check  # the lunch break is no longer asked for, then taken away
