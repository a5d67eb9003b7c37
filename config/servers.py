"""The Asterisk servers of a centre (`[asterisk.servers.NAME]` tables), each driven by one dialer at a time.

A server's name is the identity under which its dialer claims leads and records attempts, so that whichever
process drives the server (its own after a restart, or a standby that takes it over) finds its calls again.
Without any table the legacy `[asterisk]` settings (`RDV_AMI_HOST` …) are one server, named after the dialer
id of the process (`rdv run --dialer-id`, "main" by default), as before servers had names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from config.i18n import _
from config.setting_checks import SettingsError, check_port, check_trunk_channels, coerce

SERVER_NAME = re.compile(r"[a-z0-9_-]+")
SERVER_KEYS = ("host", "port", "username", "secret", "trunk_channels", "campaigns")
SECRET_VARIABLE = "RDV_AMI_SECRET_"  # + the server's name upper-cased (`-` as `_`)


@dataclass(frozen=True)
class ServerSettings:
    """One Asterisk server: where its AMI is, how to log in, its trunk, and the campaigns it serves."""

    name: str
    host: str
    port: int = 5038
    username: str = "rdv"
    secret: str = field(default="rdv", repr=False)
    trunk_channels: int = 0  # 0: no limit
    campaigns: tuple[str, ...] = ()  # campaign names or ids; empty: every running campaign

    def serves(self, campaign_id: int, campaign_name: str) -> bool:
        """Whether this server dials that campaign."""
        return not self.campaigns or str(campaign_id) in self.campaigns or campaign_name in self.campaigns


def secret_variable(name: str) -> str:
    """The environment variable that holds a server's AMI secret."""
    return SECRET_VARIABLE + name.upper().replace("-", "_")


def read_servers(tables: Any, path: str, env: dict[str, str]) -> tuple[ServerSettings, ...]:
    """The `[asterisk.servers.*]` tables of the settings file at `path`, checked, in the file's order."""
    where = f"{path}: asterisk.servers"
    if not isinstance(tables, dict):
        raise SettingsError(
            _("{source}: should be tables [asterisk.servers.NAME], one per Asterisk server.").format(source=where)
        )
    return tuple(_server(name, table, f"{where}.{name}", env) for name, table in tables.items())


def _server(name: str, table: Any, where: str, env: dict[str, str]) -> ServerSettings:
    if not SERVER_NAME.fullmatch(name):
        raise SettingsError(
            _("{source}: {name} is not a server name (lower-case letters, digits, - and _).").format(
                source=where, name=name
            )
        )
    if not isinstance(table, dict):
        raise SettingsError(
            _("{source}: should be a table of host, port, username, secret, trunk_channels and campaigns.").format(
                source=where
            )
        )
    for key in table:
        if key not in SERVER_KEYS:
            raise SettingsError(
                _("{source}: unknown setting (accepted: {names}).").format(
                    source=f"{where}.{key}", names=", ".join(SERVER_KEYS)
                )
            )
    base = ServerSettings(name, "")
    values = {key: coerce(f"{where}.{key}", table[key], getattr(base, key)) for key in SERVER_KEYS[:-1]
              if key in table}  # fmt: skip
    if secret_variable(name) in env:
        values["secret"] = env[secret_variable(name)]
    if not str(values.get("host", "")).strip():
        raise SettingsError(_("{source}: host is missing (the address of the server's AMI).").format(source=where))
    server = ServerSettings(name, campaigns=_campaigns(table.get("campaigns", []), f"{where}.campaigns"),
                            **values)  # fmt: skip
    check_port(f"{where}.port", server.port)
    check_trunk_channels(f"{where}.trunk_channels", server.trunk_channels)
    return server


def _campaigns(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str | int) and not isinstance(item, bool)
                                            for item in raw):  # fmt: skip
        raise SettingsError(
            _('{source}: should be a list of campaign names or ids, e.g. ["solaire-2026", 3].').format(source=where)
        )
    return tuple(str(item) for item in raw)


def legacy_server(name: str, settings: Any) -> ServerSettings:
    """The single server of the `[asterisk]` settings (RDV_AMI_HOST …), named `name` (the dialer id)."""
    return ServerSettings(name, settings.ami_host, settings.ami_port, settings.ami_username, settings.ami_secret,
                          settings.trunk_channels)  # fmt: skip


def named_list(raw: str) -> tuple[str, ...]:
    """`a,b` (RDV_DIALER_SERVERS, RDV_DIALER_STANDBY) as names, blanks dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())
