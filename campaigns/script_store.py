"""Storage of campaign scripts: each load is a new version, the newest is the one agents and RDV sheets use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.appointments import CampaignScriptVersion
from campaigns.script import CampaignScript, parse_script, read_script_data


def store_script(
    session: Session, campaign_id: int, data: Mapping[str, Any], source_name: str, loaded_by: str, now: datetime
) -> CampaignScriptVersion:
    """Validate a script's content and keep it as the campaign's next version."""
    parse_script(data, source_name)
    latest = session.scalar(
        select(func.max(CampaignScriptVersion.version)).where(CampaignScriptVersion.campaign_id == campaign_id)
    )
    row = CampaignScriptVersion(
        campaign_id=campaign_id, version=(latest or 0) + 1, source_name=source_name,
        content=dict(data), loaded_by=loaded_by, loaded_at=now,
    )
    session.add(row)
    session.flush()
    return row


def load_script_file(
    session: Session, campaign_id: int, path: Path, loaded_by: str, now: datetime
) -> CampaignScriptVersion:
    """Read a TOML script file and store it as the campaign's next version."""
    return store_script(session, campaign_id, read_script_data(path), path.name, loaded_by, now)


def current_script(session: Session, campaign_id: int) -> tuple[int, CampaignScript] | None:
    """The version number and content of the campaign's newest script, if one was ever loaded."""
    row = session.scalar(
        select(CampaignScriptVersion)
        .where(CampaignScriptVersion.campaign_id == campaign_id)
        .order_by(CampaignScriptVersion.version.desc())
        .limit(1)
    )
    if row is None:
        return None
    return row.version, _parsed(row)


def _parsed(row: CampaignScriptVersion) -> CampaignScript:
    """A stored version, parsed once per process: versions are never changed, a new load is a new row."""
    found = _PARSED.get(row.id)
    if found is None:
        found = parse_script(row.content, f"{row.source_name} (v{row.version})")
        if len(_PARSED) > 256:
            _PARSED.clear()
        _PARSED[row.id] = found
    return found


_PARSED: dict[int, CampaignScript] = {}


def script_version(session: Session, campaign_id: int, version: int) -> CampaignScript | None:
    """One stored version of a campaign's script (the one an appointment was taken with)."""
    row = session.scalar(
        select(CampaignScriptVersion).where(
            CampaignScriptVersion.campaign_id == campaign_id, CampaignScriptVersion.version == version
        )
    )
    return None if row is None else parse_script(row.content, f"{row.source_name} (v{row.version})")
