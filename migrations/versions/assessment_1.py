"""assessment: scoring schemes per year, frozen snapshots

Revision ID: assessment_1
Revises: af1b852fd214
Create Date: 2026-11-21 08:42:59.620284

"""
from alembic import op
import sqlalchemy as sa

import emergency.database


# revision identifiers, used by Alembic.
revision = 'assessment_1'
down_revision = 'af1b852fd214'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment_schemes',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('deductions', sa.JSON(), nullable=False),
    sa.Column('excellent_min', sa.Integer(), nullable=False),
    sa.Column('pass_min', sa.Integer(), nullable=False),
    sa.Column('updated_at', emergency.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_assessment_schemes_updated_by_id_users')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_assessment_schemes'))
    )
    op.create_table('assessment_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', emergency.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assessment_snapshots_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_assessment_snapshots_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_snapshots'))
    )
    with op.batch_alter_table('assessment_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_snapshots_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_snapshots_year'), ['year'], unique=False)



def downgrade():
    with op.batch_alter_table('assessment_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_snapshots_year'))
        batch_op.drop_index(batch_op.f('ix_assessment_snapshots_region_id'))

    op.drop_table('assessment_snapshots')
    op.drop_table('assessment_schemes')
