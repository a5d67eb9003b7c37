"""One frozen Settings object, read once at start from defaults, a TOML file and the environment."""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from config.i18n import _
from config.servers import SECRET_VARIABLE, ServerSettings, read_servers
from config.setting_checks import (
    SettingsError,
    check_database_url,
    check_language,
    check_port,
    check_seconds,
    check_timezone,
    check_trunk_channels,
    coerce,
)
from config.toml_errors import toml_error_text

ENV_PREFIX = "RDV_"
# RDV_* variables that are not settings of this object: the file's path and the tests' PostgreSQL.
OTHER_VARIABLES = frozenset({"RDV_CONFIG", "RDV_TEST_POSTGRES_PORT"})
OUTBOX_SENDER = "rdv@example.invalid"
# RDV_* variables read elsewhere (config.secrets; a server's AMI secret, config.servers): not misspellings.
ENV_SECRETS = ("RDV_SECRET", SECRET_VARIABLE)
__all__ = ["ENV_PREFIX", "OUTBOX_SENDER", "Settings", "SettingsError", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Process-wide settings; per-campaign settings live with the campaign."""

    data_dir: Path = Path("var")
    database_url: str = ""
    lang: str = "fr"
    centre_timezone: str = "Europe/Paris"
    ami_host: str = ""
    ami_port: int = 5038
    ami_username: str = "rdv"
    ami_secret: str = field(default="rdv", repr=False)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    # The sender of the e-mails to clients. Empty: the SMTP login when it is an address (most relays only
    # accept that sender anyway); mail through SMTP with neither is refused at start. Without SMTP (e-mails
    # written to the outbox folder only), OUTBOX_SENDER, an address that can never reach anyone.
    mail_from: str = ""
    # Addresses of the reverse proxies whose X-Forwarded-For/-Proto the web trusts (comma-separated, "*" for
    # any); empty: none, the web sees the connection as it is.
    web_trusted_proxies: str = ""
    # The largest lead file the web accepts, in megabytes (`[web] upload_max_mb`); the CLI has no limit.
    web_upload_max_mb: int = 50
    # PostgreSQL with several dialers (`[dialer] dead_grace_seconds`): how long a dialer is seen dead (kill -9,
    # a crash) before the scheduler leader frees the leads it held and ends its open attempts as failed. Long
    # enough for its supervisor to restart it (it then reconciles its own calls), short enough not to leave
    # leads idle.
    dialer_dead_grace_seconds: int = 300
    # The simultaneous outbound calls the PBX's trunk carries (`[asterisk] trunk_channels`); 0: no limit. On
    # PostgreSQL every dialer on the same AMI address counts the others' live calls in it (dialer.trunk).
    trunk_channels: int = 0
    # The Asterisk servers by name (`[asterisk.servers.NAME]`, config.servers); none: the single server above.
    servers: tuple[ServerSettings, ...] = ()
    # The servers this process drives (`[dialer] servers`, RDV_DIALER_SERVERS=a,b; `rdv run --server`), and those
    # it takes over when their dialer has been dead `takeover_after_seconds` (`[dialer] standby`, `--standby`).
    dialer_servers: str = ""
    dialer_standby: str = ""
    # Longer than systemd's RestartSec (5 s): a dialer restarted by systemd gets its server back first.
    dialer_takeover_after_seconds: int = 30
    config_file: Path | None = None

    def server(self, name: str) -> ServerSettings | None:
        """The configured server of that name."""
        return next((server for server in self.servers if server.name == name), None)

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rdv.sqlite3').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(toml_error_text(str(path), exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(_("{file}: cannot be read ({reason}).").format(file=path, reason=exc)) from None


def _read_file(data: dict[str, Any], path: Path, known: set[str]) -> dict[str, tuple[str, Any]]:
    """The settings a TOML file gives, each with where it was found (`file: section.key`)."""
    values: dict[str, tuple[str, Any]] = {}
    for section, content in data.items():
        items = content.items() if isinstance(content, dict) else [(None, content)]
        for key, value in items:
            name = section if key is None else f"{section}_{key}"
            where = f"{path}: {section}" if key is None else f"{path}: {section}.{key}"
            if name in known:
                values[name] = (where, value)
            elif key is not None and key in known:
                values[key] = (where, value)
            else:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = _(" Did you mean {names}?").format(names=close[0]) if close else ""
                raise SettingsError(_("{source}: unknown setting.").format(source=where) + hint)
    return values


def _read_environment(env: dict[str, str], known: set[str]) -> dict[str, tuple[str, Any]]:
    values: dict[str, tuple[str, Any]] = {}
    variables = {ENV_PREFIX + name.upper(): name for name in known}
    for key, raw in env.items():
        if key in variables:
            values[variables[key]] = (key, raw)
        elif key.startswith(ENV_PREFIX) and key not in OTHER_VARIABLES and not key.startswith(ENV_SECRETS):
            # A misspelt variable would be ignored silently, and the process would run on the defaults.
            close = difflib.get_close_matches(key, sorted(variables), n=1, cutoff=0.8)
            if close:
                raise SettingsError(_("{source}: unknown setting. Did you mean {names}?").format(
                    source=key, names=close[0]))
    return values


def _check(settings: Settings, sources: dict[str, str]) -> None:
    def where(name: str) -> str:
        return sources.get(name, name)

    check_database_url(where("database_url"), settings.database_url)
    check_language(where("lang"), settings.lang)
    check_timezone(where("centre_timezone"), settings.centre_timezone)
    check_port(where("ami_port"), settings.ami_port)
    check_port(where("smtp_port"), settings.smtp_port)
    check_seconds(where("dialer_dead_grace_seconds"), settings.dialer_dead_grace_seconds)
    check_trunk_channels(where("trunk_channels"), settings.trunk_channels)
    check_seconds(where("dialer_takeover_after_seconds"), settings.dialer_takeover_after_seconds)


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Defaults, then `rdv.toml` (or `$RDV_CONFIG`), then `RDV_*` environment variables."""
    env = dict(os.environ if env is None else env)
    cwd = cwd or Path.cwd()
    base = Settings()
    known = {f.name for f in fields(Settings)} - {"config_file", "servers"}
    values: dict[str, tuple[str, Any]] = {}
    servers: tuple[ServerSettings, ...] = ()

    config_path = Path(env["RDV_CONFIG"]) if env.get("RDV_CONFIG") else cwd / "rdv.toml"
    if config_path.exists():
        data = _read_toml(config_path)  # [asterisk.servers.*] apart: tables of their own, not settings
        asterisk = data.get("asterisk")
        tables = asterisk.pop("servers") if isinstance(asterisk, dict) and "servers" in asterisk else {}
        servers = read_servers(tables, str(config_path), env) if tables else ()
        values.update(_read_file(data, config_path, known))
        secrets_in_file = [name for name in CREDENTIALS if name in values]
        secrets_in_file += [f"asterisk.servers.{s.name}.secret" for s in servers if "secret" in tables[s.name]]
        _refuse_exposed_credentials(config_path, secrets_in_file)
        values["config_file"] = ("RDV_CONFIG", config_path)
    elif env.get("RDV_CONFIG"):
        raise SettingsError(_("RDV_CONFIG: the settings file {file} does not exist.").format(file=config_path))
    values.update(_read_environment(env, known))

    coerced = {name: coerce(source, raw, getattr(base, name)) for name, (source, raw) in values.items()}
    settings = replace(base, **coerced, servers=servers)
    _check(settings, {name: source for name, (source, _raw) in values.items()})
    settings = replace(settings, mail_from=_sender(settings))
    if not settings.data_dir.is_absolute():
        settings = replace(settings, data_dir=(cwd / settings.data_dir))
    return settings


CREDENTIALS = ("ami_secret", "smtp_password")


def _refuse_exposed_credentials(path: Path, found: list[str]) -> None:
    """Credentials live in the environment or in a file only its owner can read (see config.secrets)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if found and mode & 0o077:
        raise SettingsError(_("{file}: holds {names} but other users can read it (mode {mode}): run chmod 600 "
                              "{file}, or give them as environment variables").format(
            file=path, names=", ".join(found), mode=f"{mode:04o}"))


def _sender(settings: Settings) -> str:
    """The sender address: `mail_from`, else the SMTP login if it is an address, else the outbox's own."""
    if settings.mail_from.strip():
        return settings.mail_from.strip()
    if "@" in settings.smtp_username:
        return settings.smtp_username.strip()
    if settings.smtp_host:
        raise SettingsError(_(
            "mail_from: set the sender of the e-mails to clients (RDV_MAIL_FROM, or from = … under [mail] in "
            "rdv.toml); with an SMTP server it is required unless the SMTP login is an e-mail address"
        ))
    return OUTBOX_SENDER
