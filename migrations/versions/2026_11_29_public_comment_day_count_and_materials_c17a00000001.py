"""public comment day count and materials

Revision ID: c17a00000001
Revises: a7c3e91f42d0
Create Date: 2026-11-29 13:30:00

A case's material is an uploaded file or a link to a page elsewhere: case_material gains `url`
and its file becomes optional, one of the two required by a check constraint. Existing
materials all have a file (their url is empty), so the constraint holds on existing data.
The day count of the comment period (JST dates) needs no schema change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17a00000001'
down_revision = 'a7c3e91f42d0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_material', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=500), server_default='', nullable=False))
        batch_op.alter_column('stored_file_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            batch_op.f('ck_case_material_file_or_url'), "(stored_file_id IS NULL) <> (url = '')"
        )


def downgrade():
    # Links cannot be kept without the column: they are dropped with it.
    op.execute("DELETE FROM case_material WHERE stored_file_id IS NULL")
    with op.batch_alter_table('case_material', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_case_material_file_or_url'), type_='check')
        batch_op.alter_column('stored_file_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('url')
