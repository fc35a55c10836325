"""council lottery commitment and withdrawals

Revision ID: c17c00000003
Revises: c17b00000002
Create Date: 2026-11-29 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17c00000003'
down_revision = 'c17b00000002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
