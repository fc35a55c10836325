"""市民の声: indexes for the published list's filters and for its cache key

Revision ID: f21a00000002
Revises: f22a00000002
Create Date: 2026-11-30 00:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f21a00000002"
down_revision = "f22a00000002"
branch_labels = None
depends_on = None

FILTERS = {
    "ix_voice_kind_published_at": "kind",
    "ix_voice_ward_published_at": "ward_id",
    "ix_voice_topic_published_at": "topic_initiative_id",
    "ix_voice_department_published_at": "department_id",
    "ix_voice_year_published_at": "fiscal_year",
}
REFLECTED = sa.text(
    "published_at IS NOT NULL AND (response_kind = 'reflected' OR reflection IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table("voice", schema=None) as batch_op:
        for name, column in FILTERS.items():
            batch_op.create_index(name, [column, "published_at"], unique=False)
        batch_op.create_index(
            "ix_voice_reflected_published_at",
            ["published_at"],
            unique=False,
            sqlite_where=REFLECTED,
            postgresql_where=REFLECTED,
        )
    with op.batch_alter_table("voice_publication", schema=None) as batch_op:
        batch_op.create_index("ix_voice_publication_withdrawn_at", ["withdrawn_at"], unique=False)


def downgrade():
    with op.batch_alter_table("voice_publication", schema=None) as batch_op:
        batch_op.drop_index("ix_voice_publication_withdrawn_at")
    with op.batch_alter_table("voice", schema=None) as batch_op:
        batch_op.drop_index("ix_voice_reflected_published_at")
        for name in FILTERS:
            batch_op.drop_index(name)
