"""The staff pages of surveys and the citizens' panel: who may open each route, drafts that stop
changing once sent for review, conditions that only look back, the resident list refused whole
with its line number, the draw and its letters, and an index whose cost does not grow."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.plan.services import initiative_id
from app.surveys import services
from app.surveys.models import (
    Answer,
    Invitation,
    MemberState,
    PanelMember,
    Question,
    Resident,
    SurveyStatus,
)
from tests.conftest import count_statements, csrf_from, submit
from tests.surveys.conftest import (
    accept_all,
    answer,
    department_id,
    drawn_term,
    make_survey,
    make_term,
    open_survey,
    question_ids,
    residents_csv,
    survey,
    term,
    user,
)


def post(client: Any, page: str, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """Post a form of `page` to `url` with the page's token (the prefix of the first key)."""
    return submit(client, url, data, page=page, **kwargs)


@pytest.fixture
def kikaku_survey(app: Any, staff: Any) -> int:
    with app.app_context():
        return make_survey(staff.id)


# Rights --------------------------------------------------------------------------------------

SURVEY_GETS = ["/staff/surveys/{s}", "/staff/surveys/{s}/preview", "/staff/surveys/{s}/answers"]
SURVEY_POSTS = [
    "/staff/surveys/{s}",
    "/staff/surveys/{s}/questions",
    "/staff/surveys/questions/{q}",
    "/staff/surveys/questions/{q}/move",
    "/staff/surveys/questions/{q}/remove",
    "/staff/surveys/{s}/submit",
    "/staff/surveys/{s}/publish",
    "/staff/surveys/{s}/answers",
]
COORDINATOR_GETS = ["/staff/surveys/panel", "/staff/surveys/panel/new"]
TERM_GETS = ["/staff/surveys/panel/{t}", "/staff/surveys/panel/{t}/letters"]
TERM_POSTS = [
    "/staff/surveys/panel/new",
    "/staff/surveys/panel/{t}/import",
    "/staff/surveys/panel/{t}/seed",
    "/staff/surveys/panel/{t}/draw",
]


def _urls(templates: list[str], **ids: Any) -> list[str]:
    return [t.format(**ids) for t in templates]


@pytest.mark.parametrize("role", ["anonymous", "citizen", "reviewer"])
def test_no_staff_page_for_those_who_are_not_staff(
    app, client, login_as, kikaku_survey, kocho, role
):
    with app.app_context():
        qid = question_ids(kikaku_survey)[0]
        term_id = make_term(kocho.id)
    if role != "anonymous":
        login_as(role)
    ids = {"s": kikaku_survey, "q": qid, "t": term_id}
    gets = [
        "/staff/surveys/",
        "/staff/surveys/new",
        "/staff/surveys/feedback",
        *_urls(SURVEY_GETS, **ids),
        *_urls(COORDINATOR_GETS, **ids),
        *_urls(TERM_GETS, **ids),
    ]
    expected = 302 if role == "anonymous" else 403
    for url in gets:
        response = client.get(url)
        assert response.status_code == expected, url
        if role == "anonymous":
            assert "/login" in response.headers["Location"]
    # A token from a page with a form (the login page, or the logout button of any page).
    token = csrf_from(client.get("/login" if role == "anonymous" else "/").text)
    for url in _urls(SURVEY_POSTS, **ids) + _urls(TERM_POSTS, **ids):
        assert client.post(url, data={"csrf_token": token}).status_code == expected, url


def test_another_division_may_not_open_or_change_a_survey(app, client, login_as, kikaku_survey):
    login_as("staff", "somu")
    with app.app_context():
        qid = question_ids(kikaku_survey)[0]
    for url in _urls(SURVEY_GETS, s=kikaku_survey, q=qid):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/staff/surveys/").text)
    for url in _urls(SURVEY_POSTS, s=kikaku_survey, q=qid):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    # Nor does it see the survey in its list.
    assert "市政に関するアンケート" not in client.get("/staff/surveys/").text


