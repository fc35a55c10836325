"""Registrations: an index on the session and the lowercased address, by which a new
registration is checked against those already made (one per address and session)

Revision ID: c23a00000001
Revises: f24a00000001
Create Date: 2026-11-30 03:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c23a00000001"
down_revision = "f24a00000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_registration_session_id_email",
        "registration",
        ["session_id", sa.text("lower(email)")],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_registration_session_id_email", table_name="registration")
