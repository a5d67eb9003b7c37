"""Every `--help` and every usage error reads in French by default and in English with RDV_LANG=en."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from rdv.cli import app
from tests.config.test_catalogue import _french_msgids

# Words that only English help would contain (after option names and `code` are taken out).
ENGLISH = re.compile(
    r"\b(the|and|with|for|this|that|from|every|when|into|default|required|usage|try|commands|"
    r"missing|such|invalid|folder|name|of|is|are|to|text|number|str|int|bool)\b",
    re.IGNORECASE,
)
# Code, options, file names and default values (PJSIP/{number}@trunk) are written as the program reads them.
CODE = re.compile(r"`[^`]*`|--?[\w-]+|\S+\.(csv|xlsx|toml|eml)\b|\bTEXT\b(?=\s*$)|\[par défaut : [^\]]*\]")


def command_paths() -> list[list[str]]:
    """Every command and group of `rdv`, as the words typed after `rdv`."""
    paths: list[list[str]] = []

    def visit(command: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                visit(sub, [*path, name])

    visit(typer.main.get_command(app), [])
    return paths


def rdv(args: list[str]) -> Result:
    return CliRunner().invoke(app, args, prog_name="rdv")


def english_words(text: str) -> list[str]:
    prose = CODE.sub(" ", text)
    return sorted({match.group(0) for match in ENGLISH.finditer(prose)})


def test_every_command_and_option_has_help_translated_into_french() -> None:
    french = _french_msgids()
    untranslated: list[str] = []
    for path in command_paths():
        command: Any = typer.main.get_command(app)
        for word in path:
            command = command.commands[word]
        label = " ".join(["rdv", *path])
        if not command.help:
            untranslated.append(f"{label}: no help")
        elif command.help not in french:
            untranslated.append(f"{label}: {command.help!r}")
        param: Any
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if not param.help:
                untranslated.append(f"{label} {param.name}: no help")
            elif param.help not in french:
                untranslated.append(f"{label} {param.name}: {param.help!r}")
    assert untranslated == [], "add help and its French to rdv/locale/fr.po:\n" + "\n".join(untranslated)


def test_help_of_every_command_is_french_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)
    leaks: dict[str, list[str]] = {}
    for path in command_paths():
        result = rdv([*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Utilisation : rdv" in result.output
        words = english_words(result.output)
        if words:
            leaks[" ".join(["rdv", *path])] = words
    assert leaks == {}


def test_help_of_every_command_is_english_with_rdv_lang_en(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    for path in command_paths():
        result = rdv([*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: rdv" in result.output
        assert "Show this message and exit." in result.output
        assert "Utilisation" not in result.output and "Affiche cette aide" not in result.output


def test_metavars_name_the_kind_of_value_instead_of_python_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)
    output = rdv(["leads", "import", "--help"]).output
    assert "FICHIER" in output and "TEXTE" in output
    assert "<str>" not in output and "list[" not in output and "<bool>" not in output
    assert "NOMBRE" in rdv(["demo", "--help"]).output


@pytest.mark.parametrize(
    ("args", "french", "english"),
    [
        (["campaign", "list", "--nope"], "Option inconnue : --nope", "No such option: --nope"),
        (["campaign", "create"], "Argument manquant : NOM.", "Missing argument NAME."),
        (["campaign", "create", "X"], "Option manquante : --client.", "Missing option --client."),
        (["campaign", "frob"], "Commande inconnue : frob.", "No such command 'frob'."),
        (["campaign", "lst"], "Vouliez-vous dire 'list'", "Did you mean 'list'"),
        (["demo", "--agents", "x"], "'x' n'est pas un nombre entier.", "'x' is not a whole number."),
        (["demo", "--agents"], "L'option '--agents' attend une valeur.", "Option '--agents' needs a value."),
        (["mail", "send-pending", "extra"], "Argument en trop : extra", "Unexpected extra argument: extra"),
        (["campaign", "calendar", "X", "--days", "99"], "Valeur invalide pour --days : '99' est supérieur au "
         "maximum, 62.", "Invalid value for --days: '99' is above the maximum, 62."),
    ],
)
def test_usage_errors_are_one_box_in_the_users_language(
    args: list[str], french: str, english: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)
    result = rdv(args)
    assert result.exit_code == 2
    assert french in result.output
    assert "Erreur" in result.output and "Usage" not in result.output and "Try " not in result.output
    monkeypatch.setenv("RDV_LANG", "en")
    result = rdv(args)
    assert result.exit_code == 2
    assert english in result.output


def test_a_usage_error_says_where_the_help_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)
    output = rdv(["campaign", "create"]).output
    assert "Utilisation : rdv campaign create [OPTIONS] {NOM}" in output
    assert "Pour de l'aide : rdv campaign create --help" in output
    monkeypatch.setenv("RDV_LANG", "en")
    output = rdv(["campaign", "create"]).output
    assert "Usage: rdv campaign create [OPTIONS] {NAME}" in output
    assert "Try 'rdv campaign create --help' for help." in output
