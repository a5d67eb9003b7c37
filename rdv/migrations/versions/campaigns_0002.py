"""cheap hopper claims: claim journal, no index on claims, fillfactor on leads

Revision ID: campaigns_0002
Revises: campaigns_0001

A claim now only changes `leads.claimed_by`/`claimed_at`, which no index covers, so on PostgreSQL it is a HOT
update (no index entry rewritten) as long as the lead's page has room: fillfactor 85 keeps that room on pages
written from now on. Rows already stored keep full pages until the table is rewritten (`VACUUM FULL leads` at
a quiet hour); claims stay correct meanwhile, only slower. Stale claims are found through `lead_claims`.
`ix_leads_campaign_status_next` duplicated the prefix of `ix_leads_hopper`, which serves every query on leads.
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'campaigns_0002'
down_revision = 'campaigns_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key to leads: its per-row check would lock each lead again and cost more than the claim.
    op.create_table('lead_claims',
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('dialer_id', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_lead_claims'))
    )
    # Claims held across the upgrade go into the journal, so that release_stale_claims still finds them.
    op.execute("INSERT INTO lead_claims (lead_id, dialer_id, claimed_at) SELECT id, claimed_by, claimed_at"
               " FROM leads WHERE claimed_by != '' AND claimed_at IS NOT NULL")
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_claimed_at', postgresql_where=sa.text("claimed_by != ''"),
                            sqlite_where=sa.text("claimed_by != ''"))
        batch_op.drop_index('ix_leads_campaign_status_next')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE leads SET (fillfactor = 85)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE leads RESET (fillfactor)')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_campaign_status_next', ['campaign_id', 'status', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index('ix_leads_claimed_at', ['claimed_at'], unique=False,
                              postgresql_where=sa.text("claimed_by != ''"), sqlite_where=sa.text("claimed_by != ''"))
    op.drop_table('lead_claims')
