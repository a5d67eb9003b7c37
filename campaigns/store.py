"""Storage of clients and campaigns (SQLAlchemy 2 `select()`), behind small functions."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.errors import CampaignNotFound, ClientNotFound, DuplicateName, InvalidEmail, UnknownProfile
from campaigns.models import Campaign, Client
from campaigns.rules import DEFAULT_CENTRE_TIMEZONE, CampaignRules, campaign_rules
from config.profiles import profile_names

EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


def add_client(session: Session, name: str, emails: Iterable[str], legal_name: str = "") -> Client:
    """Create a client with the addresses that receive its RDV sheets."""
    name = name.strip()
    addresses = [e.strip() for e in emails if e.strip()]
    for address in addresses:
        if not EMAIL.match(address):
            raise InvalidEmail(address)
    if session.scalar(select(Client.id).where(func.lower(Client.name) == name.lower())) is not None:
        raise DuplicateName("client", name)
    client = Client(name=name, emails=addresses, legal_name=legal_name or name)
    session.add(client)
    session.flush()
    return client


def get_client(session: Session, name: str) -> Client:
    client = session.scalar(select(Client).where(func.lower(Client.name) == name.strip().lower()))
    if client is None:
        raise ClientNotFound(name)
    return client


def list_clients(session: Session) -> list[Client]:
    return list(session.scalars(select(Client).order_by(Client.name)))


def create_campaign(
    session: Session, name: str, client_name: str, profile: str = "fr-consumer", timezone: str = "Europe/Paris"
) -> Campaign:
    """Create a draft campaign for an existing client under a regulatory calling profile."""
    name = name.strip()
    client = get_client(session, client_name)
    known = profile_names()
    if profile not in known:
        raise UnknownProfile(profile, known)
    if session.scalar(select(Campaign.id).where(func.lower(Campaign.name) == name.lower())) is not None:
        raise DuplicateName("campaign", name)
    campaign = Campaign(name=name, client_id=client.id, profile=profile, timezone=timezone, settings={})
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, name: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(func.lower(Campaign.name) == name.strip().lower()))
    if campaign is None:
        raise CampaignNotFound(name)
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.name)))


def load_rules(session: Session, campaign_id: int, centre_timezone: str = DEFAULT_CENTRE_TIMEZONE) -> CampaignRules:
    """The rules of a stored campaign."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(str(campaign_id))
    return campaign_rules(
        campaign.id, campaign.client_id, campaign.profile, campaign.settings or {}, campaign.timezone, centre_timezone
    )
