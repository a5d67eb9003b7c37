"""Whose phone rings for an agent: the teleoperator's own interface (`users.phone`, e.g. `PJSIP/1001`).

The bus asks the phone book at login (QueueAdd with that interface), for a transfer's target and for a
supervisor's phone when they listen. The users' table belongs to the web (`rdv.web.models`); a command may
also carry `phone` and `name` (tests, and a web that resolved them itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

# (session, login, the command's arguments) -> (phone interface or "", display name or "")
PhoneBook = Callable[[Session, str, Mapping[str, Any]], tuple[str, str]]


def users_phone_book(session: Session, login: str, args: Mapping[str, Any]) -> tuple[str, str]:
    """The user's phone and display name, else what the command carried."""
    phone, name = str(args.get("phone") or ""), str(args.get("name") or "")
    try:
        from rdv.web.models import user_by_login
    except ImportError:  # a dialer installed without the web: only what the commands carry
        return phone, name
    user = user_by_login(session, login)
    if user is None or not user.active:
        return phone, name
    return user.phone or phone, user.display_name or name
