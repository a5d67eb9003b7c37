"""How a client reads who took a call: the teleoperator's display name, never a bare login like `agent5`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.i18n import _
from dialer.models import AgentRecord

_NUMBERED = re.compile(r"[A-Za-z_.-]*?(\d+)")


def display_names(session: Session, logins: Iterable[str] | None = None) -> dict[str, str]:
    """Login → display name of the agents the dialer knows (all of them, or the given logins)."""
    query = select(AgentRecord.login, AgentRecord.display_name)
    if logins is not None:
        wanted = sorted({login for login in logins if login})
        if not wanted:
            return {}
        query = query.where(AgentRecord.login.in_(wanted))
    return {login: name for login, name in session.execute(query) if name and name != login}


def agent_label(login: str | None, names: Mapping[str, str]) -> str:
    """`Marie Dupont` when the agent has a display name, else `téléacteur n° 5` for `agent5`, else the login."""
    if not login:
        return ""
    if name := names.get(login):
        return name
    if (numbered := _NUMBERED.fullmatch(login)) is not None:
        return _("teleoperator no. {number}").format(number=int(numbered.group(1)))
    return login
