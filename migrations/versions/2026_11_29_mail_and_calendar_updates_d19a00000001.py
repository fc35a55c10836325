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
    pass


def downgrade():
    pass
