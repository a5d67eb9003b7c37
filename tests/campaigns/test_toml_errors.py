"""A script or settings file that is not TOML is refused in French, naming the file, line and column."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.script import InvalidTomlFile, load_script
from config.settings import SettingsError, load_settings
from config.toml_errors import toml_error_text


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('title = "Charpente"\nquestions = [\n  { key = "surface" label = "Surface" },\n]\n',
         "charpente.toml, ligne 3, colonne 21 : TOML invalide : table en ligne non fermée par « } »"),
        ('title = "Charpente\n', "charpente.toml, ligne 1, colonne 19 : TOML invalide : texte non fermé par son "
                                 "guillemet"),
        ("[intro\n", "charpente.toml, ligne 1, colonne 7 : TOML invalide : « ] » attendu après un nom de table"),
        ("title = 1\ntitle = 2\n", "charpente.toml, ligne 2, colonne 10 : TOML invalide : valeur donnée deux fois"),
        ("choices = [1, 2\n", "charpente.toml, à la fin : TOML invalide : liste non fermée par « ] »"),
    ],
)
def test_a_script_file_that_is_not_toml_says_where_in_french(tmp_path: Path, content: str, said: str) -> None:
    path = tmp_path / "charpente.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidTomlFile) as refused:
        load_script(path)
    assert str(refused.value) == said


def test_a_settings_file_that_is_not_toml_says_where_in_french(tmp_path: Path) -> None:
    path = tmp_path / "rdv.toml"
    path.write_text('[database]\nurl = "sqlite:///rdv.sqlite3"\nmail from = "rdv@exemple.fr"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_settings(env={"RDV_CONFIG": str(path)}, cwd=tmp_path)
    assert str(refused.value) == f"{path}, ligne 3, colonne 6 : TOML invalide : « = » attendu après une clé"


@given(st.text(alphabet='ab=[]{}"\'\n .,1-:\\#', max_size=20))
def test_every_toml_syntax_error_is_told_in_french_with_its_place(text: str) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        told = toml_error_text("f.toml", error)
        assert told.startswith(("f.toml, ligne ", "f.toml, à la fin : ")), told
        assert "syntaxe invalide" not in told and "Expected" not in told and "Invalid" not in told, told
