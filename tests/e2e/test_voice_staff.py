"""The staff pages of 市民の声 in a real browser, as 広聴課 and as a division, on a phone
(390 px) and a desktop (1280 px), in Japanese and English: the inbox (an overdue voice marked
in words), a voice page with its whole history, the answer page with its template picker, the
publish page; axe-core finds no violation and no page scrolls sideways."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import User
from app.core import clock
from app.core.i18n import jst_to_utc
from app.extensions import db
from app.voice import services
from app.voice.models import Reflection, ResponseKind, Voice, VoiceKind
from tests.e2e.conftest import login, visit
from tests.voice.conftest import department_id, make_voice

WIDTHS = (390, 1280)


def _history(app, kocho_id: int, kikaku_id: int) -> dict[str, int]:
    """A late voice routed to 企画課 with an interim answer and a draft, and a closed one that
    was published, withdrawn, published again and followed up."""
    long_ago = jst_to_utc(clock.today() - timedelta(days=30), time(10, 0))
    with app.app_context():
        division = department_id("kikaku")
    late = make_voice(app, title="公園の照明を増やしてください", received_at=long_ago)
    done = make_voice(app, title="バスの本数について", kind=VoiceKind.PROPOSAL)
    with app.app_context():
        kocho, kikaku = db.session.get(User, kocho_id), db.session.get(User, kikaku_id)
        services.route(kocho, db.session.get(Voice, late), [division], division, "公園の所管です")
        services.route(kocho, db.session.get(Voice, done), [division], division)
        services.save_template(
            kikaku, None, title="検討中の回答", body="現在検討しています。", department_id=division
        )
        considering = "照明を増やす方向で検討中です。"
        services.draft_answer(kikaku, db.session.get(Voice, late), considering, ResponseKind.NOTED)
        answer = services.draft_answer(
            kikaku,
            db.session.get(Voice, done),
            "バスの増便を事業者に要望しました。",
            ResponseKind.DONE,
            Reflection.PLANNED,
            submit=True,
        )
        services.approve_answer(kocho, answer)
        voice = db.session.get(Voice, done)
        texts = ("バスの増便", "バスを増やしてほしい。", "要望しました。")
        services.publish(kocho, voice, *texts)
        services.withdraw(kocho, db.session.get(Voice, done), "停留所名から住所が推測できた")
        services.publish(kocho, db.session.get(Voice, done), *texts)
        services.record_follow_up(
            kocho,
            db.session.get(Voice, done),
            Reflection.REFLECTED,
            "4月から増便されました。",
            clock.today(),
        )
    return {"late": late, "done": done}


@pytest.fixture
def people(app, plan, make_user):
    kocho = make_user("staff", "kocho")
    kikaku = make_user("staff", "kikaku")
    ids = _history(app, kocho.id, kikaku.id)
    return kocho, kikaku, ids


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_hearing_division_pages(page, people, width):
    kocho, _kikaku, ids = people
    page.set_viewport_size({"width": width, "height": 900})
    login(page, kocho.email)
    for language in ("ja", "en"):
        visit(page, "/staff/voice/", language)
        no_sideways_scroll(page, width)
        overdue = "Overdue by" if language == "en" else "期限を"
        expect(page.locator(".overdue").first).to_contain_text(overdue)
        for path in (
            f"/staff/voice/{ids['late']}",
            f"/staff/voice/{ids['done']}",
            f"/staff/voice/{ids['done']}/publish",
            f"/staff/voice/{ids['late']}/answer",
            "/staff/voice/new",
            "/staff/voice/templates",
        ):
            visit(page, path, language)
            no_sideways_scroll(page, width)
    expect(page.locator("main")).to_contain_text("検討中の回答")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_division_pages(page, people, width):
    _kocho, kikaku, ids = people
    page.set_viewport_size({"width": width, "height": 900})
    login(page, kikaku.email)
    for language in ("ja", "en"):
        visit(page, "/staff/voice/", language)
        no_sideways_scroll(page, width)
        visit(page, f"/staff/voice/{ids['late']}", language)
        no_sideways_scroll(page, width)
        visit(page, f"/staff/voice/{ids['late']}/answer", language)
        no_sideways_scroll(page, width)
    # The template picker without JavaScript's help: choosing fills the answer.
    page.get_by_label("Start from a template").select_option(label="検討中の回答")
    page.get_by_role("button", name="Use this template").click()
    expect(page.get_by_label("The answer", exact=True)).to_have_value("現在検討しています。")
