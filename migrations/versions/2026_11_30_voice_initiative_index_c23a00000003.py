"""Voices: an index on the initiative and the publication date, by which an initiative's page
lists its newest published voices

Revision ID: c23a00000003
Revises: c23a00000002
Create Date: 2026-11-30 08:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c23a00000003"
down_revision = "c23a00000002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_voice_initiative_published_at", "voice", ["initiative_id", "published_at"]
    )


def downgrade():
    op.drop_index("ix_voice_initiative_published_at", table_name="voice")
