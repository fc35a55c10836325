"""The issue's whole path through the web client, as the people involved use it: 企画課 drafts a
survey with its questions → sends it for review → 広聴課 approves → it opens by itself → twelve
residents answer on the public form → it closes → 企画課 publishes the results with 「その後」
→ /surveys/<id>/results shows them with charts. And participant feedback: offered after a
session is held (the daily cron command), answered with the mailed one-time code, counted under
initiative 18."""

from __future__ import annotations

import re
from datetime import date, time
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.plan.services import initiative_id
from app.surveys import services
from app.surveys.models import FEEDBACK_INITIATIVE, Invitation, Question, Response, Survey
from tests.conftest import submit
from tests.surveys.conftest import department_id

OPENS = date(2024, 10, 10)
CLOSES = date(2024, 10, 20)
AFTERWARDS = "回答を踏まえ、公園の夜間照明を増やします。"


class _Hidden(HTMLParser):
    """The hidden inputs of a page's last form, as a browser posts them back."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.values = {}
        named = dict(attrs)
        if tag == "input" and named.get("type") == "hidden" and named.get("name"):
            self.values[named["name"] or ""] = named.get("value") or ""


def hidden_fields(html: str) -> dict[str, str]:
    parser = _Hidden()
    parser.feed(html)
    return parser.values


def post_on(client: Any, page: str, url: str, data: dict[str, Any]) -> Any:
    return submit(client, url, data, page=page)


def answer_on_the_form(client: Any, url: str, answers: dict[str, Any]) -> Any:
    """Open the questionnaire, fill it in and send it, as a resident's browser does."""
    shown = client.get(url)
    assert shown.status_code == 200, url
    return client.post(url, data={**hidden_fields(shown.text), **answers, "action": "submit"})


def test_a_survey_from_its_draft_to_published_results_with_charts(
    app, client, auth, plan, make_user, frozen
):
    kikaku = make_user("staff", "kikaku")
    kocho = make_user("staff", "kocho")
    frozen.set_jst(date(2024, 10, 1), time(10, 0))

    # 企画課 drafts the survey and its questions.
    auth.login(kikaku.email)
    with app.app_context():
        division = department_id("kikaku")
        initiative = initiative_id(9)
    created = submit(
        client,
        "/staff/surveys/new",
        {
            "title_ja": "公園の利用に関するアンケート",
            "purpose_ja": "公園の整備の参考にします。",
            "department_id": division,
            "initiative_id": initiative,
            "audience": "anyone",
            "opens_on": OPENS.isoformat(),
            "opens_time": "09:00",
            "closes_on": CLOSES.isoformat(),
            "closes_time": "17:00",
            "anonymous": "y",
        },
    )
    assert created.status_code == 302
    survey_id = int(re.search(r"/staff/surveys/(\d+)", created.headers["Location"]).group(1))
    page = f"/staff/surveys/{survey_id}"
    for question in (
        {
            "question-kind": "single",
            "question-text_ja": "公園をどのくらい利用しますか。",
            "question-options_ja": "毎日\n毎週\nほとんど利用しない",
            "question-required": "y",
        },
        {"question-kind": "scale", "question-text_ja": "夜の公園は安全だと思いますか。"},
        {"question-kind": "long_text", "question-text_ja": "ご意見をお書きください。"},
    ):
        assert post_on(client, page, f"{page}/questions", question).status_code == 302
    preview = client.get(f"{page}/preview")
    assert preview.status_code == 200 and "夜の公園は安全だと思いますか。" in preview.text
    assert post_on(client, page, f"{page}/submit", {}).status_code == 302
    auth.logout()

    # 広聴課 finds it first in its list and approves it.
    auth.login(kocho.email)
    listing = client.get("/staff/surveys/").text
    assert listing.index("公園の利用に関するアンケート") < listing.index("</tbody>")
    approved = post_on(client, page, f"{page}/approve", {"review-note": "承認します。"})
    assert approved.status_code == 302
    auth.logout()

    # Not open before its day; open by itself on the day; twelve residents answer.
    public = f"/surveys/{survey_id}"
    assert "公園をどのくらい利用しますか。" not in client.get(public).text
    frozen.set_jst(OPENS, time(10, 0))
    with app.app_context():
        single, scale, free = db.session.scalars(
            sa.select(Question.id)
            .where(Question.survey_id == survey_id)
            .order_by(Question.position)
        ).all()
    for number in range(12):
        resident = app.test_client()
        sent = answer_on_the_form(
            resident,
            public,
            {
                f"q{single}": str(number % 2),
                f"q{scale}": str(4 + number % 2),
                f"q{free}": f"照明を増やしてほしい（{number}）",
            },
        )
        assert sent.status_code == 302, sent.text[:2000]
        assert sent.headers["Location"].endswith(f"/surveys/{survey_id}/thanks")
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey_id)
            )
            == 12
        )

    # Closed: 企画課 publishes the results with 「その後」, then the public page shows them.
    frozen.set_jst(CLOSES, time(18, 0))
    auth.login(kikaku.email)
    assert "Publish the results" in client.get(f"{page}?lang=en").text
    published = post_on(client, page, f"{page}/publish", {"afterwards-afterwards_ja": AFTERWARDS})
    assert published.status_code == 302
    auth.logout()
    results = client.get(f"/surveys/{survey_id}/results")
    assert results.status_code == 200
    assert "<svg" in results.text
    assert AFTERWARDS in results.text
    # Free answers are not published until redacted.
    assert "照明を増やしてほしい（3）" not in results.text


