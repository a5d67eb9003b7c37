"""A setting that cannot be used is refused at start in one French line naming where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)


def refusal(env: dict[str, str], cwd: Path) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env=env, cwd=cwd)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults_need_no_file_and_no_variable(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'var' / 'rdv.sqlite3'}"
    assert settings.smtp_starttls is True and settings.lang == "fr"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("RDV_DATABASE_URL", "mysql://user@host/db", "RDV_DATABASE_URL : les bases mysql ne sont pas prises en charge"),
        ("RDV_DATABASE_URL", "nonsense", "RDV_DATABASE_URL : « nonsense » n'est pas une URL de base de données"),
        ("RDV_DATABASE_URL", "sqlite://var/x.db", "une URL SQLite a trois barres obliques"),
        ("RDV_SMTP_PORT", "abc", "RDV_SMTP_PORT : « abc » n'est pas un nombre entier."),
        ("RDV_AMI_PORT", "70000", "RDV_AMI_PORT : « 70000 » n'est pas un port TCP (de 1 à 65535)."),
        ("RDV_DIALER_DEAD_GRACE_SECONDS", "-5",
         "RDV_DIALER_DEAD_GRACE_SECONDS : « -5 » n'est pas une durée en secondes (0 ou plus)."),
        ("RDV_TRUNK_CHANNELS", "-1", "RDV_TRUNK_CHANNELS : « -1 » n'est pas un nombre de canaux du trunk (0 pour "
                                     "aucune limite, ou le nombre d'appels simultanés que porte le trunk)."),
        ("RDV_TRUNK_CHANNELS", "trente", "RDV_TRUNK_CHANNELS : « trente » n'est pas un nombre entier."),
        ("RDV_SMTP_STARTTLS", "maybe", "RDV_SMTP_STARTTLS : « maybe » n'est ni oui ni non"),
        ("RDV_LANG", "de", "RDV_LANG : « de » n'est pas une langue de rdv (valeurs acceptées : fr, en)."),
        ("RDV_CENTRE_TIMEZONE", "Paris", "« Paris » n'est pas un fuseau horaire (par exemple Europe/Paris). "
                                         "Vouliez-vous dire Europe/Paris ?"),
        ("RDV_DATABSE_URL", "x", "RDV_DATABSE_URL : réglage inconnu. Vouliez-vous dire RDV_DATABASE_URL ?"),
    ],
)
def test_a_bad_environment_variable_is_named_with_what_it_accepts(
    variable: str, value: str, expected: str, tmp_path: Path
) -> None:
    assert expected in refusal({variable: value}, tmp_path)


def test_french_yes_and_no_are_accepted(tmp_path: Path) -> None:
    assert load_settings(env={"RDV_SMTP_STARTTLS": "non"}, cwd=tmp_path).smtp_starttls is False
    assert load_settings(env={"RDV_SMTP_STARTTLS": "Oui"}, cwd=tmp_path).smtp_starttls is True


def test_supported_database_urls_pass(tmp_path: Path) -> None:
    for url in ("sqlite:///var/rdv.sqlite3", "postgresql://rdv@localhost/rdv", "postgresql+psycopg://rdv@db/rdv"):
        assert load_settings(env={"RDV_DATABASE_URL": url}, cwd=tmp_path).database_url == url


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('database_url = "x\n', "rdv.toml, ligne 1, colonne 18 : TOML invalide : texte non fermé par son guillemet"),
        ("lang = fr\n", "rdv.toml, ligne 1, colonne 8 : TOML invalide : valeur invalide"),
        ("[smtp]\nport = 25\nport = 26\n", "rdv.toml, ligne 3, colonne 10 : TOML invalide : valeur donnée deux fois"),
        ("[smtp]\nprot = 25\n", "rdv.toml: smtp.prot : réglage inconnu. Vouliez-vous dire smtp_port ?"),
        ('[smtp]\nport = "x"\n', "rdv.toml: smtp.port : « x » n'est pas un nombre entier."),
        ("ami_host = 5\n", "rdv.toml: ami_host : « 5 » doit être du texte"),
    ],
)
def test_a_bad_settings_file_names_the_line_or_the_setting(content: str, expected: str, tmp_path: Path) -> None:
    (tmp_path / "rdv.toml").write_text(content, encoding="utf-8")
    assert expected in refusal({}, tmp_path)


def test_settings_errors_follow_rdv_lang_en(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    message = refusal({"RDV_LANG": "en", "RDV_SMTP_PORT": "abc"}, tmp_path)
    assert message == "RDV_SMTP_PORT: 'abc' is not a whole number."


def test_a_missing_settings_file_named_by_rdv_config_is_refused(tmp_path: Path) -> None:
    assert "RDV_CONFIG : le fichier de réglages" in refusal({"RDV_CONFIG": str(tmp_path / "nope.toml")}, tmp_path)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "rdv.toml").write_text('[smtp]\nhost = "mail.example"\nport = 25\n[mail]\nfrom = "rdv@centre.fr"\n',
                                       encoding="utf-8")
    settings = load_settings(env={"RDV_SMTP_PORT": "2525"}, cwd=tmp_path)
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example", 2525)


def test_the_dead_dialer_grace_reads_from_its_dialer_section(tmp_path: Path) -> None:
    assert load_settings(env={}, cwd=tmp_path).dialer_dead_grace_seconds == 300
    (tmp_path / "rdv.toml").write_text("[dialer]\ndead_grace_seconds = 90\n", encoding="utf-8")
    assert load_settings(env={}, cwd=tmp_path).dialer_dead_grace_seconds == 90


def test_the_trunk_capacity_reads_from_its_asterisk_section_and_the_environment(tmp_path: Path) -> None:
    assert load_settings(env={}, cwd=tmp_path).trunk_channels == 0  # no limit
    (tmp_path / "rdv.toml").write_text("[asterisk]\ntrunk_channels = 30\n", encoding="utf-8")
    assert load_settings(env={}, cwd=tmp_path).trunk_channels == 30
    assert load_settings(env={"RDV_TRUNK_CHANNELS": "120"}, cwd=tmp_path).trunk_channels == 120
    (tmp_path / "rdv.toml").write_text("[asterisk]\ntrunk_channels = -30\n", encoding="utf-8")
    assert "rdv.toml: asterisk.trunk_channels : « -30 » n'est pas un nombre de canaux" in refusal({}, tmp_path)
