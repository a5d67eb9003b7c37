"""An upgrade keeps calling the leads it called before: stored leads get consent records from their columns."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from leads.consent_models import ConsentGrant
from rdv import db
from tests.campaigns.factories import campaign, leads


def test_the_migration_makes_records_of_the_consent_columns_of_stored_leads(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    with sessions.begin() as session:
        made = campaign(session)
        proven = leads(session, made.id, 1)[0]
        exempt = leads(session, made.id, 1, start=20, consent_at=None, consent_source="", consent_proof="",
                       contract_exemption=True)[0]
        leads(session, made.id, 1, start=30, consent_at=None, consent_source="", consent_proof="")
        client_id = made.client_id
    with engine.begin() as connection:
        cfg = db.alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "privacy_0001")
    db.upgrade(engine)
    with sessions() as session:
        rows = session.execute(select(ConsentGrant.lead_id, ConsentGrant.client_id, ConsentGrant.kind,
                                      ConsentGrant.source, ConsentGrant.proof_ref, ConsentGrant.origin)
                               .order_by(ConsentGrant.lead_id)).all()
    assert [tuple(r) for r in rows] == [
        (proven.id, client_id, "form", "web form example.fr", "proof-0001", "lead columns"),
        (exempt.id, client_id, "contract", "", "", "lead columns")]
