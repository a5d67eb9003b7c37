"""Fixtures for lead-file tests: a campaign to import into, and files written as real tools write them."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store as campaigns
from leads.importer import ImportTarget


@pytest.fixture
def target(sessions: sessionmaker[Session]) -> ImportTarget:
    """A client and a fr-consumer campaign, on SQLite and on PostgreSQL."""
    with sessions.begin() as session:
        campaigns.add_client(session, "Charpentes Martin", ["rdv@martin.fr"])
        campaign = campaigns.create_campaign(session, "Prise de RDV Charpente", "Charpentes Martin")
        return ImportTarget(campaign.id, campaign.client_id, campaign.timezone)


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str = "cp1252", delimiter: str = ";") -> Path:
    """A CSV file as a spreadsheet would save it."""
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path
