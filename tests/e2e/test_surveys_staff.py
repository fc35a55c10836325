"""The staff pages of surveys and the citizens' panel in a real browser, on a phone (390 px) and
a desktop (1280 px), in Japanese and English: the list, the editor of a draft with a question
of each kind and a condition, a question's page, the preview, the review as 広聴課; the panel's
terms, a term with its resident list drawn (balance and members), its printable letters, the
feedback page. axe-core finds no violation and no page scrolls sideways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.surveys import services
from app.surveys.models import Question
from tests.e2e.conftest import login, visit
from tests.surveys.conftest import drawn_term, make_survey, survey, user

WIDTHS = (390, 1280)


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.fixture
def staff(plan, make_user):
    return make_user("staff", "kikaku")


@pytest.fixture
def kocho(plan, make_user):
    return make_user("staff", "kocho")


@pytest.fixture
def drafts(app, staff, kocho):
    """A draft with one question of each kind (one conditional), and one sent for review."""
    with app.app_context():
        draft = make_survey(staff.id)
        review = make_survey(staff.id, title="審査中のアンケート")
        services.submit_for_review(user(staff.id), survey(review))
        first_question = db.session.scalar(
            sa.select(Question.id).where(Question.survey_id == draft).order_by(Question.position)
        )
    return {"draft": draft, "review": review, "question": first_question}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_divisions_editor_and_preview(page, staff, drafts, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, staff.email)
    for language in ("ja", "en"):
        for path in (
            "/staff/surveys/",
            "/staff/surveys/new",
            f"/staff/surveys/{drafts['draft']}",
            f"/staff/surveys/questions/{drafts['question']}",
            f"/staff/surveys/{drafts['draft']}/preview",
            f"/staff/surveys/{drafts['review']}",
            "/staff/surveys/feedback",
        ):
            visit(page, path, language)
            no_sideways_scroll(page, width)
    # A refused question comes back beside its field, what was typed kept (English page).
    visit(page, f"/staff/surveys/{drafts['draft']}", "en")
    page.get_by_label("Kind of question").select_option(value="multiple")
    page.get_by_label("Question", exact=True).fill("選択肢が足りない質問")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_label("Question", exact=True)).to_have_value("選択肢が足りない質問")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_review_and_the_panel_pages(app, page, kocho, drafts, width):
    with app.app_context():
        term_id = drawn_term(kocho.id)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, kocho.email)
    for language in ("ja", "en"):
        for path in (
            "/staff/surveys/",
            f"/staff/surveys/{drafts['review']}",
            "/staff/surveys/panel",
            "/staff/surveys/panel/new",
            f"/staff/surveys/panel/{term_id}",
            f"/staff/surveys/panel/{term_id}/letters",
        ):
            visit(page, path, language)
            no_sideways_scroll(page, width)
    expect(page.locator(".survey-letter").first).to_be_visible()
    # Printed, each letter takes its own page and the site's navigation is left out.
    page.emulate_media(media="print")
    letter = page.locator(".survey-letter").first
    assert letter.evaluate("e => getComputedStyle(e).breakAfter") == "page"
    assert page.locator(".site-nav").first.evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator("h1").evaluate("e => getComputedStyle(e).display") == "none"


@pytest.mark.parametrize("width", WIDTHS)
def test_after_the_close_the_answers_and_the_letters(app, page, staff, kocho, frozen, width):
    """The pages of a survey after its close: the survey page with the results to publish and
    「その後」, the free answers to redact, and a panel survey's printable invitation letters."""
    from datetime import timedelta

    from app.surveys.models import PanelMember
    from tests.surveys.conftest import accept_all, answer, open_survey

    with app.app_context():
        closed = open_survey(staff.id, kocho.id)
        answer(closed)
        term_id = drawn_term(kocho.id)
        members = accept_all(term_id)
        db.session.get(PanelMember, members[0]).email = ""  # invited by post
        db.session.commit()
        by_post = open_survey(staff.id, kocho.id, audience="panel", panel_term_id=term_id)
    frozen.set(frozen.now + timedelta(days=15))
    page.set_viewport_size({"width": width, "height": 900})
    login(page, staff.email)
    for language in ("ja", "en"):
        for path in (
            f"/staff/surveys/{closed}",
            f"/staff/surveys/{closed}/answers",
            f"/staff/surveys/{by_post}/invitations",
        ):
            visit(page, path, language)
            no_sideways_scroll(page, width)
    expect(page.locator(".survey-letter").first).to_be_visible()
