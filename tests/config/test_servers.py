"""`[asterisk.servers.NAME]` tables: one entry per Asterisk server, refused in one French line when mistyped."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.servers import ServerSettings, legacy_server
from config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RDV_LANG", raising=False)


def settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rdv.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


TWO_SERVERS = """
[asterisk.servers.pbx1]
host = "10.0.0.21"
trunk_channels = 30
campaigns = ["solaire", 3]

[asterisk.servers.pbx-2]
host = "10.0.0.22"
port = 5039
username = "dialer"

[dialer]
servers = "pbx1,pbx-2"
takeover_after_seconds = 45
"""


def test_each_server_table_gives_a_server_with_its_own_address_trunk_and_campaigns(tmp_path: Path) -> None:
    settings_file(tmp_path, TWO_SERVERS)
    settings = load_settings(env={"RDV_AMI_SECRET_PBX_2": "s3cret"}, cwd=tmp_path)
    assert settings.servers == (
        ServerSettings("pbx1", "10.0.0.21", trunk_channels=30, campaigns=("solaire", "3")),
        ServerSettings("pbx-2", "10.0.0.22", 5039, "dialer", "s3cret"),
    )
    assert settings.dialer_servers == "pbx1,pbx-2" and settings.dialer_takeover_after_seconds == 45
    server = settings.server("pbx1")
    assert server is not None and server.serves(3, "other") and server.serves(9, "solaire")
    assert not server.serves(9, "other")


def test_without_server_tables_the_legacy_settings_are_one_server_named_after_the_dialer(tmp_path: Path) -> None:
    settings = load_settings(env={"RDV_AMI_HOST": "pbx.lan", "RDV_TRUNK_CHANNELS": "12"}, cwd=tmp_path)
    assert settings.servers == () and settings.dialer_takeover_after_seconds == 30
    assert legacy_server("d1", settings) == ServerSettings("d1", "pbx.lan", trunk_channels=12)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[asterisk.servers.PBX]\nhost = "x"', "asterisk.servers.PBX : « PBX » n'est pas un nom de serveur"),
        ('[asterisk.servers.a]\nhots = "x"', "asterisk.servers.a.hots : réglage inconnu (acceptés : host, port"),
        ("[asterisk.servers.a]\nport = 5038", "asterisk.servers.a : host manque"),
        ('[asterisk.servers.a]\nhost = "x"\nport = 99999', "asterisk.servers.a.port : « 99999 » n'est pas un port"),
        (
            '[asterisk.servers.a]\nhost = "x"\ntrunk_channels = "lots"',
            "asterisk.servers.a.trunk_channels : « lots » n'est pas un nombre entier.",
        ),
        (
            '[asterisk.servers.a]\nhost = "x"\ncampaigns = "solaire"',
            "asterisk.servers.a.campaigns : doit être une liste de noms ou de numéros de campagnes",
        ),
        ('[asterisk]\nservers = "a,b"', "asterisk.servers : doit être des tables [asterisk.servers.NOM]"),
    ],
)
def test_a_mistyped_server_table_is_named_with_the_file_and_key(table: str, expected: str, tmp_path: Path) -> None:
    path = settings_file(tmp_path, table)
    with pytest.raises(SettingsError) as caught:
        load_settings(env={}, cwd=tmp_path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


def test_a_server_secret_in_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = settings_file(tmp_path, '[asterisk.servers.a]\nhost = "x"\nsecret = "s"')
    path.chmod(0o644)
    with pytest.raises(SettingsError, match=r"asterisk\.servers\.a\.secret"):
        load_settings(env={}, cwd=tmp_path)
