"""Secrets come from the environment or an owner-only file; a file others can read is refused in one line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.secrets import SecretsFileExposed, secret
from rdv.cli import app


def test_a_missing_secret_is_generated_once_into_an_owner_only_file(tmp_path: Path) -> None:
    first = secret("dnc_key", tmp_path, env={})
    assert len(first) == 64 and secret("dnc_key", tmp_path, env={}) == first
    assert secret("certificate_key", tmp_path, env={}) != first
    path = tmp_path / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret("dnc_key", tmp_path, env={}) == first  # kept beside the second one


def test_the_environment_wins(tmp_path: Path) -> None:
    assert secret("dnc_key", tmp_path, env={"RDV_SECRET_DNC_KEY": "from-env"}) == "from-env"
    assert not (tmp_path / "secrets.toml").exists()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_secrets_file_other_users_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text('dnc_key = "abc"\n', encoding="utf-8")
    os.chmod(path, mode)
    with pytest.raises(SecretsFileExposed) as refused:
        secret("dnc_key", tmp_path, env={})
    assert str(refused.value) == (f"{path} : le fichier de secrets est lisible par d'autres utilisateurs "
                                  f"(mode {mode:04o}) : lancez chmod 600 {path}")


def test_the_service_refuses_to_start_with_a_world_readable_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets_file = tmp_path / "elsewhere.toml"
    secrets_file.write_text('dnc_key = "abc"\n', encoding="utf-8")
    os.chmod(secrets_file, 0o644)
    monkeypatch.setenv("RDV_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RDV_SECRETS_FILE", str(secrets_file))
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["run", "--simulate"])
    assert done.exit_code == 2
    assert "le fichier de secrets est lisible par d'autres utilisateurs (mode 0644)" in done.output
    assert "abc" not in done.output


def test_credentials_in_a_settings_file_others_can_read_are_refused(tmp_path: Path) -> None:
    from config.settings import SettingsError, load_settings

    config = tmp_path / "rdv.toml"
    config.write_text('[ami]\nhost = "pbx.local"\nsecret = "Zq8"\n', encoding="utf-8")
    os.chmod(config, 0o644)
    with pytest.raises(SettingsError) as refused:
        load_settings({}, cwd=tmp_path)
    assert str(refused.value) == (f"{config} : contient ami_secret mais d'autres utilisateurs peuvent le lire "
                                  f"(mode 0644) : lancez chmod 600 {config}, ou passez-les par des variables "
                                  "d'environnement")
    assert "Zq8" not in str(refused.value)
    os.chmod(config, 0o600)
    assert load_settings({}, cwd=tmp_path).ami_secret == "Zq8"
    config.write_text('[ami]\nhost = "pbx.local"\n', encoding="utf-8")
    os.chmod(config, 0o644)
    assert load_settings({}, cwd=tmp_path).ami_host == "pbx.local"  # no credential: readable is fine