def test_only_the_coordinator_approves_returns_and_runs_the_panel(
    app, client, auth, staff, kikaku_survey
):
    with app.app_context():
        services.submit_for_review(user(staff.id), survey(kikaku_survey))
    auth.login(staff.email)
    page = f"/staff/surveys/{kikaku_survey}"
    assert "Approve" not in client.get(f"{page}?lang=en").text
    for url in (f"{page}/approve", f"{page}/return"):
        response = post(client, page, url, {"review-note": "OK"})
        assert response.status_code == 403, url
    for url in COORDINATOR_GETS:
        assert client.get(url).status_code == 403, url
    with app.app_context():
        assert survey(kikaku_survey).status == SurveyStatus.IN_REVIEW


# Drafting ------------------------------------------------------------------------------------


def _settings(**changes: Any) -> dict[str, Any]:
    return {
        "title_ja": "公園の利用に関するアンケート",
        "title_en": "Parks survey",
        "purpose_ja": "公園の整備の参考にします。",
        "audience": "anyone",
        "opens_on": "2024-10-10",
        "opens_time": "09:00",
        "closes_on": "2024-10-31",
        "closes_time": "23:59",
        "anonymous": "y",
        **changes,
    }


def test_a_division_drafts_a_survey_and_a_refusal_keeps_what_was_typed(
    app, client, auth, staff, frozen
):
    auth.login(staff.email)
    with app.app_context():
        division = department_id("kikaku")
        initiative = initiative_id(9)
    # The window closing before it opens: refused beside the field, the title kept.
    refused = submit(
        client,
        "/staff/surveys/new",
        _settings(
            department_id=division,
            initiative_id=initiative,
            closes_on="2024-10-01",
            title_ja="保持される題名",
        ),
    )
    assert refused.status_code == 200
    assert "保持される題名" in refused.text
    assert 'id="closes_on-error"' in refused.text
    created = submit(
        client,
        "/staff/surveys/new",
        _settings(department_id=division, initiative_id=initiative),
    )
    assert created.status_code == 302
    survey_id = int(re.search(r"/staff/surveys/(\d+)", created.headers["Location"]).group(1))
    page = f"/staff/surveys/{survey_id}"
    # A question of each kind that takes options, and one refused without enough options.
    response = post(
        client,
        page,
        f"{page}/questions",
        {
            "question-kind": "single",
            "question-text_ja": "公園をどのくらい利用しますか。",
            "question-options_ja": "毎日\n毎週\nほとんど利用しない",
            "question-options_en": "Daily\nWeekly\nRarely",
            "question-allow_other": "y",
            "question-required": "y",
        },
    )
    assert response.status_code == 302
    refused = post(
        client,
        page,
        f"{page}/questions",
        {
            "question-kind": "multiple",
            "question-text_ja": "選択肢が一つだけ",
            "question-options_ja": "一つ",
        },
    )
    assert refused.status_code == 200
    assert "選択肢が一つだけ" in refused.text
    assert 'id="question-options_ja-error"' in refused.text
    no_rows = post(
        client,
        page,
        f"{page}/questions",
        {"question-kind": "matrix", "question-text_ja": "項目のない表"},
    )
    assert no_rows.status_code == 200
    assert 'id="question-rows_ja-error"' in no_rows.text and "項目のない表" in no_rows.text
    with app.app_context():
        first = question_ids(survey_id)[0]
    # A matrix with its rows, shown only when the first answer is "daily" or "weekly".
    response = post(
        client,
        page,
        f"{page}/questions",
        {
            "question-kind": "matrix",
            "question-text_ja": "次の点を評価してください。",
            "question-rows_ja": "清潔さ\n安全さ",
            "question-condition": [f"{first}:0", f"{first}:1"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        questions = db.session.scalars(
            sa.select(Question).where(Question.survey_id == survey_id).order_by(Question.position)
        ).all()
        assert [q.kind.value for q in questions] == ["single", "matrix"]
        assert questions[0].options[2] == {"ja": "ほとんど利用しない", "en": "Rarely"}
        assert questions[0].allow_other and questions[0].required
        assert questions[1].rows == [{"ja": "清潔さ", "en": ""}, {"ja": "安全さ", "en": ""}]
        assert questions[1].condition_question_id == first
        assert questions[1].condition_options == [0, 1]
        second = questions[1].id
    # Moving the matrix up would put it before its condition: refused, order kept.
    post(client, page, f"/staff/surveys/questions/{second}/move", {"offset": "-1"})
    with app.app_context():
        assert question_ids(survey_id) == [first, second]
    text = client.get(f"{page}/preview?lang=en").text
    assert "How often do you" not in text  # no English text given: the Japanese is shown
    assert "公園をどのくらい利用しますか。" in text and "Rarely" in text
    assert "Asked only when the answer to Q1 is one of:" in text


def test_a_condition_on_a_later_question_is_refused(app, client, auth, staff, kikaku_survey):
    auth.login(staff.email)
    with app.app_context():
        ids = question_ids(kikaku_survey)
    first, second = ids[0], ids[1]
    edit = f"/staff/surveys/questions/{first}"
    form = client.get(edit).text
    assert f'value="{second}:0"' not in form  # only earlier questions are offered
    response = post(
        client,
        edit,
        edit,
        {
            "kind": "single",
            "text_ja": "この取組を知っていましたか。",
            "options_ja": "知っていた\n知らなかった",
            "condition": [f"{second}:0"],
        },
    )
    assert response.status_code == 200
    assert 'id="condition-error"' in response.text
    with app.app_context():
        assert db.session.get(Question, first).condition_question_id is None


def test_editing_is_refused_once_sent_for_review(app, client, auth, staff, kikaku_survey):
    auth.login(staff.email)
    page = f"/staff/surveys/{kikaku_survey}"
    assert post(client, page, f"{page}/submit", {}).status_code == 302
    with app.app_context():
        assert survey(kikaku_survey).status == SurveyStatus.IN_REVIEW
        qid = question_ids(kikaku_survey)[0]
        count = len(question_ids(kikaku_survey))
    shown = client.get(f"{page}?lang=en").text
    assert "Add the question" not in shown and "Save the settings" not in shown
    assert client.get(f"/staff/surveys/questions/{qid}").status_code == 302
    token = csrf_from(shown)
    for url, data in [
        (page, _settings()),
        (f"{page}/questions", {"question-kind": "short_text", "question-text_ja": "追加"}),
        (f"/staff/surveys/questions/{qid}", {"kind": "short_text", "text_ja": "変更"}),
        (f"/staff/surveys/questions/{qid}/remove", {}),
    ]:
        prefix = "question-" if "question-kind" in data else ("settings-" if url == page else "")
        response = client.post(url, data={f"{prefix}csrf_token": token, **data})
        assert response.status_code == 302, url
    with app.app_context():
        assert len(question_ids(kikaku_survey)) == count
        assert db.session.get(Question, qid).text_ja == "この取組を知っていましたか。"
        assert survey(kikaku_survey).title_ja == "市政に関するアンケート"


def test_returning_needs_a_note(app, client, auth, staff, kocho, kikaku_survey):
    auth.login(staff.email)
    page = f"/staff/surveys/{kikaku_survey}"
    post(client, page, f"{page}/submit", {})
    auth.logout()
    auth.login(kocho.email)
    assert "市政に関するアンケート" in client.get("/staff/surveys/").text
    refused = post(client, page, f"{page}/return", {"review-note": ""})
    assert refused.status_code == 200
    assert 'id="review-note-error"' in refused.text
    returned = post(client, page, f"{page}/return", {"review-note": "目的を詳しく"})
    assert returned.status_code == 302
    with app.app_context():
        assert survey(kikaku_survey).status == SurveyStatus.DRAFT
        assert survey(kikaku_survey).review_note == "目的を詳しく"


def test_the_index_costs_a_fixed_number_of_statements(app, client, auth, staff, kocho):
    auth.login(kocho.email)

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert client.get("/staff/surveys/").status_code == 200
        return len(seen)

    with app.app_context():
        make_survey(staff.id, questions=[])
    one = statements()
    with app.app_context():
        for number in range(4):
            make_survey(staff.id, questions=[], title=f"調査{number}")
        open_survey(staff.id, kocho.id)
    assert statements() == one


# The panel ---------------------------------------------------------------------------------


def _upload(client: Any, term_id: int, text: str) -> Any:
    page = f"/staff/surveys/panel/{term_id}"
    return submit(
        client,
        f"{page}/import",
        {"import-file": (io.BytesIO(text.encode()), "residents.csv")},
        page=page,
        content_type="multipart/form-data",
    )


def test_a_bad_resident_list_is_refused_with_its_line_and_nothing_stored(app, client, auth, kocho):
    auth.login(kocho.email)
    created = submit(
        client,
        "/staff/surveys/panel/new",
        {
            "name_ja": "第2期",
            "starts_on": "2025-04-01",
            "ends_on": "2027-03-31",
            "target_size": "20",
            "invite_ratio": "2.0",
        },
    )
    assert created.status_code == 302
    term_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    lines = residents_csv().splitlines()
    lines[4] = lines[4].replace(",chuo,", ",atlantis,")  # line 5 of the file
    refused = _upload(client, term_id, "\n".join(lines) + "\n")
    assert refused.status_code == 200
    message = re.search(r'id="import-file-error">([^<]*)<', refused.text)
    assert message and "5" in message.group(1)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Resident.id))) == 0
    accepted = _upload(client, term_id, residents_csv())
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Resident.id))) == 105


