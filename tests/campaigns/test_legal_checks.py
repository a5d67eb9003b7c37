"""Legal checks of a campaign's declared caller number (ARCEP ranges) and subject (loi 2020-901)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaigns.legal_checks import SECTORS, caller_number_problem, sector_problem
from campaigns.profiles import get_profile
from rdv.cli import app
from rdv.cli.common import console

CONSUMER, BUSINESS = get_profile("fr-consumer"), get_profile("fr-business")
AT = ["--at", "2026-12-07T15:00+01:00"]


@pytest.mark.parametrize("number", ["+33162000000", "+33163123456", "+33270000000", "+33271999999", "+33377000000",
                                    "+33378000000", "+33424000000", "+33425000000", "+33568000000", "+33569000000",
                                    "+33948000000", "+33949000000", "+33947500000", "+33947999999"])
def test_numbers_in_the_arcep_ranges_for_automated_calls_pass(number: str) -> None:
    assert caller_number_problem(number, CONSUMER) is None


@pytest.mark.parametrize("number", ["+33161000000", "+33612345678", "+33947400000", "+33950000000", "+33142000000"])
def test_other_numbers_are_refused_for_consumers_but_not_for_businesses(number: str) -> None:
    problem = caller_number_problem(number, CONSUMER)
    assert problem is not None and "hors des tranches ARCEP" in problem and "0" + number[3:] in problem
    assert caller_number_problem(number, BUSINESS) is None


def test_roof_insulation_is_an_energy_renovation_subject_and_roof_carpentry_is_not() -> None:
    problem = sector_problem("roof_insulation", CONSUMER)
    assert problem is not None and "loi 2020-901" in problem and "isolation de toiture" in problem
    assert sector_problem("roof_carpentry", CONSUMER) is None
    assert sector_problem("roof_insulation", BUSINESS) is None
    assert {code for code, (_label, banned) in SECTORS.items() if banned} == {
        "roof_insulation", "wall_insulation", "windows", "heating", "solar", "energy_renovation"}


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setenv("RDV_DATABASE_URL", database_url)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    for args in (["client", "add", "Martin"], ["campaign", "create", "Combles", "--client", "Martin"]):
        assert runner.invoke(app, args).exit_code == 0
    return runner


def test_campaign_check_flags_the_number_and_the_sector_and_start_is_refused(cli: CliRunner) -> None:
    assert cli.invoke(app, ["campaign", "set", "Combles", "caller_number", "01 42 00 00 00"]).exit_code == 0
    assert cli.invoke(app, ["campaign", "set", "Combles", "sector", "roof_insulation"]).exit_code == 0
    check = cli.invoke(app, ["campaign", "check", "Combles", *AT])
    assert "Le numéro présenté 0142000000 est hors des tranches ARCEP" in check.output, check.output
    assert "Secteur « isolation de toiture ou de combles »" in check.output
    assert cli.invoke(app, ["campaign", "start", "Combles", *AT]).exit_code != 0
    assert cli.invoke(app, ["campaign", "set", "Combles", "caller_number", "01 62 00 00 00"]).exit_code == 0
    assert cli.invoke(app, ["campaign", "set", "Combles", "sector", "roof_carpentry"]).exit_code == 0
    check = cli.invoke(app, ["campaign", "check", "Combles", *AT])
    assert "ARCEP" not in check.output and "2020-901" not in check.output
    bad = cli.invoke(app, ["campaign", "set", "Combles", "sector", "plomberie"])
    assert bad.exit_code == 2 and "roof_carpentry" in bad.output
