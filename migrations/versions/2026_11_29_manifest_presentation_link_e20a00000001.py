"""proposal call linked to its presentation consultation by id

Revision ID: e20a00000001
Revises: d19d00000004
Create Date: 2026-11-29 16:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e20a00000001"
down_revision = "d19d00000004"
branch_labels = None
depends_on = None


def upgrade():
    # The consultation holding a call's public presentations was found by its Japanese title
    # 「<call title> 公開プレゼンテーション」, so renaming either orphaned it; now it is linked
    # by id.
    with op.batch_alter_table("proposal_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("presentation_consultation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_proposal_call_presentation_consultation_id_consultation"),
            "consultation",
            ["presentation_consultation_id"],
            ["id"],
        )
    # Existing calls: the consultation of the presentation session they already point at, else
    # the one the old title match found (a presentation of the call's initiative).
    op.execute(
        """
        UPDATE proposal_call SET presentation_consultation_id = (
            SELECT consultation_session.consultation_id FROM consultation_session
            WHERE consultation_session.id = proposal_call.presentation_session_id
        )
        WHERE presentation_session_id IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE proposal_call SET presentation_consultation_id = (
            SELECT MIN(consultation.id) FROM consultation
            JOIN consultation_kind ON consultation_kind.id = consultation.kind_id
            WHERE consultation_kind.code = 'presentation'
              AND consultation.initiative_id = proposal_call.initiative_id
              AND consultation.title_ja = proposal_call.title_ja || ' 公開プレゼンテーション'
        )
        WHERE presentation_consultation_id IS NULL
        """
    )


def downgrade():
    with op.batch_alter_table("proposal_call", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_proposal_call_presentation_consultation_id_consultation"),
            type_="foreignkey",
        )
        batch_op.drop_column("presentation_consultation_id")
