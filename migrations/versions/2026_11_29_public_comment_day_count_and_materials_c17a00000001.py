"""public comment day count and materials

Revision ID: c17a00000001
Revises: a7c3e91f42d0
Create Date: 2026-11-29 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17a00000001'
down_revision = 'a7c3e91f42d0'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
