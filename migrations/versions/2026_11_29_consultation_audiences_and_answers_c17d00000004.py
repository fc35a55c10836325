"""consultation audiences and answers

Revision ID: c17d00000004
Revises: c17c00000003
Create Date: 2026-11-29 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17d00000004'
down_revision = 'c17c00000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
