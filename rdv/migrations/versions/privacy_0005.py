"""privacy: the record of each client export (its manifest's SHA-256, which erasure asks for)

Revision ID: privacy_0005
Revises: privacy_0004
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'privacy_0005'
down_revision = 'privacy_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('exported_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exported_by', sa.String(length=200), nullable=False),
    sa.Column('folder', sa.String(length=1000), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_exports'))
    )
    with op.batch_alter_table('client_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_exports_client_id'), ['client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('client_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_exports_client_id'))
    op.drop_table('client_exports')
