"""council lottery commitment and withdrawals

Revision ID: c17c00000003
Revises: c17b00000002
Create Date: 2026-11-29 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c17c00000003"
down_revision = "c17b00000002"
branch_labels = None
depends_on = None


def upgrade():
    # The lottery's commitment: the pool and the seed's hash, published before the draw. Calls
    # drawn before this revision have none (their page says the draw was not committed).
    with op.batch_alter_table("recruitment_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lottery_pool", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("lottery_seed_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lottery_committed_at", sa.DateTime(), nullable=True))
    # Seats booked before this revision have no cancel link (their mail carried none).
    with op.batch_alter_table("observer_registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_token_hash", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("observer_registration", schema=None) as batch_op:
        batch_op.drop_column("cancel_token_hash")
    with op.batch_alter_table("recruitment_call", schema=None) as batch_op:
        batch_op.drop_column("lottery_committed_at")
        batch_op.drop_column("lottery_seed_hash")
        batch_op.drop_column("lottery_pool")
