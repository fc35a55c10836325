"""A survey's published results in a real browser, on a phone (390 px) and a desktop (1280 px),
in Japanese and English: axe-core finds no violation, each chart is an inline SVG beside its
table, a count under 10 says 「10未満」 / "fewer than 10", the panel's and the open sample's
sections stand apart, and no page scrolls sideways; the list of surveys links to the results.

The panel's sample goes through the services as in life: a term drawn from an imported
register extract, every invited member accepting with the letter's code, a panel survey
approved by 広聴課 (its invitations made then), 40 members answering with their one-time codes,
free answers redacted, the results published after the close. A panel survey takes answers
by code only, so the open sample beside it (answers from anyone, as Kumamoto's city-hall survey
took 5,800 beside its 653 random ones) is written as rows, as the services would leave them
(tests/surveys/test_results.py's helpers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.e2e.conftest import visit
from tests.surveys.conftest import accept_all, drawn_term, open_survey, survey, user
from tests.surveys.test_results import add_responses, choice

WIDTHS = (390, 1280)
SUPPRESSED = {"ja": "10未満", "en": "fewer than 10"}
TITLE = "市民参加に関するアンケート"
QUESTIONS = [
    {
        "kind": "single",
        "text_ja": "市が意見を募集していることを知っていましたか。",
        "text_en": "Did you know the city asks for residents' views?",
        "required": True,
        "options": [
            {"ja": "知っていた", "en": "Yes"},
            {"ja": "知らなかった", "en": "No"},
            {"ja": "わからない", "en": "Not sure"},
        ],
    },
    {
        "kind": "scale",
        "text_ja": "市政に意見を言いやすいと思いますか。",
        "text_en": "Is it easy to give the city your views?",
        "required": True,
    },
    {
        "kind": "long_text",
        "text_ja": "ご意見をお書きください。",
        "text_en": "Any comments?",
    },
]


def _panel_choice(number: int) -> str:
    """26 knew, 10 did not, 4 not sure: the 4 is under 10 (and the 10 is hidden with it, or
    40 − 26 − 10 would give it away); the 26 shows."""
    return "0" if number < 26 else "1" if number < 36 else "2"


@pytest.fixture
def published(app, plan, make_user, frozen):
    """A panel survey answered by 40 members with their codes and by 30 in the open sample,
    closed, its results published with 「その後」. Returns its id."""
    from app.surveys import services
    from app.surveys.models import Answer, Invitation, Question, QuestionKind

    kocho = make_user("staff", "kocho")
    with app.app_context():
        term_id = drawn_term(kocho.id, target_size=20, invite_ratio=2.0)
        assert len(accept_all(term_id)) == 40
        survey_id = open_survey(
            kocho.id,
            kocho.id,
            audience="panel",
            panel_term_id=term_id,
            questions=QUESTIONS,
            title=TITLE,
        )
        single, scale, comment = (
            q.id for q in sorted(survey(survey_id).questions, key=lambda q: q.position)
        )
        invitations = db.session.scalars(
            sa.select(Invitation).where(Invitation.survey_id == survey_id).order_by(Invitation.id)
        ).all()
        codes = [services.invitation_code(invitation) for invitation in invitations]
        assert len(codes) == 40
        for number, code in enumerate(codes):
            found = survey(survey_id)
            access = services.access_for(found, code, None)
            assert access is not None
            answers = {str(single): _panel_choice(number), str(scale): str(1 + number % 5)}
            if number % 4 == 0:
                answers[str(comment)] = "夜や休日にも説明会を開いてほしいです。"
            _response, created = services.submit_response(
                found, access, answers, f"e2e-results-{number}"
            )
            assert created
        # The open sample: 20 knew, 10 did not (no cell under 10).
        add_responses(survey_id, 20, lambda i: choice(single, 0), source="open")
        add_responses(survey_id, 10, lambda i: choice(single, 1), source="open")
        texts = db.session.scalars(
            sa.select(Answer.id)
            .join(Question, Question.id == Answer.question_id)
            .where(Question.survey_id == survey_id, Question.kind == QuestionKind.LONG_TEXT)
        ).all()
        for answer_id in texts:
            services.redact_answer(user(kocho.id), answer_id, "夜や休日にも説明会を開いてほしい。")
        frozen.set(survey(survey_id).closes_at + timedelta(days=3))
        services.publish_results(
            user(kocho.id),
            survey(survey_id),
            "結果を踏まえ、夜間の説明会を増やしました。",
            "Following the results, more evening meetings are held.",
        )
        return survey_id


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_published_results_with_charts_tables_and_suppression(page, published, language, width):
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, "/surveys/", language)
    no_sideways_scroll(page, width)
    link = page.locator(f'a[href="/surveys/{published}/results"]')
    assert link.count() == 1
    title = TITLE if language == "ja" else "Survey on city affairs"
    assert link.inner_text().strip() == title

    visit(page, f"/surveys/{published}/results", language)
    no_sideways_scroll(page, width)
    # Panel and open samples each in their own section, never pooled.
    assert page.locator("section#source-panel, section[aria-labelledby=source-panel]").count()
    assert page.locator("section[aria-labelledby=source-open]").count() == 1
    # Every chart is an inline SVG with a table beside it (the chart's text).
    charts = page.locator(".chart-pair svg.chart")
    assert charts.count() >= 3
    assert page.locator(".chart-pair").count() == charts.count()
    assert page.locator(".chart-pair > table").count() == charts.count()
    # The panel's single choice: 26 shown, the 4 (and the 10 that would give it away) not.
    panel = page.locator("section[aria-labelledby=source-panel]")
    first = panel.locator(".survey-question").first.locator(".chart-pair > table")
    cells = first.locator("tbody td:nth-child(2)").all_inner_texts()
    assert cells == ["26", SUPPRESSED[language], SUPPRESSED[language]]
    assert SUPPRESSED[language] in panel.locator("svg.chart").first.inner_html()
    # The open sample's counts are its own: 20 and 10, no 46 or 36 pooled with the panel.
    open_table = page.locator("section[aria-labelledby=source-open] .chart-pair > table").first
    assert open_table.locator("tbody td:nth-child(2)").all_inner_texts()[:2] == ["20", "10"]
    assert "夜や休日にも説明会を開いてほしい。" in panel.inner_text()
