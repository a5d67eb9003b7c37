"""secret checks: the fingerprint of each key a database's data was written under

Revision ID: keys_0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'keys_0001'
down_revision = None
branch_labels = ('keys',)
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('secret_checks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('first_used_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_secret_checks'))
    )


def downgrade() -> None:
    op.drop_table('secret_checks')
