"""Accounts: create users, assign campaigns, reset passwords, disable; what `rdv user …` calls."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.models import Campaign
from config.i18n import _
from rdv.web.auth import close_all_sessions, hash_password, new_password
from rdv.web.models import User, UserCampaign, user_by_login
from rdv.web.roles import Role

LOGIN = re.compile(r"[a-z0-9_.]{2,64}")
# An Asterisk dial interface: technology/resource (`PJSIP/1001`, `SIP/desk12`, `Local/agent1@agents/n`).
INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9]*/[^\s,;|]+")


class InvalidLogin(ValueError):
    def __init__(self, login: str) -> None:
        super().__init__(_("Invalid login {login}: use 2 to 64 lowercase letters, digits, _ or . (no space, no "
                           "accent)").format(login=login))  # fmt: skip


class UnknownRole(ValueError):
    def __init__(self, role: str) -> None:
        super().__init__(_("Unknown role {role}: choose supervisor, teleoperator or client").format(role=role))


class InvalidInterface(ValueError):
    def __init__(self, phone: str) -> None:
        super().__init__(_("Invalid phone interface {phone}: write it as Asterisk dials it, e.g. PJSIP/1001")
                         .format(phone=phone))  # fmt: skip


class ClientRequired(ValueError):
    def __init__(self) -> None:
        super().__init__(_("A client account needs its firm: add --client NAME"))


class ClientOnlyForClients(ValueError):
    def __init__(self) -> None:
        super().__init__(_("--client is only for accounts with the client role"))


class DuplicateLogin(ValueError):
    def __init__(self, login: str) -> None:
        super().__init__(_("The login {login} is already taken").format(login=login))


class LastSupervisor(ValueError):
    def __init__(self) -> None:
        super().__init__(_("This is the last active supervisor: enable or create another supervisor first, "
                           "or nobody could manage the accounts any more"))


class UserNotFound(LookupError):
    def __init__(self, login: str) -> None:
        super().__init__(_("Unknown user: {login}").format(login=login))


@dataclass(frozen=True)
class NewAccount:
    user: User
    password: str  # shown once, never stored in clear


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise UnknownRole(text) from None


def check_interface(phone: str) -> str:
    phone = phone.strip()
    if phone and not INTERFACE.fullmatch(phone):
        raise InvalidInterface(phone)
    return phone


def add_user(session: Session, login: str, role: str, now: datetime, *, client: str = "", phone: str = "",
             name: str = "", campaigns: Iterable[str] = (), phone_server: str = "") -> NewAccount:
    """A new active account with a generated first password; checks everything before writing anything.

    `phone_server`: the Asterisk server the phone is on (checked against the settings by the caller)."""
    typed, login = login, login.strip().lower()
    if not LOGIN.fullmatch(login):
        raise InvalidLogin(typed)
    kind = parse_role(role)
    if kind == Role.client and not client.strip():
        raise ClientRequired()
    if kind != Role.client and client.strip():
        raise ClientOnlyForClients()
    client_id = store.get_client(session, client).id if client.strip() else None
    interface = check_interface(phone)
    campaign_ids = [store.get_campaign(session, c).id for c in campaigns]
    if user_by_login(session, login) is not None:
        raise DuplicateLogin(login)
    password = new_password()
    user = User(login=login, role=kind.value, display_name=name.strip(), client_id=client_id, phone=interface,
                phone_server=phone_server, password_hash=hash_password(password), created_at=now,
                password_changed_at=now)  # fmt: skip
    session.add(user)
    session.flush()
    session.add_all(UserCampaign(user_id=user.id, campaign_id=cid) for cid in dict.fromkeys(campaign_ids))
    return NewAccount(user, password)


def get_user(session: Session, login: str) -> User:
    user = user_by_login(session, login)
    if user is None:
        raise UserNotFound(login)
    return user


def assign(session: Session, login: str, campaigns: Iterable[str], remove: bool = False) -> list[str]:
    """Give (or take back) campaigns; returns the names now assigned."""
    user = get_user(session, login)
    wanted = [store.get_campaign(session, c) for c in campaigns]
    ids = [c.id for c in wanted]
    if remove:
        session.execute(delete(UserCampaign).where(UserCampaign.user_id == user.id,
                                                   UserCampaign.campaign_id.in_(ids)))  # fmt: skip
    else:
        have = set(session.scalars(select(UserCampaign.campaign_id).where(UserCampaign.user_id == user.id)))
        session.add_all(UserCampaign(user_id=user.id, campaign_id=cid) for cid in dict.fromkeys(ids) if cid not in have)
    session.flush()
    return assigned_names(session, user.id)


def assigned_names(session: Session, user_id: int) -> list[str]:
    query = (select(Campaign.name).join(UserCampaign, UserCampaign.campaign_id == Campaign.id)
             .where(UserCampaign.user_id == user_id).order_by(Campaign.name))  # fmt: skip
    return list(session.scalars(query))


def reset_password(session: Session, login: str, now: datetime) -> str:
    """A new generated password; every open session of the user ends."""
    user = get_user(session, login)
    password = new_password()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    close_all_sessions(session, user.id)
    return password


def set_active(session: Session, login: str, active: bool) -> User:
    """Disable (ending every session) or enable an account."""
    user = get_user(session, login)
    if not active and user.active and user.role == Role.supervisor and _other_supervisors(session, user.id) == 0:
        raise LastSupervisor()
    user.active = active
    if not active:
        close_all_sessions(session, user.id)
    return user


def _other_supervisors(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(User).where(User.role == Role.supervisor.value, User.active.is_(True),
                                                         User.id != user_id)  # fmt: skip
    return session.scalar(query) or 0


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.login)))
