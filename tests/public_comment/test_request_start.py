"""The time of receipt is when the request reached the city's proxy (X-Request-Start), so a
comment queued in front of the workers at the deadline is not refused (issue 16)."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.public_comment.models import Comment
from tests.conftest import csrf_from
from tests.public_comment.fixtures import COMMENT

LAST_DAY = date(2024, 10, 31)


def _send_after_the_deadline(client, case_id, frozen, header):
    url = f"/public-comments/{case_id}/comment?lang=en"
    frozen.set_jst(LAST_DAY, time(23, 59, 0))
    token = csrf_from(client.get(url).text)
    started = frozen.now + timedelta(seconds=59, milliseconds=770)  # 23:59:59.770
    frozen.now = started + timedelta(milliseconds=450)  # a worker picks it up at 00:00:00.220
    fields = {**COMMENT, "csrf_token": token, "submission_token": "queued", "action": "submit"}
    value = header(started.timestamp()) if header else None
    return client.post(url, data=fields, headers={"X-Request-Start": value} if value else {}), (
        started
    )


def test_a_comment_that_reached_the_proxy_before_the_closing_second_is_accepted(
    app, client, make_case, frozen
):
    case_id = make_case()
    response, started = _send_after_the_deadline(client, case_id, frozen, lambda s: f"t={s:.3f}")
    assert response.status_code == 302
    with app.app_context():
        received = db.session.scalar(sa.select(Comment.received_at))
    assert abs(received - started) < timedelta(milliseconds=2)


def test_milliseconds_are_read_too(app, client, make_case, frozen):
    case_id = make_case()
    response, _ = _send_after_the_deadline(client, case_id, frozen, lambda s: f"t={int(s * 1000)}")
    assert response.status_code == 302


def test_without_the_header_the_same_comment_is_late(app, client, make_case, frozen):
    case_id = make_case()
    response, _ = _send_after_the_deadline(client, case_id, frozen, None)
    assert response.status_code == 403
    assert "Comments are not accepted now" in response.text


def test_a_header_far_in_the_past_or_with_no_proxy_is_not_believed(app, client, make_case, frozen):
    case_id = make_case()
    # An hour before: beyond REQUEST_START_MAX_SKEW, so a forged header cannot reopen a window.
    response, _ = _send_after_the_deadline(client, case_id, frozen, lambda s: f"t={s - 3600:.3f}")
    assert response.status_code == 403
    app.config["PROXY_COUNT"] = 0
    response, _ = _send_after_the_deadline(client, case_id, frozen, lambda s: f"t={s:.3f}")
    assert response.status_code == 403
    for garbage in ("t=abc", "t=1e400", "t=-5", "\x7f"):
        response = client.post(
            f"/public-comments/{case_id}/comment", headers={"X-Request-Start": garbage}
        )
        assert response.status_code < 500, garbage
