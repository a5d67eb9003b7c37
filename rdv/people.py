"""The back office's people: editing a client firm and a teleoperator, with the same checks as `rdv client add`
and `rdv user add`, and the audit entry each change leaves (who, what, when; never a password).

Creation, disabling and password resets are `rdv.web.accounts` and `campaigns.store`, as the CLI calls them;
this module adds what the CLI has no command for yet: changing a client's fields, a teleoperator's name, phone
and campaigns in one step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.errors import DuplicateName, InvalidEmail
from campaigns.models import Campaign, Client
from campaigns.retention import Retention, retention_of, set_retention
from campaigns.store import EMAIL
from config import audit
from config.i18n import _
from rdv.web.accounts import check_interface
from rdv.web.models import User, UserCampaign


class ClientNameRequired(ValueError):
    def __init__(self) -> None:
        super().__init__(_("A client needs a name"))


class InvalidRetention(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(_("Invalid retention {value}: write a number of years from 1 to 30").format(value=value))


class UnknownCampaigns(LookupError):
    def __init__(self) -> None:
        super().__init__(_("One of the chosen campaigns no longer exists: reload the page"))


@dataclass(frozen=True)
class Actor:
    """Who makes a change, for the audit log: the logged-in login, their role and address."""

    login: str
    role: str
    address: str = ""

    def note(self, session: Session, action: str, target: str, detail: str, now: datetime) -> None:
        audit.record(session, self.login, self.role, action, target, self.address, detail, now)


@dataclass(frozen=True)
class ClientFields:
    """What a supervisor types about a client firm."""

    name: str
    legal_name: str = ""
    siren: str = ""
    address: str = ""
    emails: tuple[str, ...] = ()
    prospect_years: str = ""
    records_years: str = ""


def split_emails(text: str) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons, spaces or lines."""
    return tuple(a for a in text.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",") if a.strip())


def _years(text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= 30:
        raise InvalidRetention(text)
    return int(text)


def check_client(session: Session, fields: ClientFields, client_id: int | None = None) -> Retention:
    """Checks every field before anything is written; returns the retention the fields ask for."""
    name = fields.name.strip()
    if not name:
        raise ClientNameRequired()
    for address in fields.emails:
        if not EMAIL.match(address.strip()):
            raise InvalidEmail(address)
    same = session.scalar(select(Client.id).where(func.lower(Client.name) == name.lower()))
    if same is not None and same != client_id:
        raise DuplicateName("client", name)
    current = retention_of(session, client_id) if client_id is not None else Retention()
    prospects, records = _years(fields.prospect_years), _years(fields.records_years)
    return Retention(prospects or current.prospect_years, records if records is not None else current.records_years)


def create_client(session: Session, fields: ClientFields, actor: Actor, now: datetime) -> Client:
    """A new client as `rdv client add` makes it, with its legal fields and retention, audited."""
    retention = check_client(session, fields)
    client = store.add_client(session, fields.name, fields.emails, fields.legal_name)
    _apply(session, client, fields, retention)
    actor.note(session, "change", f"client {client.id}", "created", now)
    return client


def save_client(session: Session, client: Client, fields: ClientFields, actor: Actor, now: datetime) -> Client:
    """Write a checked client's fields and retention, and the audit entry naming what changed."""
    retention = check_client(session, fields, client.id)
    before = _client_values(session, client)
    _apply(session, client, fields, retention)
    after = _client_values(session, client)
    changed = sorted(k for k in after if before.get(k) != after[k])
    if changed:
        actor.note(session, "change", f"client {client.id}", "changed: " + ", ".join(changed), now)
    return client


def _apply(session: Session, client: Client, fields: ClientFields, retention: Retention) -> None:
    client.name, client.legal_name = fields.name.strip(), fields.legal_name.strip() or fields.name.strip()
    client.siren, client.address = fields.siren.strip(), fields.address.strip()
    client.emails = [a.strip() for a in fields.emails]
    session.flush()
    set_retention(session, client.id, retention)


def _client_values(session: Session, client: Client) -> dict[str, object]:
    retention = retention_of(session, client.id) if client.id is not None else Retention()
    return {"name": client.name, "legal_name": client.legal_name, "siren": client.siren, "address": client.address,
            "emails": list(client.emails or []), "retention": (retention.prospect_years, retention.records_years)}


def set_campaigns(session: Session, user: User, campaign_ids: Iterable[int]) -> list[int]:
    """Exactly these campaigns for this user; refuses an id that is not a campaign."""
    wanted = sorted(set(campaign_ids))
    found = set(session.scalars(select(Campaign.id).where(Campaign.id.in_(wanted)))) if wanted else set()
    if found != set(wanted):
        raise UnknownCampaigns()
    session.execute(delete(UserCampaign).where(UserCampaign.user_id == user.id))
    session.add_all(UserCampaign(user_id=user.id, campaign_id=cid) for cid in wanted)
    session.flush()
    return wanted


class UnknownServer(ValueError):
    """A phone server that the settings do not name."""

    def __init__(self, name: str, servers: Sequence[str]) -> None:
        super().__init__(_("Unknown Asterisk server {name}: the settings name {names} ([asterisk.servers.NAME])")
                         .format(name=name, names=", ".join(servers) or _("none")))


def save_person(session: Session, user: User, name: str, phone: str, campaign_ids: Iterable[int], actor: Actor,
                now: datetime, phone_server: str | None = None, servers: Sequence[str] = ()) -> User:
    """A teleoperator's (or supervisor's) name, phone interface, phone server (one of `servers`; None: as it is)
    and campaigns, checked before anything is written."""
    interface = check_interface(phone)
    if phone_server and phone_server not in servers:
        raise UnknownServer(phone_server, servers)
    before = (user.display_name, user.phone, user.phone_server, _assigned(session, user.id))
    user.display_name, user.phone = name.strip(), interface
    if phone_server is not None:
        user.phone_server = phone_server
    ids = set_campaigns(session, user, campaign_ids) if user.role == "teleoperator" else before[3]
    changed = [label for label, old, new in zip(("name", "phone", "phone server", "campaigns"), before,
                                                 (user.display_name, user.phone, user.phone_server, ids), strict=True)
               if old != new]  # fmt: skip
    if changed:
        detail = "changed: " + ", ".join(changed) + (f"; campaigns {ids}" if "campaigns" in changed else "")
        actor.note(session, "change", f"user {user.id} ({user.login})", detail, now)
    return user


def _assigned(session: Session, user_id: int) -> list[int]:
    return sorted(session.scalars(select(UserCampaign.campaign_id).where(UserCampaign.user_id == user_id)))
