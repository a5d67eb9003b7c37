"""privacy: consent records per lead (scope, expiry, revocation), made from the leads' consent columns

Revision ID: privacy_0002
Revises: privacy_0001

The hopper's consent gate reads these records only: leads already stored get theirs from their consent
columns here, so an upgrade calls exactly the leads it called before.
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'privacy_0002'
down_revision = 'privacy_0001'
branch_labels = None
depends_on = ('0001_foundation', 'consent_0001')


def upgrade() -> None:
    op.create_table('consent_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('given_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('text_ref', sa.String(length=500), nullable=False),
    sa.Column('proof_ref', sa.String(length=200), nullable=False),
    sa.Column('products', sa.String(length=300), nullable=False),
    sa.Column('expires_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hours_exempt', sa.Boolean(), nullable=False),
    sa.Column('revoked_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoke_channel', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_consent_records_client_id_clients')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_consent_records_lead_id_leads'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index('ix_consent_records_lead_client', ['lead_id', 'client_id'], unique=False)
    now = "now()" if op.get_bind().dialect.name == "postgresql" else "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
    columns = ("lead_id, client_id, kind, given_at, source, text_ref, proof_ref, products, hours_exempt, "
               "revoke_channel, origin, recorded_by, recorded_at")
    op.execute(f"INSERT INTO consent_records ({columns}) SELECT l.id, c.client_id, 'form', l.consent_at, "
               f"l.consent_source, '', l.consent_proof, '', false, '', 'lead columns', '', {now} FROM leads l "
               "JOIN campaigns c ON c.id = l.campaign_id WHERE l.consent_at IS NOT NULL OR l.consent_source != '' "
               "OR l.consent_proof != ''")
    op.execute(f"INSERT INTO consent_records ({columns}) SELECT l.id, c.client_id, 'contract', NULL, '', '', '', "
               f"'', false, '', 'lead columns', '', {now} FROM leads l JOIN campaigns c ON c.id = l.campaign_id "
               "WHERE l.contract_exemption")


def downgrade() -> None:
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_records_lead_client')
    op.drop_table('consent_records')
