"""The window to the second, double submission, and concurrent submitters."""

from datetime import date, time

import sqlalchemy as sa

from app.core.mail import OutboxMessage
from app.core.receipts import next_receipt_number
from app.extensions import db
from app.public_comment.models import Comment, DraftSection
from tests.conftest import count_statements, csrf_from, run_at_once
from tests.public_comment.fixtures import COMMENT, post_comment


def _count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Comment.id)))


def test_a_comment_at_23_59_59_on_the_last_day_is_accepted(app, client, make_case, frozen):
    case_id = make_case()
    page_time = date(2024, 10, 31)
    frozen.set_jst(page_time, time(23, 59, 0))
    url = f"/public-comments/{case_id}/comment"
    page = client.get(url)
    token = csrf_from(page.text)
    frozen.set_jst(page_time, time(23, 59, 59))
    fields = {**COMMENT, "csrf_token": token, "submission_token": "edge-1"}
    response = client.post(url, data={**fields, "action": "submit"})
    assert response.status_code == 302
    assert _count(app) == 1


def test_a_comment_that_arrives_in_time_but_waits_its_turn_is_not_late(
    app, client, make_case, frozen, monkeypatch
):
    """At a deadline, comments queue for their receipt numbers; the window is checked at the
    arrival, and the time of receipt is the arrival, not the end of the wait."""
    from app.core import db as core_db
    from app.public_comment import services

    case_id = make_case()
    last_day = date(2024, 10, 31)
    frozen.set_jst(last_day, time(23, 59, 0))
    url = f"/public-comments/{case_id}/comment"
    token = csrf_from(client.get(url).text)
    frozen.set_jst(last_day, time(23, 59, 59))
    arrival = frozen.now

    def slow_queue() -> None:
        frozen.set_jst(date(2024, 11, 1), time(0, 0, 2))  # two seconds behind others
        core_db.begin_write()

    monkeypatch.setattr(services, "begin_write", slow_queue)
    fields = {**COMMENT, "csrf_token": token, "submission_token": "queued", "action": "submit"}
    assert client.post(url, data=fields).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.received_at)) == arrival


def test_a_comment_at_00_00_00_after_the_last_day_is_refused(app, client, make_case, frozen):
    case_id = make_case()
    frozen.set_jst(date(2024, 10, 31), time(23, 59, 30))
    url = f"/public-comments/{case_id}/comment?lang=en"
    page = client.get(url)
    token = csrf_from(page.text)
    frozen.set_jst(date(2024, 11, 1), time(0, 0, 0))
    fields = {**COMMENT, "csrf_token": token, "submission_token": "edge-2"}
    response = client.post(url, data={**fields, "action": "submit"})
    assert response.status_code == 403
    assert "Comments are not accepted now" in response.text
    assert _count(app) == 0


def test_before_opening_is_refused(app, client, make_case, frozen):
    case_id = make_case()
    frozen.set_jst(date(2024, 10, 1), time(8, 59, 59))
    assert client.get(f"/public-comments/{case_id}/comment").status_code == 403
    frozen.set_jst(date(2024, 10, 1), time(9, 0, 0))
    assert client.get(f"/public-comments/{case_id}/comment").status_code == 200


def test_double_submit_stores_one_comment(app, client, make_case):
    case_id = make_case()
    first = post_comment(client, case_id, token="same-form")
    second = post_comment(client, case_id, token="same-form")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app) == 1


def test_the_same_form_sent_twice_at_once_stores_one_comment(app, make_case, no_rate_limit):
    """Two sends of one form arriving together (a double click on a slow line): one comment,
    one receipt number used, and both answers lead to its receipt."""
    case_id = make_case()
    url = f"/public-comments/{case_id}/comment"

    def send(_number, go):
        tab = app.test_client()
        fields = {
            **COMMENT,
            "csrf_token": csrf_from(tab.get(url).text),
            "submission_token": "one-form",
            "action": "submit",
        }
        go()
        response = tab.post(url, data=fields)
        return response.status_code, response.headers.get("Location")

    answers = run_at_once(2, send)
    assert [status for status, _location in answers] == [302, 302]
    assert answers[0][1] == answers[1][1]
    assert _count(app) == 1
    with app.app_context():
        assert next_receipt_number(f"public_comment:{case_id}") == 2  # no number lost


