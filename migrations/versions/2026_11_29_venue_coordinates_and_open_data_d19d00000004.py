"""venue coordinates and open data

Revision ID: d19d00000004
Revises: d19a00000001
Create Date: 2026-11-29 14:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d19d00000004"
down_revision = "d19a00000001"
branch_labels = None
depends_on = None


def upgrade():
    # Coordinates are entered by staff on the venue form (no geocoding service is reachable);
    # a venue without them leaves 緯度/経度 empty in the events open data.
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    # The contact telephone in its own field, so 連絡先電話番号 is not buried in 連絡先名称.
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_phone", sa.String(length=30), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("contact_phone")
    with op.batch_alter_table("venue", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
