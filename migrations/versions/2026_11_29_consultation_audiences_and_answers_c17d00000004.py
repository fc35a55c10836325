"""consultation audiences and answers

Consultation kinds gain an audience (citizens, staff, both): staff training and internal
meetings are held and counted without being offered to the public. Existing kinds are for
citizens.

Advice on the participation method becomes an activity of its own that fulfils initiative 6 in
the advising department's name. Existing advice takes initiative 6 of its consultation's plan
(or, where a plan has no initiative 6, the consultation's own initiative, where it counted
before), the advising user's department (or the consultation's), the consultation's ward and
the consultation's fiscal year (the advice's own date cannot be turned into a fiscal year in one
statement on both backends; advice is given in the year the consultation is planned).

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

ADVICE_COLUMNS = ('initiative_id', 'department_id', 'ward_id', 'fiscal_year')


def upgrade():
    with op.batch_alter_table('consultation_kind', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'audience',
                sa.Enum('citizens', 'staff', 'both', name='audience', native_enum=False, length=16),
                server_default='citizens',
                nullable=False,
            )
        )

    with op.batch_alter_table('advice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('initiative_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ward_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fiscal_year', sa.Integer(), nullable=True))
    # One statement per column on both backends.
    op.execute(
        'UPDATE advice SET initiative_id = coalesce('
        '(SELECT six.id FROM consultation'
        ' JOIN initiative AS own ON own.id = consultation.initiative_id'
        ' JOIN initiative AS six ON six.plan_id = own.plan_id AND six.number = 6'
        ' WHERE consultation.id = advice.consultation_id),'
        '(SELECT consultation.initiative_id FROM consultation'
        ' WHERE consultation.id = advice.consultation_id))'
    )
    op.execute(
        'UPDATE advice SET department_id = coalesce('
        '(SELECT "user".department_id FROM "user" WHERE "user".id = advice.advised_by_id),'
        '(SELECT consultation.department_id FROM consultation'
        ' WHERE consultation.id = advice.consultation_id))'
    )
    op.execute(
        'UPDATE advice SET ward_id = (SELECT consultation.ward_id FROM consultation'
        ' WHERE consultation.id = advice.consultation_id),'
        ' fiscal_year = (SELECT consultation.fiscal_year FROM consultation'
        ' WHERE consultation.id = advice.consultation_id)'
    )
    with op.batch_alter_table('advice', schema=None) as batch_op:
        for name in ('initiative_id', 'department_id', 'fiscal_year'):
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)
        for name in ADVICE_COLUMNS:
            batch_op.create_index(batch_op.f(f'ix_advice_{name}'), [name], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_advice_initiative_id_initiative'), 'initiative', ['initiative_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_advice_department_id_department'), 'department', ['department_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_advice_ward_id_ward'), 'ward', ['ward_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('advice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_advice_ward_id_ward'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_advice_department_id_department'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_advice_initiative_id_initiative'), type_='foreignkey')
        for name in ADVICE_COLUMNS:
            batch_op.drop_index(batch_op.f(f'ix_advice_{name}'))
        for name in reversed(ADVICE_COLUMNS):
            batch_op.drop_column(name)

    with op.batch_alter_table('consultation_kind', schema=None) as batch_op:
        batch_op.drop_column('audience')
