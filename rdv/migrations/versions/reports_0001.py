"""Reports: the e-mail outbox (every message stored before sending)

Revision ID: reports_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'reports_0001'
down_revision = None
branch_labels = ('reports',)
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('mail_from', sa.String(length=300), nullable=False),
    sa.Column('to', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('permanent_failures', sa.Integer(), nullable=False),
    sa.Column('next_try_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('delivered_to', sa.String(length=500), nullable=False),
    sa.Column('created_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_outbox_messages_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_kind_campaign_day', ['kind', 'campaign_id', 'day'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_next_try', ['status', 'next_try_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_try')
        batch_op.drop_index('ix_outbox_messages_kind_campaign_day')

    op.drop_table('outbox_messages')
