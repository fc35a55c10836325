"""proposal stages

Revision ID: c17b00000002
Revises: c17a00000001
Create Date: 2026-11-29 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17b00000002'
down_revision = 'c17a00000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
