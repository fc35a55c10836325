"""reports and plan pairs

Revision ID: c17e00000005
Revises: c17d00000004
Create Date: 2026-11-29 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17e00000005'
down_revision = 'c17d00000004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
