"""Passwords (argon2id), server-side sessions in the database, and the `current_user` dependency."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rdv.web.models import User, WebSession

SESSION_COOKIE = "rdv_session"
# A shift and its overtime; then the browser logs in again.
SESSION_LIFETIME = timedelta(hours=12)
# Long enough for a teleoperator who waits for calls on one open page (its live stream makes no request).
IDLE_TIMEOUT = timedelta(hours=4)
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 parameters
# Verified against when the login is unknown, so that an unknown login costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class NotAuthenticated(Exception):
    """No valid session: a page redirects to the login, anything else answers 401."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def new_password() -> str:
    """A first password to hand over once: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is this user's; spends the same effort when there is no such user."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    """What the login hands the browser: the cookie's token (never stored) and the session's CSRF token."""

    token: str
    csrf_token: str


def open_session(session: Session, user: User, address: str, now: datetime) -> OpenedSession:
    """A new session for `user`; the caller commits."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=token_hash(token), user_id=user.id, csrf_token=csrf, created_at=now,
                           expires_at=now + SESSION_LIFETIME, last_seen_at=now, address=address[:64]))  # fmt: skip
    return OpenedSession(token, csrf)


def is_live(web_session: WebSession, now: datetime) -> bool:
    """Neither past its lifetime nor idle too long."""
    return now < web_session.expires_at and now - web_session.last_seen_at < IDLE_TIMEOUT


def find_session(session: Session, token: str, now: datetime) -> tuple[WebSession, User] | None:
    """The live session of this cookie token and its active user, touched; None otherwise."""
    row = session.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                          .where(WebSession.token_hash == token_hash(token))).first()  # fmt: skip
    if row is None:
        return None
    web_session, user = row[0], row[1]
    if not user.active or not is_live(web_session, now):
        return None
    if now - web_session.last_seen_at >= TOUCH_EVERY:
        web_session.last_seen_at = now
    return web_session, user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def close_all_sessions(session: Session, user_id: int) -> int:
    """Log this user out everywhere; returns how many sessions ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired(session: Session, now: datetime) -> None:
    session.execute(delete(WebSession).where((WebSession.expires_at <= now)
                                             | (WebSession.last_seen_at <= now - IDLE_TIMEOUT)))  # fmt: skip


def db(request: Request) -> Iterator[Session]:
    """A database session for one request (a dependency); the route commits what it changes."""
    with request.app.state.sessions() as session:
        yield session


def wall_now(request: Request) -> datetime:
    """Sessions and throttling follow the wall clock, even when a test runs the campaigns on a faster one."""
    now: datetime = request.app.state.wall_clock.now()
    return now


def session_user(request: Request) -> User | None:
    """The logged-in user of this request, or None; looked up once per request."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    request.state.user = None
    request.state.web_session = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with request.app.state.sessions.begin() as session:
            found = find_session(session, token, wall_now(request))
            if found is not None:
                request.state.web_session, request.state.user = found
    return request.state.user  # type: ignore[no-any-return]


def current_user(request: Request) -> User:
    """The logged-in user (a dependency); without a valid session, the login page or 401."""
    user = session_user(request)
    if user is None:
        raise NotAuthenticated()
    return user
