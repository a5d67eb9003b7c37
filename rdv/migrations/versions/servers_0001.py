"""servers: the engine that drives each agent (agents.dialer_id) and the server a person's phone is on

Revision ID: servers_0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

revision = 'servers_0001'
down_revision = None
branch_labels = ('servers',)
depends_on = ('dialer_0001', 'web_0001')


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dialer_id', sa.String(length=100), server_default='', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_server', sa.String(length=100), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone_server')
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('dialer_id')
