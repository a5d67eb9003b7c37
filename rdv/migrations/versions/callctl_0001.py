"""call control events and call recordings

Revision ID: callctl_0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'callctl_0001'
down_revision = None
branch_labels = ('callctl',)
depends_on = '0001_foundation'

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('call_events',
    sa.Column('id', _ID, nullable=False),
    sa.Column('attempt_id', _ID, nullable=False),
    sa.Column('call_id', sa.String(length=100), nullable=False),
    sa.Column('at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_call_events_attempt_id_attempts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events'))
    )
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_events_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('recordings',
    sa.Column('id', _ID, nullable=False),
    sa.Column('attempt_id', _ID, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('size_bytes', _ID, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delete_after', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_recordings_attempt_id_attempts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_recordings_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_recordings_attempt_id'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_delete_after'), ['delete_after'], unique=False)


def downgrade() -> None:
    op.drop_table('recordings')
    op.drop_table('call_events')