def test_seed_then_draw_then_the_letters(app, client, auth, kocho):
    auth.login(kocho.email)
    with app.app_context():
        term_id = make_term(kocho.id)
    page = f"/staff/surveys/panel/{term_id}"
    assert (
        post(client, page, f"{page}/seed", {"seed-seed": "2026-04-01 宝くじ 123456"}).status_code
        == 302
    )
    assert "2026-04-01 宝くじ 123456" in client.get(page).text
    drawn = post(client, page, f"{page}/draw", {})
    assert drawn.status_code == 302
    assert drawn.headers["Location"].endswith(f"{page}/letters")
    letters = client.get(f"{page}/letters")
    assert letters.status_code == 200
    with app.app_context():
        members = db.session.scalars(
            sa.select(PanelMember).where(PanelMember.term_id == term_id)
        ).all()
        assert len(members) == 40  # 20 wanted × 2 invited each
        codes = [services.member_code(m) for m in members]
        first = db.session.get(Resident, members[0].resident_id)
        name = first.name
    for code in codes:
        assert code in letters.text
    assert name in letters.text
    assert letters.text.count('class="receipt survey-letter"') == 40
    # The balance against the population, and the members list.
    shown = client.get(f"{page}?lang=en")
    assert 'id="balance-table"' in shown.text and 'id="member-table"' in shown.text
    # Drawing twice is refused without a 500.
    again = post(client, page, f"{page}/draw", {})
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PanelMember.id))) == 40