def test_concurrent_submitters_get_gapless_unique_receipts(app, make_case, no_rate_limit):
    case_id = make_case()
    workers = 12

    def citizen(number, go):
        client = app.test_client()
        url = f"/public-comments/{case_id}/comment"
        token = csrf_from(client.get(url).text)
        fields = {
            **COMMENT,
            "name": f"市民{number}",
            "csrf_token": token,
            "submission_token": f"form-{number}",
            "action": "submit",
        }
        go()
        return client.post(url, data=fields).status_code

    statuses = run_at_once(workers, citizen)
    assert statuses == [302] * workers
    with app.app_context():
        numbers = db.session.scalars(
            sa.select(Comment.receipt_number)
            .where(Comment.case_id == case_id)
            .order_by(Comment.receipt_number)
        ).all()
    assert numbers == list(range(1, workers + 1))


def test_submissions_are_rate_limited(app, client, make_case):
    app.config["COMMENT_RATE_LIMIT"] = "4 per minute"
    case_id = make_case()
    codes = [post_comment(client, case_id, token=f"t{i}").status_code for i in range(2)]
    assert codes == [302, 302]
    url = f"/public-comments/{case_id}/comment"
    token = csrf_from(client.get(url).text)
    # Each comment took two POSTs (confirm, send); the fifth POST this minute is refused.
    response = client.post(
        url, data={**COMMENT, "csrf_token": token, "submission_token": "x", "action": "submit"}
    )
    assert response.status_code == 429


def test_built_in_form_messages_come_in_the_page_language(app, client, make_case):
    """WTForms' built-in checks speak the page's language (in the site's own words, which name
    the field: app.core.forms.FieldMessages)."""
    case_id = make_case()
    for language, message in (
        ("ja", "は選択肢から選んでください。"),
        ("en", "” from the options."),
    ):
        url = f"/public-comments/{case_id}/comment?lang={language}"
        page = client.get(url)
        fields = {**COMMENT, "csrf_token": csrf_from(page.text), "section_id": "999"}
        refused = client.post(url, data={**fields, "action": "confirm"})
        assert refused.status_code == 200
        assert message in refused.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_an_open_cases_sections_are_read_once_then_cached(app, another_app, make_case):
    """With the cache on, the comment form of an approved case reads its sections once (they
    can no longer change); the cached section is still a choice the form accepts."""
    case_id = make_case()
    worker = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    client = worker.test_client()
    url = f"/public-comments/{case_id}/comment"
    assert "第1章" in client.get(url).text
    with worker.app_context(), count_statements() as statements:
        page = client.get(url)
    assert "第1章" in page.text
    assert statements and not [s for s in statements if "draft_section" in s]
    with app.app_context():
        section_id = db.session.scalar(
            sa.select(DraftSection.id).where(DraftSection.case_id == case_id)
        )
    assert post_comment(client, case_id, {"section_id": str(section_id)}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.section_id)) == section_id


def test_the_receipt_mail_names_the_receipt_number(app, client, make_case):
    """The mail is written before the number is taken (to keep the turn short); the number
    must still be in its subject and body, in the submitter's language."""
    case_id = make_case()
    client.set_cookie("lang", "en")
    assert post_comment(client, case_id).status_code == 302
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment))
        mail = db.session.scalar(sa.select(OutboxMessage))
    assert mail.recipient == COMMENT["email"]
    assert mail.subject.startswith(f"Receipt {comment.receipt_code}: ")
    assert f"Receipt number: {comment.receipt_code}" in mail.body
    assert COMMENT["body"] in mail.body
    assert "\x00" not in mail.subject + mail.body
