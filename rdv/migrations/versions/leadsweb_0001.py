"""lead files uploaded through the web and their background imports

Revision ID: leadsweb_0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

import config.orm

revision = 'leadsweb_0001'
down_revision = None
branch_labels = ('leadsweb',)
depends_on = '0001_foundation'


def upgrade() -> None:
    op.create_table('lead_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=500), nullable=False),
    sa.Column('stored_as', sa.String(length=1000), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', config.orm.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', config.orm.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_lead_uploads_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['lead_imports.id'], name=op.f('fk_lead_uploads_import_id_lead_imports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_uploads'))
    )
    with op.batch_alter_table('lead_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_uploads_campaign_id'), ['campaign_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_uploads_campaign_id'))
    op.drop_table('lead_uploads')
