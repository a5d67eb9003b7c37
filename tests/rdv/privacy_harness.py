"""What the personal-data CLI tests share: the command line on a test database, set up by commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rdv.cli import app
from rdv.cli.common import console


def command_line(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *setup: list[str]) -> CliRunner:
    """`rdv` on this database, its data folder in `tmp_path/var`, after running `setup` (each must succeed)."""
    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in setup:
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    return runner

