"""One frozen Settings object, read once at start from defaults, a TOML file and the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "RDV_"
OUTBOX_SENDER = "rdv@example.invalid"


class SettingsError(ValueError):
    """The settings file or an environment variable cannot be used."""


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
    ami_secret: str = "rdv"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    # The sender of the e-mails to clients. Empty: the SMTP login when it is an address (most relays only
    # accept that sender anyway); mail through SMTP with neither is refused at start. Without SMTP (e-mails
    # written to the outbox folder only), OUTBOX_SENDER, an address that can never reach anyone.
    mail_from: str = ""
    config_file: Path | None = None

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rdv.sqlite3').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


def _coerce(name: str, raw: Any, target: Any) -> Any:
    kind = type(target) if target is not None else str
    try:
        if isinstance(target, bool):
            if isinstance(raw, bool):
                return raw
            value = str(raw).strip().lower()
            if value in {"1", "true", "yes", "on"}:
                return True
            if value in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(target, Path) or name in {"data_dir", "config_file"}:
            return Path(raw)
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name!r}: cannot use {raw!r}") from exc


def load_settings(env: dict[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Defaults, then `rdv.toml` (or `$RDV_CONFIG`), then `RDV_*` environment variables."""
    env = dict(os.environ if env is None else env)
    cwd = cwd or Path.cwd()
    base = Settings()
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}

    config_path = Path(env["RDV_CONFIG"]) if env.get("RDV_CONFIG") else cwd / "rdv.toml"
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{config_path}: {exc}") from exc
        for section, content in data.items():
            items = content.items() if isinstance(content, dict) else [(None, content)]
            for key, value in items:
                name = section if key is None else f"{section}_{key}"
                if name in known:
                    values[name] = value
                elif key is not None and key in known:
                    values[key] = value
                else:
                    raise SettingsError(f"{config_path}: unknown setting {name!r}")
        values["config_file"] = config_path
    elif env.get("RDV_CONFIG"):
        raise SettingsError(f"{config_path}: settings file not found")

    for name in known:
        key = ENV_PREFIX + name.upper()
        if key in env and name != "config_file":
            values[name] = env[key]

    coerced = {name: _coerce(name, raw, getattr(base, name)) for name, raw in values.items()}
    settings = replace(base, **coerced)
    settings = replace(settings, mail_from=_sender(settings))
    if not settings.data_dir.is_absolute():
        settings = replace(settings, data_dir=(cwd / settings.data_dir))
    return settings


def _sender(settings: Settings) -> str:
    """The sender address: `mail_from`, else the SMTP login if it is an address, else the outbox's own."""
    if settings.mail_from.strip():
        return settings.mail_from.strip()
    if "@" in settings.smtp_username:
        return settings.smtp_username.strip()
    if settings.smtp_host:
        from config.i18n import _

        raise SettingsError(_(
            "mail_from: set the sender of the e-mails to clients (RDV_MAIL_FROM, or from = … under [mail] in "
            "rdv.toml); with an SMTP server it is required unless the SMTP login is an e-mail address"
        ))
    return OUTBOX_SENDER