def test_feedback_after_a_held_session_counts_under_initiative_18(
    app, client, auth, held_session, runner, kocho
):
    # The daily command offers the standard questionnaire to those who attended.
    outcome = runner.invoke(args=["surveys", "feedback"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith("1 ")
    with app.app_context():
        feedback = db.session.scalar(
            sa.select(Survey).where(Survey.session_id == held_session.session_id)
        )
        assert feedback is not None
        assert feedback.initiative.number == FEEDBACK_INITIATIVE
        invitations = db.session.scalars(
            sa.select(Invitation).where(Invitation.survey_id == feedback.id)
        ).all()
        assert sorted(i.email for i in invitations) == sorted(held_session.attended_emails)
        codes = [services.invitation_code(i) for i in invitations]
        survey_id = feedback.id
        scale_ids = db.session.scalars(
            sa.select(Question.id).where(Question.survey_id == survey_id, Question.kind == "scale")
        ).all()
        questions = db.session.scalars(
            sa.select(Question).where(Question.survey_id == survey_id)
        ).all()
        required = {
            q.id: ("0" if q.options else "4")
            for q in questions
            if q.required and q.id not in scale_ids
        }

    # One participant answers through the mailed link with the one-time code.
    participant = app.test_client()
    answers = {f"q{qid}": "4" for qid in scale_ids}
    answers.update({f"q{qid}": value for qid, value in required.items()})
    sent = answer_on_the_form(participant, f"/surveys/{survey_id}?code={codes[0]}", answers)
    assert sent.status_code == 302, sent.text[:2000]

    # The staff page of feedback counts it; initiative 18's page lists the questionnaire.
    auth.login(kocho.email)
    shown = client.get("/staff/surveys/feedback")
    assert shown.status_code == 200
    assert "1 / 3" in shown.text
    # One answer is too few to show a score (under 10, as in every published figure).
    assert "Too few answers" in client.get("/staff/surveys/feedback?lang=en").text
    assert client.get("/initiatives/18").status_code == 200
    figures = client.get("/api/v1/figures").get_json()
    by_number = {row["number"]: row["figures"]["surveys"] for row in figures["initiatives"]}
    assert by_number[FEEDBACK_INITIATIVE]["surveys"] == 1
    assert by_number[FEEDBACK_INITIATIVE]["responses"] == 1
    assert by_number[FEEDBACK_INITIATIVE]["invitations"] == 3
    assert by_number[9]["responses"] == 0  # feedback is not counted as a survey of initiative 9
