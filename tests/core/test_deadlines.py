"""One clock moves every module's deadline: with the `frozen` clock (tests/conftest.py) a minute
before a deadline the form is accepted, and a form opened then but sent a minute after the
deadline is refused with a message that says so, and nothing is saved. One test per module,
through the pages people use."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from tests.conftest import csrf_from

MINUTE = timedelta(minutes=1)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_consultations_registration_closes_on_the_minute(app, client, plan, frozen):
    from app.consultations.models import Registration, Session
    from tests.consultations.factories import scheduled
    from tests.consultations.test_registration import GUEST

    ids = scheduled(app)
    closes = frozen.now + timedelta(hours=2)
    with app.app_context():
        db.session.get(Session, ids.session_id).registration_closes_at = closes
        db.session.commit()
    url = f"/consultations/sessions/{ids.session_id}/register"

    frozen.set(closes - MINUTE)
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data={**GUEST, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302 and "/consultations/registrations/" in response.location
    assert _count(app, Registration) == 1

    late = app.test_client()
    page = late.get(url)  # opened in time
    frozen.set(closes + MINUTE)  # sent after the deadline
    response = late.post(
        url,
        data={**GUEST, "email": "late@example.jp", "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "この回の申し込みは受け付けていません。" in response.text
    assert _count(app, Registration) == 1
    assert late.get(url).status_code == 302  # the form is no longer offered


def test_councils_recruitment_closes_on_the_minute(app, client, plan, frozen, make_user, auth):
    from app.councils.models import Application
    from tests.councils.conftest import create_call
    from tests.councils.test_councils import FORM

    closes = frozen.now + timedelta(hours=2)
    call_id = create_call(app, closes_at=closes)
    url = f"/councils/calls/{call_id}/apply"

    frozen.set(closes - MINUTE)
    auth.login(make_user("citizen").email)
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data={**FORM, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    assert _count(app, Application) == 1

    late = app.test_client()
    late_auth = type(auth)(late)
    late_auth.login(make_user("citizen").email)
    page = late.get(url)  # opened in time
    frozen.set(closes + MINUTE)  # sent after the closing
    response = late.post(
        url,
        data={**FORM, "email": "late@example.jp", "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "この募集は現在、応募を受け付けていません。" in response.text
    assert _count(app, Application) == 1


def test_proposals_call_window_closes_on_the_minute(app, plan, frozen, make_user):
    from app.proposals.models import Proposal, Stage
    from tests.proposals.conftest import (
        client_for,
        create_call,
        post_form,
        proposal_form,
        submit_proposal,
    )

    closes = frozen.now + timedelta(hours=2)
    call_id = create_call(
        app,
        opens_at=frozen.now - timedelta(days=1),
        closes_at=closes,
        consultation_opens_at=None,
        consultation_closes_at=None,
    )
    new = f"/proposals/calls/{call_id}/new"
    groups = [client_for(app, make_user("citizen").email) for _ in range(2)]
    for group in groups:  # drafts may be kept at any time
        post_form(group, new, new, proposal_form(app))
    with app.app_context():
        first, second = db.session.scalars(sa.select(Proposal.id).order_by(Proposal.id)).all()

    frozen.set(closes - MINUTE)
    assert submit_proposal(groups[0], first).status_code == 302

    url = f"/proposals/mine/{second}/submit"
    page = groups[1].get(url)  # opened in time
    frozen.set(closes + MINUTE)  # sent after the closing
    response = groups[1].post(
        url, data={"confirmed": "y", "csrf_token": csrf_from(page.text)}, follow_redirects=True
    )
    assert re.search(r"提案の受付は.*に終了しました。|この募集は終了しました。", response.text)
    with app.app_context():
        stages = dict(db.session.execute(sa.select(Proposal.id, Proposal.stage)).tuples().all())
        numbers = db.session.scalars(sa.select(Proposal.receipt_number).order_by(Proposal.id))
        assert stages == {first: Stage.SUBMITTED, second: Stage.DRAFT}
        assert [bool(n) for n in numbers] == [True, False]


def test_public_comment_window_closes_on_the_minute(app, client, make_case, frozen):
    from app.public_comment.models import Comment
    from tests.public_comment.fixtures import CLOSES, COMMENT

    case_id = make_case()
    url = f"/public-comments/{case_id}/comment"

    frozen.set(CLOSES - MINUTE)
    page = client.get(url)
    assert page.status_code == 200
    fields = {**COMMENT, "csrf_token": csrf_from(page.text), "submission_token": "in-time"}
    assert client.post(url, data={**fields, "action": "submit"}).status_code == 302
    assert _count(app, Comment) == 1

    late = app.test_client()
    page = late.get(url)  # opened in time
    frozen.set(CLOSES + MINUTE)  # sent after the closing minute
    fields = {**COMMENT, "csrf_token": csrf_from(page.text), "submission_token": "too-late"}
    response = late.post(url, data={**fields, "action": "submit"})
    assert response.status_code == 403
    assert "現在、意見は受け付けていません" in response.text
    assert _count(app, Comment) == 1
