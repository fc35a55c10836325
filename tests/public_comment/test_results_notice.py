"""A commenter who left an address is told, once, when the results are published, in the
language of the comment."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.core.i18n import LANGUAGE_COOKIE
from app.core.mail import OutboxMessage
from app.extensions import db
from app.public_comment import services
from app.public_comment.models import CaseStatus, CommentCase
from tests.public_comment.fixtures import post_comment


def test_commenters_are_told_once_in_their_language(app, client, make_case, make_user):
    case_id = make_case()
    kocho = make_user("staff", "kocho")
    assert post_comment(client, case_id).status_code == 302
    assert post_comment(client, case_id, {"body": "二つ目の意見です。"}).status_code == 302
    client.set_cookie(LANGUAGE_COOKIE, "en")
    assert post_comment(client, case_id, {"email": "ann@example.jp"}).status_code == 302
    with app.app_context():
        case = db.session.get(CommentCase, case_id)
        case.status = CaseStatus.RESULTS_REVIEW
        db.session.commit()
        reviewer = db.session.get(User, kocho.id)
        services.approve_results(reviewer, db.session.get(CommentCase, case_id), "")
        # Returned and approved again: nobody is told twice.
        case = db.session.get(CommentCase, case_id)
        case.status = CaseStatus.RESULTS_REVIEW
        db.session.commit()
        services.approve_results(reviewer, db.session.get(CommentCase, case_id), "")
        notices = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.dedup_key.like("pc-results:%"))
            .order_by(OutboxMessage.recipient)
        ).all()
    assert [m.recipient for m in notices] == ["ann@example.jp", "taro@example.jp"]
    ann, taro = notices
    assert ann.subject.startswith("Results published") and "Read the results" in ann.body
    assert taro.subject.startswith("結果公表のお知らせ") and "結果は次のページ" in taro.body
    # Both of taro's receipt numbers, and the results' page on the public address.
    assert taro.body.count(f"PC{case_id}-") == 2
    assert f"http://localhost/public-comments/{case_id}" in taro.body
