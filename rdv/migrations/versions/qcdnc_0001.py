"""quality-control decisions on RDV sheets

Revision ID: qcdnc_0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'qcdnc_0001'
down_revision = None
branch_labels = ('qcdnc',)
depends_on = ['0001_foundation', 'rdvsheets_0001']


def upgrade() -> None:
    op.create_table('appointment_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('appointment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('agent', sa.String(length=100), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_reviews_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_reviews'))
    )
    with op.batch_alter_table('appointment_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_reviews_agent'), ['agent'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_reviews_appointment_id'), ['appointment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appointment_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_reviews_appointment_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_reviews_agent'))
    op.drop_table('appointment_reviews')
