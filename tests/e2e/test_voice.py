"""市民の声 in a real browser, on a phone (390 px) and a desktop (1280 px), in Japanese and
English: a resident sends a voice through the confirmation to the receipt (a refused form
first, said at the field and kept), and reads the published list; axe-core finds no violation
on any page, and no page scrolls sideways."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.voice.models import Reflection, ResponseKind, Voice, VoiceFollowUp
from tests.e2e.conftest import check_a11y, visit
from tests.voice.conftest import make_voice

WIDTHS = (390, 1280)

# The words a resident reads on the buttons and labels, per language.
WORDS = {
    "ja": {
        "kind": "要望",
        "title": "件名",
        "body": "ご意見",
        "reply": "メールで",
        "name": "氏名",
        "email": "メールアドレス",
        "check": "入力内容を確認する",
        "send": "送信する",
        "email_error": "メールでの回答を希望される場合は",
        "received": "あなたの声を受け付けました",
    },
    "en": {
        "kind": "Request",
        "title": "Title",
        "body": "Your voice",
        "reply": "By e-mail",
        "name": "Name",
        "email": "E-mail address",
        "check": "Check what you entered",
        "send": "Send your voice",
        "email_error": "Please give your e-mail address for an answer by e-mail.",
        "received": "Your voice has been received",
    },
}


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_resident_sends_a_voice_to_the_receipt(page, app, plan, language, width):
    words = WORDS[language]
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, "/voice/send", language)
    no_sideways_scroll(page, width)

    page.get_by_label(words["kind"], exact=True).check()
    page.get_by_label(words["title"], exact=True).fill("公園の照明を増やしてください")
    page.get_by_role("textbox", name=words["body"]).fill("夜の公園が暗く、帰り道が心配です。")
    page.get_by_label(words["reply"], exact=True).check()
    page.get_by_label(words["name"], exact=True).fill("ブラウザ 花子")
    # No e-mail address for an answer by e-mail: refused, said at the field, kept.
    page.get_by_role("button", name=words["check"]).click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#email-error")).to_contain_text(words["email_error"])
    expect(page.get_by_label(words["title"], exact=True)).to_have_value(
        "公園の照明を増やしてください"
    )
    check_a11y(page)
    no_sideways_scroll(page, width)

    page.get_by_label(words["email"], exact=True).fill("hanako.voice@example.jp")
    page.get_by_role("button", name=words["check"]).click()
    expect(page.get_by_text("夜の公園が暗く、帰り道が心配です。")).to_be_visible()
    check_a11y(page)
    no_sideways_scroll(page, width)

    page.get_by_role("button", name=words["send"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["received"])
    expect(page.locator(".receipt-number strong")).to_have_text(re.compile(r"V\d{4}-00001"))
    check_a11y(page)
    no_sideways_scroll(page, width)

    # The private link on the receipt opens the sender's own page.
    page.locator(".status-link a").click()
    expect(page.locator(".voice-state")).to_be_visible()
    check_a11y(page)
    no_sideways_scroll(page, width)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Voice.id))) == 1


def _published(app, number: int) -> list[int]:
    ids = []
    for n in range(number):
        voice_id = make_voice(app)
        with app.app_context():
            voice = db.session.get(Voice, voice_id)
            voice.public_title = f"公園の照明についての要望 {n + 1}"
            voice.public_summary = "夜の公園が暗いので、照明を増やしてほしいとの要望です。" * 3
            voice.public_view = "来年度、照明の増設を予定しています。"
            voice.response_kind = ResponseKind.REFLECTED
            voice.reflection = Reflection.PLANNED
            voice.answered_at = voice.published_at = datetime.now(UTC)
            db.session.add(
                VoiceFollowUp(
                    voice_id=voice_id,
                    reflection=Reflection.REFLECTED,
                    note="照明を10基増設しました。",
                    noted_on=datetime.now(UTC).date(),
                )
            )
            db.session.commit()
        ids.append(voice_id)
    return ids


@pytest.mark.parametrize("width", WIDTHS)
def test_the_published_list_in_both_languages(page, app, plan, width):
    ids = _published(app, 3)
    page.set_viewport_size({"width": width, "height": 900})
    for language in ("ja", "en"):
        visit(page, "/voice/", language)
        expect(page.locator(".voice-card")).to_have_count(3)
        no_sideways_scroll(page, width)
        visit(page, "/voice/?kind=request", language)
        no_sideways_scroll(page, width)
        visit(page, f"/voice/{ids[0]}", language)
        no_sideways_scroll(page, width)
        visit(page, "/voice/reflected", language)
        expect(page.get_by_text("照明を10基増設しました。").first).to_be_visible()
        no_sideways_scroll(page, width)
