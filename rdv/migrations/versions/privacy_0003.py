"""privacy: opposition lists kept as keyed hashes (numbers for which only membership matters)

Revision ID: privacy_0003
Revises: privacy_0002
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'privacy_0003'
down_revision = 'privacy_0002'
branch_labels = None
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('do_not_call_hashed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('added_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_do_not_call_hashed_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_do_not_call_hashed')),
    sa.UniqueConstraint('client_id', 'digest', name='uq_do_not_call_hashed_client_digest')
    )
    with op.batch_alter_table('do_not_call_hashed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_do_not_call_hashed_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_do_not_call_hashed_digest'), ['digest'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('do_not_call_hashed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_do_not_call_hashed_digest'))
        batch_op.drop_index(batch_op.f('ix_do_not_call_hashed_client_id'))
    op.drop_table('do_not_call_hashed')
