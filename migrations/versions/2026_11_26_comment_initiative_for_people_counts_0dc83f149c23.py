"""comment initiative for people counts

Each comment carries its case's initiative, so that the people who commented on an
initiative are counted by walking one index in order (initiative_id, person_key) instead of
sorting every comment's key. Existing comments take their case's initiative.

Revision ID: 0dc83f149c23
Revises: bd3397513d5a
Create Date: 2026-11-26 14:26:02.435863

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0dc83f149c23'
down_revision = 'bd3397513d5a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('initiative_id', sa.Integer(), nullable=True))
    # One statement on both backends; a case's initiative no longer changes once it has comments.
    op.execute(
        'UPDATE comment SET initiative_id = '
        '(SELECT comment_case.initiative_id FROM comment_case '
        'WHERE comment_case.id = comment.case_id)'
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.alter_column('initiative_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_comment_person_key'))
        batch_op.create_index('ix_comment_initiative_id_person_key', ['initiative_id', 'person_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_comment_initiative_id_initiative'), 'initiative', ['initiative_id'], ['id'])


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comment_initiative_id_initiative'), type_='foreignkey')
        batch_op.drop_index('ix_comment_initiative_id_person_key')
        batch_op.create_index(batch_op.f('ix_comment_person_key'), ['person_key'], unique=False)
        batch_op.drop_column('initiative_id')
