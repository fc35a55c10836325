"""mail and calendar updates

Revision ID: d19a00000001
Revises: c17e00000005
Create Date: 2026-11-29 14:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd19a00000001'
down_revision = 'c17e00000005'
branch_labels = None
depends_on = None


def upgrade():
    # The iCalendar SEQUENCE of a session, raised when it moves or is called off.
    with op.batch_alter_table("consultation_session") as batch_op:
        batch_op.add_column(
            sa.Column("sequence", sa.Integer(), nullable=False, server_default="0")
        )
    # The language a comment was sent in, for the notice of the results.
    with op.batch_alter_table("comment") as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="ja")
        )


def downgrade():
    with op.batch_alter_table("comment") as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("consultation_session") as batch_op:
        batch_op.drop_column("sequence")
