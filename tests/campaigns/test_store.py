"""Clients and campaigns on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.errors import CampaignNotFound, ClientNotFound, DuplicateName, InvalidEmail, UnknownProfile


def test_a_campaign_belongs_to_an_existing_client(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store.add_client(session, "Charpentes Martin", ["rdv@martin.fr", "direction@martin.fr"])
        store.create_campaign(session, "Prise de RDV Charpente", "charpentes martin")
    with sessions() as session:
        campaign = store.get_campaign(session, "prise de rdv charpente")
        assert campaign.client.emails == ["rdv@martin.fr", "direction@martin.fr"]
        assert (campaign.status, campaign.profile) == ("draft", "fr-consumer")
        assert [c.name for c in store.list_campaigns(session)] == ["Prise de RDV Charpente"]


def test_names_are_unique_whatever_their_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store.add_client(session, "Acme", [])
        store.create_campaign(session, "Toitures", "Acme")
    with sessions() as session, pytest.raises(DuplicateName, match="ACME"):
        store.add_client(session, "ACME", [])
    with sessions() as session, pytest.raises(DuplicateName, match="toitures"):
        store.create_campaign(session, "toitures", "Acme")


def test_unknown_names_and_bad_input_are_refused_with_the_value(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with pytest.raises(ClientNotFound, match="Nobody"):
            store.create_campaign(session, "X", "Nobody")
        with pytest.raises(CampaignNotFound, match="Missing"):
            store.get_campaign(session, "Missing")
        with pytest.raises(InvalidEmail, match="not-an-address"):
            store.add_client(session, "Y", ["not-an-address"])
        store.add_client(session, "Z", [])
        with pytest.raises(UnknownProfile, match="mars-colony"):
            store.create_campaign(session, "X", "Z", profile="mars-colony")
