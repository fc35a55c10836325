"""job claims, grouping edits and observer submission tokens

Revision ID: a7c3e91f42d0
Revises: 5e55104a1d16
Create Date: 2026-11-29 15:00:00

Cron jobs claim their rows (outbox_message, grouping_job: claimed_at, claimed_by), so that two
runners never do the same work. Staff edits of comment groups are kept (grouping_edit) until a
grouping run replaces them and says so in the audit log. Observer seats carry the form's
submission token, unique per meeting; existing seats have none, so the constraint holds on
existing data. One seat per e-mail address is checked by the service, not by a constraint,
because seats booked before may share an address.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91f42d0'
down_revision = '5e55104a1d16'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
    with op.batch_alter_table('grouping_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
    op.create_table(
        'grouping_edit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('edited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['comment_case.id'], name=op.f('fk_grouping_edit_case_id_comment_case')),
        sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_grouping_edit_comment_id_comment')),
        sa.ForeignKeyConstraint(['edited_by_id'], ['user.id'], name=op.f('fk_grouping_edit_edited_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grouping_edit')),
    )
    with op.batch_alter_table('grouping_edit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grouping_edit_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('observer_registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_observer_registration_meeting_id_submission_token'), ['meeting_id', 'submission_token'])


def downgrade():
    with op.batch_alter_table('observer_registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_observer_registration_meeting_id_submission_token'), type_='unique')
        batch_op.drop_column('submission_token')
    with op.batch_alter_table('grouping_edit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grouping_edit_case_id'))
    op.drop_table('grouping_edit')
    with op.batch_alter_table('grouping_job', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_at')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_at')
