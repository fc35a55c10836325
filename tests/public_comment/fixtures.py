"""Helpers for public comment tests: a case in any phase (the clock that moves is `frozen`,
in tests/conftest.py; it starts inside this case's window)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.i18n import jst_to_utc
from app.extensions import db

# A case open from 1 Oct 2024 09:00 to 31 Oct 2024 23:59 (Japan time).
OPENS = jst_to_utc(date(2024, 10, 1), time(9, 0))
CLOSES = jst_to_utc(date(2024, 10, 31), time(23, 59))


@pytest.fixture
def make_case(app: Any, plan: int, frozen: Any) -> Any:
    """A case in the given status, owned by a department (kikaku by default)."""
    from app.plan.models import Department, Initiative
    from app.public_comment.models import CaseStatus, CommentCase, DraftSection

    def factory(
        status: str = "approved",
        department: str = "kikaku",
        initiative: int = 8,
        title: str = "熊本市テスト計画(案)",
    ) -> int:
        with app.app_context():
            case = CommentCase(
                title=title,
                summary="概要",
                who_may_comment="市民",
                channels=["web", "post"],
                opens_at=OPENS,
                closes_at=CLOSES,
                fiscal_year=2024,
                status=CaseStatus(status),
                initiative_id=db.session.scalar(
                    sa.select(Initiative.id).where(Initiative.number == initiative)
                ),
                department_id=db.session.scalar(
                    sa.select(Department.id).where(Department.code == department)
                ),
            )
            db.session.add(case)
            db.session.flush()
            db.session.add(DraftSection(case_id=case.id, heading="第1章", body="本文", position=0))
            db.session.commit()
            return case.id

    return factory


COMMENT = {
    "submitter_category": "resident",
    "name": "山田 太郎",
    "address": "熊本市中央区手取本町1-1",
    "email": "taro@example.jp",
    "phone": "",
    "organisation": "",
    "representative": "",
    "section_id": "0",
    "body": "公募委員の割合を増やしてください。",
    "consent": "y",
}


def post_comment(
    client: Any, case_id: int, data: dict[str, Any] | None = None, token: str | None = None
) -> Any:
    """Fill the form, confirm, and send, as a citizen does; returns the final response."""
    from tests.conftest import csrf_from

    url = f"/public-comments/{case_id}/comment"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    csrf = csrf_from(page.text)
    import re

    token = token or re.search(
        r'name="submission_token" type="hidden" value="([^"]+)"', page.text
    ).group(1)
    fields = {**COMMENT, **(data or {}), "csrf_token": csrf, "submission_token": token}
    confirm = client.post(url, data={**fields, "action": "confirm"})
    assert confirm.status_code == 200
    return client.post(url, data={**fields, "action": "submit"})


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
