"""Surveys in a real browser, on a phone (390 px) and a desktop (1280 px), in Japanese and
English: a resident answers a questionnaire with every kind of question (a refused send first,
said at the question), shows the question its answer brings up, and reaches the receipt; the
list and the panel's pages. axe-core finds no violation on any page; no page scrolls
sideways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.surveys.models import Response
from tests.e2e.conftest import check_a11y, visit
from tests.surveys.conftest import open_survey, question_ids

WIDTHS = (390, 1280)

WORDS = {
    "ja": {
        "check": "回答に応じた質問を表示する",
        "send": "回答を送信する",
        "thanks": "回答を受け付けました",
    },
    "en": {
        "check": "Show the questions that apply",
        "send": "Send your answers",
        "thanks": "Your answers have been received",
    },
}


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.fixture
def survey_ids(app, plan, make_user):
    staff = make_user("staff", "kikaku")
    kocho = make_user("staff", "kocho")
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        return survey_id, question_ids(survey_id)


def choose(page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_resident_answers_a_survey_to_the_receipt(page, app, survey_ids, language, width):
    survey_id, ids = survey_ids
    words = WORDS[language]
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, "/surveys/", language)
    no_sideways_scroll(page, width)
    visit(page, f"/surveys/{survey_id}", language)
    no_sideways_scroll(page, width)

    # The newsletter brings up a further question, shown by the server on "show".
    follow_up = page.locator(f'[name="q{ids[2]}"]')
    expect(follow_up).to_have_count(0)
    choose(page, f"q{ids[0]}", "0")
    choose(page, f"q{ids[1]}", "0")
    page.get_by_role("button", name=words["check"]).click()
    expect(follow_up).to_be_visible()
    check_a11y(page)

    # Sent without the required scale: said at the question, the rest kept.
    follow_up.fill("4月号の特集")
    page.locator(f'textarea[name="q{ids[3]}"]').fill("もっと広く知らせてください。")
    choose(page, f"q{ids[5]}_r0", "5")
    choose(page, f"q{ids[5]}_r1", "3")
    page.locator(f'[name="q{ids[6]}"]').fill("12")
    page.locator(f'[name="q{ids[7]}"]').fill("2024-09-30")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator(f"#q{ids[4]}-error")).to_be_visible()
    expect(page.locator(f'[name="q{ids[2]}"]')).to_have_value("4月号の特集")
    check_a11y(page)
    no_sideways_scroll(page, width)

    choose(page, f"q{ids[4]}", "4")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["thanks"])
    expect(page.locator("#anonymity")).to_be_visible()
    expect(page.get_by_text("もっと広く知らせてください。")).to_have_count(0)
    check_a11y(page)
    no_sideways_scroll(page, width)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1


@pytest.mark.parametrize("language", ["ja", "en"])
def test_panel_pages(page, app, plan, language):
    page.set_viewport_size({"width": 390, "height": 900})
    for path in ("/surveys/panel", "/surveys/panel/join", "/surveys/panel/leave"):
        visit(page, path, language)
        no_sideways_scroll(page, 390)
    # A refused join: said at the field, axe-core on the refused form too.
    visit(page, "/surveys/panel/join", language)
    page.locator("#code").fill("ZZZZ-ZZZZ-ZZZZ")
    page.locator('input[name="answer"][value="decline"]').check()
    page.locator('form:not([action]) button[type="submit"]').click()
    expect(page.locator("#code-error")).to_be_visible()
    check_a11y(page)
