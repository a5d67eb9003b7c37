"""privacy: retention per client, and which leads were anonymised

Revision ID: privacy_0004
Revises: privacy_0003
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'privacy_0004'
down_revision = 'privacy_0003'
branch_labels = None
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('client_retention',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('prospect_years', sa.Integer(), nullable=False),
    sa.Column('records_years', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_retention_client_id_clients')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_client_retention'))
    )
    op.create_table('anonymised_leads',
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('anonymised_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_anonymised_leads_lead_id_leads'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_anonymised_leads'))
    )


def downgrade() -> None:
    op.drop_table('anonymised_leads')
    op.drop_table('client_retention')
