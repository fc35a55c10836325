"""venue coordinates and open data

Revision ID: d19d00000004
Revises: d19a00000001
Create Date: 2026-11-29 14:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd19d00000004'
down_revision = 'd19a00000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
