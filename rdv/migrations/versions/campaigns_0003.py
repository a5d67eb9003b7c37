"""attempts.pbx: the PBX whose trunk carries each call, so that dialers sharing a PBX respect its capacity

Revision ID: campaigns_0003
Revises: campaigns_0002

Attempts recorded before have no PBX (''): they count for no trunk, which only matters for the calls live
during the upgrade. The partial index holds live attempts only, a few hundred rows however long the history.
"""

import sqlalchemy as sa
from alembic import op

revision = 'campaigns_0003'
down_revision = 'campaigns_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        # The server default stays: on SQLite dropping it would rewrite the whole table.
        batch_op.add_column(sa.Column('pbx', sa.String(length=200), nullable=False, server_default=''))
        batch_op.create_index('ix_attempts_live_pbx', ['pbx'], unique=False,
                              postgresql_where=sa.text("outcome = ''"), sqlite_where=sa.text("outcome = ''"))


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_live_pbx', postgresql_where=sa.text("outcome = ''"),
                            sqlite_where=sa.text("outcome = ''"))
        batch_op.drop_column('pbx')
