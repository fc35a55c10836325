"""indexes for figures and lists at national scale

Covering indexes for counting comments and people per case and seats per session, and one
for the open and upcoming public comment cases (issue 9: national-scale benchmarks).

Revision ID: 0989f52bfa27
Revises: f4751cfb5af7
Create Date: 2026-11-26 06:11:12.237485

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0989f52bfa27'
down_revision = 'f4751cfb5af7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_case_id_person_key', ['case_id', 'person_key'], unique=False)

    with op.batch_alter_table('comment_case', schema=None) as batch_op:
        batch_op.create_index('ix_comment_case_status_closes_at', ['status', 'closes_at'], unique=False)

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_session_id_status', ['session_id', 'status', 'party_size'], unique=False)


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_session_id_status')

    with op.batch_alter_table('comment_case', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_case_status_closes_at')

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_case_id_person_key')
