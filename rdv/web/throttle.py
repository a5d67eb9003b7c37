"""Login throttling: 5 failures a minute per login, or per address, and further attempts wait."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from rdv.web.models import LoginFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)


def is_throttled(failures_by_login: int, failures_by_address: int) -> bool:
    """Whether another attempt must wait: the pure rule."""
    return failures_by_login >= MAX_FAILURES or failures_by_address >= MAX_FAILURES


def recent_failures(session: Session, login: str, address: str, now: datetime) -> tuple[int, int]:
    """Failures within the window for this login and for this address."""
    since = now - WINDOW
    recent = select(LoginFailure).where(LoginFailure.at > since,
                                        or_(LoginFailure.login == login, LoginFailure.address == address))
    rows = list(session.scalars(recent))
    return sum(r.login == login for r in rows), sum(r.address == address for r in rows)


def throttled(session: Session, login: str, address: str, now: datetime) -> bool:
    return is_throttled(*recent_failures(session, login, address, now))


def record_failure(session: Session, login: str, address: str, now: datetime) -> None:
    """Note one refused attempt (an unknown login too), and forget the ones too old to matter."""
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
    session.add(LoginFailure(login=login[:64], address=address[:64], at=now))

