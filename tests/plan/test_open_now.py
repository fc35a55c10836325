"""The home page opens with what a resident can take part in now (issue 18), through each
kind's open_now in the registry; each initiative says what it has had, never a row of zeros."""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from app.consultations.models import Session
from app.core.demo import load_demo
from app.core.i18n import to_jst
from app.extensions import db
from app.public_comment.models import CaseStatus, CommentCase
from tests.conftest import PLAN_FILE


@pytest.fixture
def demo(app, frozen):
    """The demo city, its dates counted from the frozen clock."""
    with app.app_context():
        load_demo(str(PLAN_FILE))


def _open_now(html: str) -> str:
    """The home page's first section, up to the table's heading."""
    return html.split('id="open-now"', 1)[1].split("<h2>", 1)[0]


def _section(html: str, key: str) -> str:
    return html.split(f'id="open-now-{key}"', 1)[1].split("</section>", 1)[0]


def test_home_lists_what_is_open_now_in_both_languages(app, client, demo):
    section = _open_now(client.get("/?lang=ja").text)
    # A public comment open now, with until when and how many days are left.
    comments = _section(section, "public_comment")
    assert re.search(r'href="/public-comments/\d+"', comments)
    assert re.search(r"令和\d+年\(\d{4}年\)\d+月\d+日\(.\)まで。残り\d+日です。", comments)
    # Sessions with places, with their dates.
    sessions = _section(section, "consultations")
    assert re.search(r'href="/consultations/sessions/\d+"', sessions)
    assert re.search(r"\d+月\d+日\(.\) \d\d:\d\d：残り\d+席（定員\d+名）", sessions)
    # Calls open: council recruitment and collaboration proposals.
    assert re.search(r'href="/councils/calls/\d+"', _section(section, "councils"))
    assert re.search(r'href="/proposals/calls/\d+"', _section(section, "proposals"))
    assert "まで。残り" in _section(section, "councils")

    english = _open_now(client.get("/?lang=en").text)
    assert re.search(r"Until \w{3} \d+ \w{3} \d{4}\. \d+ days? left\.", english)
    assert re.search(r"\d+ of \d+ free", english)
    assert "Take part now" in english


def test_open_now_follows_the_clock_and_the_places_left(app, client, demo, frozen):
    with app.app_context():
        case = db.session.scalars(
            sa.select(CommentCase)
            .where(CommentCase.status == CaseStatus.APPROVED, CommentCase.closes_at > frozen.now)
            .order_by(CommentCase.closes_at)
        ).first()
        closes, case_id = case.closes_at, case.id
        listed = _section(_open_now(client.get("/?lang=ja").text), "consultations")
        first_session = int(re.search(r"/consultations/sessions/(\d+)", listed).group(1))
        # A session whose places are all taken is no longer offered.
        session = db.session.get(Session, first_session)
        session.registration_required = True
        session.capacity = 0
        db.session.commit()
    listed = _section(_open_now(client.get("/?lang=ja").text), "consultations")
    assert f'/consultations/sessions/{first_session}"' not in listed

    # On its last day the case says it closes today; the minute after its deadline it is gone.
    frozen.set_jst(to_jst(closes).date(), time(8, 0))
    comments = _section(_open_now(client.get("/?lang=ja").text), "public_comment")
    assert f"/public-comments/{case_id}" in comments and "本日締切です。" in comments
    frozen.set(closes + timedelta(minutes=1, seconds=1))
    assert f'href="/public-comments/{case_id}"' not in _open_now(client.get("/?lang=ja").text)

    # A year on, nothing is open, and the page says so.
    frozen.set(closes + timedelta(days=400))
    later = _open_now(client.get("/?lang=en").text)
    assert "Nothing is open for taking part just now." in later


def test_an_initiative_without_activity_shows_no_zeros(client, plan):
    html = client.get("/?lang=ja").text
    table = html.split('class="plan-table', 1)[1]
    assert not re.search(r"[:：]\s*0(?!\d)", table)
    assert table.count("市民の参加状況：まだ記録はありません") == 22
    # One link per initiative: its title (the home page had a link per kind, mostly 「…: 0」).
    for number in (1, 8, 22):
        row = table.split(f'id="initiative-{number}"', 1)[1].split("</tr>", 1)[0]
        assert re.findall(r'<a href="([^"]+)"', row) == [f"/initiatives/{number}"]
