"""Secrets (keys for hashed do-not-call numbers and for signing deletion certificates) from the environment or
from a file only its owner can read.

`RDV_SECRET_<NAME>` wins; else the TOML file `RDV_SECRETS_FILE` (default: `secrets.toml` in the data folder),
which must not be readable by the group or others: a secret any local user can read is no secret, so such a
file is refused with one line saying how to fix it. When neither holds the key, it is generated once into
that file, created owner-only. Values are never logged nor shown.
"""

from __future__ import annotations

import os
import secrets as random
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from config.i18n import _

ENV_PREFIX = "RDV_SECRET_"
FILE_VARIABLE = "RDV_SECRETS_FILE"


class SecretsFileExposed(ValueError):
    """The secrets file can be read by other users than its owner (a ValueError: the CLI shows its one line)."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(_("{file}: the secrets file can be read by other users (mode {mode}): run chmod 600 {file}")
                         .format(file=path, mode=f"{mode:04o}"))


class SecretsFileInvalid(ValueError):
    """The secrets file is not TOML with text values."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(_("{file}: unreadable secrets file ({reason})").format(file=path, reason=reason))


def secrets_path(data_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env[FILE_VARIABLE]) if env.get(FILE_VARIABLE) else data_dir / "secrets.toml"


def _read(path: Path) -> dict[str, str]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SecretsFileExposed(path, mode)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SecretsFileInvalid(path, str(exc)) from None
    return {str(k): str(v) for k, v in data.items()}


def check_secrets_file(data_dir: Path, env: Mapping[str, str] | None = None) -> None:
    """Refuse to start with a secrets file others can read (raises SecretsFileExposed)."""
    _read(secrets_path(data_dir, env))


def secret(name: str, data_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """The secret `name`: from `RDV_SECRET_<NAME>`, else the owner-only file, else generated into that file."""
    env = os.environ if env is None else env
    if value := env.get(ENV_PREFIX + name.upper(), "").strip():
        return value
    path = secrets_path(data_dir, env)
    known = _read(path)
    if name in known:
        return known[name]
    value = random.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created owner-only from the start (no window in which the key is readable), then renamed into place.
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f'{key} = "{val}"\n' for key, val in {**known, name: value}.items())
    os.replace(part, path)
    return value
