"""What the back office's people pages show: rows of clients and accounts, and which form field an error is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.errors import CampaignNotFound, ClientNotFound, DuplicateName, InvalidEmail
from campaigns.models import Campaign, Client
from campaigns.retention import retention_of
from config.i18n import _
from rdv import people
from rdv.web import accounts
from rdv.web.models import User, UserCampaign
from rdv.web.pages_auth import client_address

# Which field of the form shows each refusal, in place.
FIELD_OF: dict[type[Exception], str] = {
    accounts.InvalidLogin: "login", accounts.DuplicateLogin: "login", accounts.UnknownRole: "role",
    accounts.InvalidInterface: "phone", accounts.ClientRequired: "client", accounts.ClientOnlyForClients: "client",
    ClientNotFound: "client", CampaignNotFound: "campaigns", people.UnknownCampaigns: "campaigns",
    accounts.LastSupervisor: "active", DuplicateName: "name", people.ClientNameRequired: "name",
    InvalidEmail: "emails", people.InvalidRetention: "retention", people.UnknownServer: "phone_server",
}
REFUSALS = tuple(FIELD_OF)


def errors_of(refused: Exception) -> dict[str, str]:
    """The refusal as {field: French sentence}; the CLI's wording where it names a command-line option."""
    name = next((f for kind, f in FIELD_OF.items() if isinstance(refused, kind)), "form")
    if isinstance(refused, accounts.ClientRequired):
        return {name: _("A client account belongs to a client: choose it in the list")}
    if isinstance(refused, accounts.ClientOnlyForClients):
        return {name: _("Only client accounts belong to a client: leave the client empty")}
    return {name: str(refused)}


def actor_of(request: Request) -> people.Actor:
    user = request.state.user
    return people.Actor(user.login, user.role, client_address(request))


@dataclass
class PersonRow:
    user: User
    campaigns: list[str] = field(default_factory=list)
    client: str = ""


def person_rows(session: Session, roles: tuple[str, ...], client_id: int | None = None) -> list[PersonRow]:
    """Accounts of these roles (of one client, if given), by role then login, with their campaigns' names."""
    query = select(User).where(User.role.in_(roles)).order_by(User.role.desc(), User.login)
    if client_id is not None:
        query = query.where(User.client_id == client_id)
    users = list(session.scalars(query))
    names = dict(session.execute(select(Client.id, Client.name)).all())
    assigned: dict[int, list[str]] = {}
    rows = session.execute(select(UserCampaign.user_id, Campaign.name)
                           .join(Campaign, Campaign.id == UserCampaign.campaign_id).order_by(Campaign.name))
    for user_id, campaign in rows:
        assigned.setdefault(user_id, []).append(campaign)
    return [PersonRow(u, assigned.get(u.id, []), names.get(u.client_id, "") if u.client_id else "") for u in users]


@dataclass
class ClientRow:
    client: Client
    campaigns: int
    users: int


def client_rows(session: Session) -> list[ClientRow]:
    campaigns = dict(session.execute(select(Campaign.client_id, func.count()).group_by(Campaign.client_id)).all())
    users = dict(session.execute(select(User.client_id, func.count()).where(User.client_id.is_not(None))
                                 .group_by(User.client_id)).all())  # fmt: skip
    return [ClientRow(c, campaigns.get(c.id, 0), users.get(c.id, 0))
            for c in session.scalars(select(Client).order_by(Client.name))]


def client_values(session: Session, client: Client) -> dict[str, Any]:
    """The client's fields as the edit form shows them."""
    retention = retention_of(session, client.id)
    return {"name": client.name, "legal_name": client.legal_name, "siren": client.siren, "address": client.address,
            "emails": ", ".join(client.emails or []), "prospect_years": str(retention.prospect_years),
            "records_years": str(retention.records)}


def role_choices() -> list[tuple[str, str]]:
    return [("teleoperator", _("teleoperator")), ("supervisor", _("supervisor")), ("client", _("client"))]


def campaign_choices(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.name)))


def parse_ids(values: list[str]) -> list[int]:
    """Campaign ids from a multi-select; an unreadable one is a campaign that does not exist."""
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise people.UnknownCampaigns() from None