def test_a_member_leaves_and_is_replaced(app, client, auth, kocho):
    with app.app_context():
        term_id = drawn_term(kocho.id)
        member_id = accept_all(term_id)[0]
    auth.login(kocho.email)
    page = f"/staff/surveys/panel/{term_id}"
    response = post(
        client, page, f"/staff/surveys/panel/members/{member_id}/leave", {"leave-reason": "転居"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(PanelMember, member_id).state == MemberState.RETIRED
    response = post(client, page, f"/staff/surveys/panel/members/{member_id}/replace", {})
    assert response.status_code == 302
    assert "/letters?member=" in response.headers["Location"]
    letter = client.get(response.headers["Location"])
    assert letter.text.count('class="receipt survey-letter"') == 1
    with app.app_context():
        assert term(term_id) is not None


# After the close ---------------------------------------------------------------------------


def test_results_wait_for_the_close_and_free_answers_for_their_redaction(
    app, client, auth, staff, kocho, frozen
):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        answer(survey_id)
        long_text = db.session.scalar(
            sa.select(Answer.id).where(Answer.text == "もっと広く知らせてください。")
        )
    auth.login(staff.email)
    page = f"/staff/surveys/{survey_id}"
    # Still open: no publication, and the page says why.
    early = post(client, page, f"{page}/publish", {"afterwards-afterwards_ja": "早すぎる"})
    assert early.status_code == 302
    assert "アンケートの終了後に公開できます" in client.get(page).text
    with app.app_context():
        assert survey(survey_id).status == SurveyStatus.APPROVED
    frozen.set(frozen.now + timedelta(days=15))
    auth.login(staff.email)  # two weeks on, the session has ended
    answers_page = f"{page}/answers"
    shown = client.get(answers_page)
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert "もっと広く知らせてください。" in shown.text and "4月号の特集" in shown.text
    # Publishing needs the text to publish; what was chosen is kept.
    refused = post(
        client,
        answers_page,
        answers_page,
        {
            "answer_id": long_text,
            f"answer{long_text}-redacted_text": "",
            f"answer{long_text}-publish": "publish",
        },
    )
    assert refused.status_code == 200
    assert f'id="answer{long_text}-redacted_text-error"' in refused.text
    published = post(
        client,
        answers_page,
        answers_page,
        {
            "answer_id": long_text,
            f"answer{long_text}-redacted_text": "もっと広く知らせてほしい。",
            f"answer{long_text}-publish": "publish",
        },
    )
    assert published.status_code == 302
    with app.app_context():
        assert db.session.get(Answer, long_text).redacted_text == "もっと広く知らせてほしい。"
    kept = post(
        client,
        answers_page,
        answers_page,
        {
            "answer_id": long_text,
            f"answer{long_text}-redacted_text": "もっと広く知らせてほしい。",
            f"answer{long_text}-publish": "keep",
        },
    )
    assert kept.status_code == 302
    with app.app_context():
        assert db.session.get(Answer, long_text).redacted_text is None
    done = post(client, page, f"{page}/publish", {"afterwards-afterwards_ja": "広報を強化します。"})
    assert done.status_code == 302
    with app.app_context():
        assert survey(survey_id).status == SurveyStatus.PUBLISHED
    # 「その後」 updated later.
    later = post(
        client, page, f"{page}/publish", {"afterwards-afterwards_ja": "広報紙で特集しました。"}
    )
    assert later.status_code == 302
    with app.app_context():
        assert survey(survey_id).afterwards_ja == "広報紙で特集しました。"


def test_a_panel_surveys_letters_carry_the_codes_of_those_without_e_mail(
    app, client, auth, staff, kocho, frozen
):
    with app.app_context():
        term_id = drawn_term(kocho.id)
        members = accept_all(term_id)
        # Two members gave no e-mail address: their invitations go by post.
        for member_id in members[:2]:
            db.session.get(PanelMember, member_id).email = ""
        db.session.commit()
        survey_id = open_survey(staff.id, kocho.id, audience="panel", panel_term_id=term_id)
        letters = services.survey_letters(survey(survey_id))
        codes = [code for _invitation, code in letters]
    assert len(codes) == 2
    auth.login(staff.email)
    shown = client.get(f"/staff/surveys/{survey_id}/invitations")
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    for code in codes:
        assert code in shown.text
    assert shown.text.count('class="receipt survey-letter"') == 2
    assert f"http://localhost/surveys/{survey_id}" in shown.text  # the public address
    # A survey for anyone has no letters.
    with app.app_context():
        open_id = open_survey(staff.id, kocho.id)
    assert client.get(f"/staff/surveys/{open_id}/invitations").status_code == 404


def test_the_feedback_page_shows_favourable_shares_at_a_fixed_cost(
    app, client, auth, kocho, held_session
):
    with app.app_context():
        offered = services.offer_feedback(held_session.session_id)
        survey_id = offered.id
        questions = {
            q.key: q
            for q in db.session.scalars(sa.select(Question).where(Question.survey_id == survey_id))
        }
        base = {str(q.id): "0" for q in questions.values() if q.required and q.options}
        base.update({str(q.id): "3" for q in questions.values() if q.kind.value == "scale"})
        for number in range(10):
            answers = {
                **base,
                str(questions["glad"].id): "5" if number < 8 else "2",
                str(questions["again"].id): "0",
                str(questions["length"].id): "1" if number < 5 else "2",
            }
            # Ten participants (the fixture's session had three): invitations as approve()
            # makes them, each answered once with its code.
            code = f"TEST-CODE-{number:04d}"
            db.session.add(Invitation(survey_id=survey_id, code_hash=services.code_hash(code)))
            db.session.commit()
            found = survey(survey_id)
            access = services.access_for(found, code, None)
            services.submit_response(found, access, answers, f"feedback-{number}")
    auth.login(kocho.email)
    with app.app_context(), count_statements() as seen:
        shown = client.get("/staff/surveys/feedback?lang=en")
    assert shown.status_code == 200
    cells = dict(re.findall(r'<td data-label="([^"]+)">([^<]*)', shown.text))
    assert cells["Answers"].strip() == "10 / 13"  # three attended, ten more invited here
    assert cells["Glad I took part"].strip() == "80%"  # 8 of 10 gave 4 or 5
    assert cells["Would take part again"].strip() == "100%"
    assert cells["Length right"].strip() == "50%"  # 5 of 10 about right
    assert cells["Clear"].strip() == "0%"  # every answer a 3
    assert len(seen) <= 12
