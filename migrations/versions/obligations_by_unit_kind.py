"""Index obligations by unit, kind and status (replaces the index on unit alone)

The dashboard's counts group the stored obligations of the units in scope by kind and status;
the composite index serves those and every lookup by unit, so the scan, which maintains each
index for every stored row, keeps the same number of indexes.

Revision ID: obligations_by_unit_kind
Revises: assessment_1
Create Date: 2026-11-21 10:30:00
"""
from alembic import op

revision = 'obligations_by_unit_kind'
down_revision = 'assessment_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_obligations_unit_kind_status', 'obligations',
                    ['unit_id', 'kind', 'status'], unique=False)
    op.drop_index('ix_obligations_unit_id', table_name='obligations')


def downgrade():
    op.create_index('ix_obligations_unit_id', 'obligations', ['unit_id'], unique=False)
    op.drop_index('ix_obligations_unit_kind_status', table_name='obligations')
