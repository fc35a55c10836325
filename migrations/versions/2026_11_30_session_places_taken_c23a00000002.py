"""Sessions: the places taken by confirmed registrations, kept on the session

Registering judged each newcomer by summing the session's confirmed registrations, in the
writers' turn: a popular session's every registration made the next one slower.

Revision ID: c23a00000002
Revises: c23a00000001
Create Date: 2026-11-30 07:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c23a00000002"
down_revision = "c23a00000001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consultation_session") as batch:
        batch.add_column(sa.Column("places_taken", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        """
        UPDATE consultation_session SET places_taken = (
            SELECT coalesce(sum(registration.party_size), 0) FROM registration
            WHERE registration.session_id = consultation_session.id
              AND registration.status = 'confirmed'
        )
        """
    )


def downgrade():
    with op.batch_alter_table("consultation_session") as batch:
        batch.drop_column("places_taken")
