"""Factories for report tests, shared with the browser tests."""

from datetime import time

import pytest
import sqlalchemy as sa

from app.core.i18n import fiscal_year, jst_to_utc
from app.extensions import db
from app.plan.models import Department, Initiative, Ward
from app.public_comment.models import CaseStatus, Channel, Comment, CommentCase, SubmitterCategory
from app.public_comment.services import person_key


@pytest.fixture
def add_case(app, plan):
    """A public case opening on a given day, with n comments by n people."""

    def factory(
        opens_on,
        comments=0,
        initiative=8,
        department="kikaku",
        ward=None,
        status=CaseStatus.APPROVED,
    ):
        with app.app_context():
            opens_at = jst_to_utc(opens_on, time(0, 0))
            case = CommentCase(
                title=f"案件 {opens_on}",
                summary="s",
                opens_at=opens_at,
                closes_at=jst_to_utc(opens_on.replace(day=28), time(23, 59)),
                fiscal_year=fiscal_year(opens_at),
                status=status,
                initiative_id=db.session.scalar(
                    sa.select(Initiative.id).where(Initiative.number == initiative)
                ),
                department_id=db.session.scalar(
                    sa.select(Department.id).where(Department.code == department)
                ),
                ward_id=db.session.scalar(sa.select(Ward.id).where(Ward.code == ward))
                if ward
                else None,
            )
            db.session.add(case)
            db.session.flush()
            for n in range(comments):
                db.session.add(
                    Comment(
                        case_id=case.id,
                        initiative_id=case.initiative_id,
                        receipt_number=n + 1,
                        receipt_code=f"x{n}",
                        submission_token=f"t{n}",
                        channel=Channel.WEB,
                        received_at=opens_at,
                        submitter_category=SubmitterCategory.RESIDENT,
                        name=f"n{n}",
                        address="a",
                        person_key=person_key(f"n{n}", "a"),
                        body="b",
                    )
                )
            db.session.commit()
            return case.id

    return factory
