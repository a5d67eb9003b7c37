"""A campaign's script edited as TOML text (the web back office): each save is a new stored version.

Versions are stored as the parsed content (`campaign_scripts.content`), as `rdv campaign script --load` does;
`script_toml` writes a stored version back as TOML for the editor, so that the web and the CLI take the same
file format. Comments of a loaded file are not kept: the stored content is the truth.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.appointments import Appointment, CampaignScriptVersion
from campaigns.script import InvalidTomlFile
from campaigns.script_store import store_script
from config.toml_errors import toml_error_text

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
WEB_SOURCE = "web.toml"  # the source name a version saved from the web carries (errors name it)


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # Paragraphs read best as multi-line literal text, when nothing in them would end it early.
        if "\n" in value and "'''" not in value and not value.endswith("'"):
            return "'''\n" + value + "'''"
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are all valid TOML escapes
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(data: Mapping[str, Any], path: str, lines: list[str]) -> None:
    """Plain values first, then sub-tables and lists of tables (TOML wants them after the values)."""
    for key, value in data.items():
        if not isinstance(value, Mapping) and not _is_table_list(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        inner = f"{path}.{_key(key)}" if path else _key(key)
        if isinstance(value, Mapping):
            lines += ["", f"[{inner}]"]
            _table(value, inner, lines)
        elif _is_table_list(value):
            for item in value:
                lines += ["", f"[[{inner}]]"]
                _table(item, inner, lines)


def script_toml(data: Mapping[str, Any]) -> str:
    """A stored script's content as TOML text that reads back to the same content."""
    lines: list[str] = []
    _table(data, "", lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def parse_toml_text(text: str, source: str = WEB_SOURCE) -> dict[str, Any]:
    """The content of TOML text; InvalidTomlFile names the line and column of a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidTomlFile(toml_error_text(source, exc)) from None


def save_script_text(session: Session, campaign_id: int, text: str, saved_by: str,
                     now: datetime) -> CampaignScriptVersion:
    """Validate TOML text as a script (InvalidTomlFile, InvalidScript) and store it as the next version."""
    return store_script(session, campaign_id, parse_toml_text(text), WEB_SOURCE, saved_by, now)


def versions(session: Session, campaign_id: int) -> list[CampaignScriptVersion]:
    """Every stored version of a campaign's script, newest first."""
    return list(session.scalars(select(CampaignScriptVersion).where(
        CampaignScriptVersion.campaign_id == campaign_id).order_by(CampaignScriptVersion.version.desc())))


def version_row(session: Session, campaign_id: int, version: int) -> CampaignScriptVersion | None:
    return session.scalar(select(CampaignScriptVersion).where(
        CampaignScriptVersion.campaign_id == campaign_id, CampaignScriptVersion.version == version))


def appointments_by_version(session: Session, campaign_id: int) -> dict[int, int]:
    """How many RDVs were taken with each version of the campaign's script (they keep it for good)."""
    rows = session.execute(select(Appointment.script_version, func.count(Appointment.id)).where(
        Appointment.campaign_id == campaign_id, Appointment.script_version.is_not(None),
    ).group_by(Appointment.script_version))
    return {int(version or 0): int(count) for version, count in rows}
