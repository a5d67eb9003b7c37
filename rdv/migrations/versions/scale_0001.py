"""job fires: each scheduled fire time claimed once, across processes

Revision ID: scale_0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'scale_0001'
down_revision = None
branch_labels = ('scale',)
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('job_fires',
    sa.Column('job_id', sa.String(length=200), nullable=False),
    sa.Column('fire_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('run_by', sa.String(length=100), nullable=False),
    sa.Column('started_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('job_id', 'fire_at', name=op.f('pk_job_fires'))
    )


def downgrade() -> None:
    op.drop_table('job_fires')
