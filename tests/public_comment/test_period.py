"""The comment period counted as the law does (行政手続法 art. 39/40), in the city's calendar;
approval no later than the planned opening; the Japanese feed in Japanese (issue 17)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from app.core.i18n import jst_to_utc
from app.extensions import db
from app.public_comment.models import CaseStatus, CommentCase, period_days
from tests.conftest import submit

REASON = "条例の施行日に間に合わせるため"


def _jst(day: int, hour: int, minute: int) -> datetime:
    return jst_to_utc(date(2024, 12, day), time(hour, minute))


@pytest.mark.parametrize(
    ("opens", "closes", "days"),
    [
        # 1 Dec 00:00 JST is 30 Nov 15:00 UTC: counted on UTC dates this was "30 days".
        (_jst(1, 0, 0), _jst(29, 23, 59), 29),
        (_jst(1, 0, 0), _jst(30, 23, 59), 30),
        (_jst(1, 9, 0), _jst(30, 8, 59), 30),
        (_jst(1, 23, 59), _jst(1, 23, 59), 1),
    ],
)
def test_the_period_is_counted_on_japan_dates_opening_day_as_day_1(opens, closes, days):
    assert period_days(opens, closes) == days


def _draft(client, closes_on: str, reason: str = "", language: str = "ja"):
    page = client.get("/staff/public-comments/new").text
    department = re.search(r'name="department_id"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    initiative = re.search(r'value="(\d+)"[^>]*>8\. ', page).group(1)
    return submit(
        client,
        f"/staff/public-comments/new?lang={language}",
        {
            "title": "年末の計画(案)",
            "summary": "概要",
            "department_id": department,
            "initiative_id": initiative,
            "ward_id": "0",
            "opens_on": "2024-12-01",
            "opens_time": "00:00",
            "closes_on": closes_on,
            "closes_time": "23:59",
            "who_may_comment": "市民",
            "channels": ["web"],
            "short_period_reason": reason,
        },
    )


def _approve(app, case_id):
    with app.app_context():
        db.session.get(CommentCase, case_id).status = CaseStatus.APPROVED
        db.session.commit()


def test_1_to_29_december_jst_needs_a_reason_and_shows_29_days(app, client, login_as, frozen):
    login_as("staff", "kikaku")
    refused = _draft(client, "2024-12-29")
    assert refused.status_code == 200
    assert "募集期間は29日間です。30日未満とする場合は理由が必要です。" in refused.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CommentCase.id))) == 0

    created = _draft(client, "2024-12-29", REASON)
    assert created.status_code == 302
    case_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    assert "（29日間）" in client.get(f"/staff/public-comments/{case_id}").text
    _approve(app, case_id)
    public = client.get(f"/public-comments/{case_id}").text
    assert "（29日間）" in public and "30日間" not in public
    assert "募集期間を30日未満とした理由" in public and REASON in public
    english = client.get(f"/public-comments/{case_id}?lang=en").text
    assert "(29 days)" in english
    api = client.get(f"/api/v1/public-comments/{case_id}").get_json()
    assert api["period_days"] == 29
    assert api["short_period_reason"] == REASON
    listed = client.get("/api/v1/public-comments").get_json()
    assert [c["period_days"] for c in listed["items"]] == [29]


def test_1_to_30_december_jst_needs_no_reason(app, client, login_as, frozen):
    login_as("staff", "kikaku")
    created = _draft(client, "2024-12-30")
    assert created.status_code == 302, created.text
    case_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    _approve(app, case_id)
    public = client.get(f"/public-comments/{case_id}").text
    assert "（30日間）" in public
    assert "募集期間を30日未満とした理由" not in public
    assert client.get(f"/api/v1/public-comments/{case_id}").get_json()["period_days"] == 30


def _review(client, case_id, language="ja"):
    page = f"/staff/public-comments/{case_id}"
    return submit(
        client,
        f"{page}/review?lang={language}",
        {"review-note": "", "decision": "approve"},
        page=page,
    )


def test_approval_after_the_planned_opening_is_refused(app, client, login_as, make_case, frozen):
    """Choice: refused, with the opening time named, rather than moving the opening (which
    would shorten the reviewed period without anyone deciding it)."""
    case_id = make_case("in_review")  # opens 1 Oct 2024 09:00 JST
    login_as("staff", "kocho")
    frozen.set_jst(date(2024, 10, 1), time(9, 0))
    response = _review(client, case_id)
    assert response.status_code == 400
    assert "公開予定日時（令和6年(2024年)10月1日(火) 09:00）を過ぎています" in response.text
    with app.app_context():
        case = db.session.get(CommentCase, case_id)
        assert case.status == CaseStatus.IN_REVIEW
        assert case.opens_at == jst_to_utc(date(2024, 10, 1), time(9, 0))
    assert "has passed" in _review(client, case_id, "en").text

    frozen.set_jst(date(2024, 10, 1), time(8, 59))
    assert _review(client, case_id).status_code == 302
    with app.app_context():
        assert db.session.get(CommentCase, case_id).status == CaseStatus.APPROVED


def test_the_japanese_feed_names_the_city_in_japanese(client, make_case):
    make_case()
    response = client.get("/public-comments/feed.atom?lang=ja")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)  # well-formed
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed"
    assert root.findtext(f"{atom}author/{atom}name") == "熊本市"
    assert root.find(f"{atom}entry/{atom}title").text == "熊本市テスト計画(案)"
    english = ElementTree.fromstring(client.get("/public-comments/feed.atom?lang=en").data)
    assert english.findtext(f"{atom}author/{atom}name") == "Kumamoto City"
