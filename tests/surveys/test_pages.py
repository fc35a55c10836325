"""The citizen's pages of surveys through the web client: answering with every kind of
question, conditions shown and skipped, errors at the question, progress saved and restored,
one-time codes, closed surveys, double sends, the receipt (no answers when anonymous), the
list's fixed cost, and the panel's join, decline and leave pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.surveys import services
from app.surveys.models import (
    Answer,
    Invitation,
    MemberState,
    PanelMember,
    Response,
    ResponseDraft,
    Survey,
    SurveyStatus,
)
from tests.conftest import count_statements, csrf_from
from tests.surveys.conftest import (
    accept_all,
    drawn_term,
    open_survey,
    question_ids,
)
from tests.surveys.conftest import (
    survey as load_survey,
)


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


def typed(ids: list[int], **changes: Any) -> dict[str, Any]:
    """What a resident answers to every question of an ALL_KINDS survey, as posted."""
    data: dict[str, Any] = {
        f"q{ids[0]}": "0",
        f"q{ids[1]}": ["0", "2"],
        f"q{ids[2]}": "4月号の特集",
        f"q{ids[3]}": "もっと広く知らせてください。ANSWER-MARKER",
        f"q{ids[4]}": "4",
        f"q{ids[5]}_r0": "5",
        f"q{ids[5]}_r1": "3",
        f"q{ids[6]}": "12",
        f"q{ids[7]}": "2024-09-30",
    }
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def post(client: Any, url: str, page: Any, data: dict[str, Any], action: str) -> Any:
    return client.post(url, data={**hidden_fields(page.text), **data, "action": action})


def send_all(client: Any, url: str, ids: list[int], **changes: Any) -> Any:
    """Open the questionnaire, show the questions that apply, then send."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    checked = post(client, url, page, typed(ids, **changes), "check")
    assert checked.status_code == 200
    return post(client, url, checked, typed(ids, **changes), "submit")


def responses(survey_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey_id)
    )


def make_open(app: Any, staff: Any, kocho: Any, **kwargs: Any) -> tuple[int, list[int]]:
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id, **kwargs)
        return survey_id, question_ids(survey_id)


# Answering --------------------------------------------------------------------------------


def test_answering_every_kind_of_question(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "市政に関するアンケート" in page.text
    # Every kind as its control: radios with 「その他」, checkboxes, a textarea with a counter,
    # five labelled points, a matrix of radios per item, a number and a date.
    assert f'name="q{ids[0]}" type="radio" value="-1"' in page.text
    assert f'name="q{ids[0]}_other"' in page.text
    assert f'name="q{ids[1]}" type="checkbox"' in page.text
    assert re.search(rf'<textarea[^>]*data-count-max="4000"[^>]*name="q{ids[3]}"', page.text)
    assert page.text.count(f'name="q{ids[4]}"') == 5
    assert f'name="q{ids[5]}_r0"' in page.text and f'name="q{ids[5]}_r1"' in page.text
    assert 'class="matrix-row"' in page.text
    assert 'inputmode="decimal"' in page.text and 'type="date"' in page.text
    # A screen reader hears each question as a group, "required" in words.
    assert f'<legend id="q{ids[0]}-legend">' in page.text
    assert "（必須）" in page.text

    sent = send_all(client, url, ids)
    assert sent.status_code == 302, sent.text
    assert sent.headers["Location"].endswith(f"/surveys/{survey_id}/thanks")
    with app.app_context():
        assert responses(survey_id) == 1
        rows = db.session.execute(
            sa.select(
                Answer.question_id,
                Answer.row,
                Answer.option,
                Answer.number,
                Answer.day,
                Answer.text,
            )
        ).all()
        by_question: dict[int, list[Any]] = {}
        for row in rows:
            by_question.setdefault(row.question_id, []).append(row)
        assert [r.option for r in by_question[ids[0]]] == [0]
        assert sorted(r.option for r in by_question[ids[1]]) == [0, 2]  # one row per option
        assert by_question[ids[2]][0].text == "4月号の特集"
        assert [r.option for r in by_question[ids[4]]] == [4]
        assert sorted((r.row, r.option) for r in by_question[ids[5]]) == [(0, 5), (1, 3)]
        assert by_question[ids[6]][0].number == 12
        assert by_question[ids[7]][0].day.isoformat() == "2024-09-30"


def test_other_with_its_text(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    sent = send_all(client, url, ids, **{f"q{ids[0]}": "-1", f"q{ids[0]}_other": "回覧板"})
    assert sent.status_code == 302
    with app.app_context():
        other = db.session.execute(
            sa.select(Answer.option, Answer.text).where(Answer.question_id == ids[0])
        ).one()
        assert (other.option, other.text) == (-1, "回覧板")


def test_a_condition_shows_and_hides_a_question(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    page = client.get(url)
    conditional = f'name="q{ids[2]}"'
    assert conditional not in page.text  # shown only for the newsletter or the web
    assert 'value="check"' in page.text  # the button that shows the questions that apply

    checked = post(client, url, page, {f"q{ids[1]}": ["0"]}, "check")
    assert checked.status_code == 200
    assert conditional in checked.text

    hidden_again = post(client, url, checked, {f"q{ids[1]}": ["2"]}, "check")
    assert conditional not in hidden_again.text


def test_a_hidden_required_question_is_not_required(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    # "Friends" only: the required follow-up on the newsletter is skipped, and a value posted
    # for it anyway (a stale page) is dropped, never stored.
    sent = send_all(client, url, ids, **{f"q{ids[1]}": ["2"], f"q{ids[2]}": "残っていた回答"})
    assert sent.status_code == 302, sent.text
    with app.app_context():
        assert responses(survey_id) == 1
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Answer.id)).where(Answer.question_id == ids[2])
            )
            == 0
        )


def test_a_send_that_brings_up_a_question_shows_it_first(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    page = client.get(url)  # the conditional question is not on the page
    sent = post(client, url, page, typed(ids, **{f"q{ids[2]}": None}), "submit")
    assert sent.status_code == 200
    assert f'name="q{ids[2]}"' in sent.text
    assert 'id="survey-notice"' in sent.text
    with app.app_context():
        assert responses(survey_id) == 0


def test_errors_at_the_question_and_nothing_stored(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    typed_text = "もっと広く知らせてください。ANSWER-MARKER"
    sent = send_all(client, url, ids, **{f"q{ids[0]}": None, f"q{ids[6]}": "たくさん"})
    assert sent.status_code == 200
    assert 'id="error-summary"' in sent.text
    assert sent.text.startswith("<!doctype html>") and "<title>エラー：" in sent.text
    # The messages beside their questions, tied to the controls.
    assert f'id="q{ids[0]}-error"' in sent.text
    assert f'id="q{ids[6]}-error"' in sent.text
    assert re.search(rf'aria-describedby="q{ids[6]}-error"[^>]*name="q{ids[6]}"', sent.text) or (
        f'name="q{ids[6]}"' in sent.text and f'aria-describedby="q{ids[6]}-error"' in sent.text
    )
    assert f'href="#q{ids[0]}-0"' in sent.text  # the summary's link to the first option
    # What was typed is kept.
    assert typed_text in sent.text and 'value="たくさん"' in sent.text
    with app.app_context():
        assert responses(survey_id) == 0


def test_double_submit_stores_one(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    page = client.get(url)
    checked = post(client, url, page, typed(ids), "check")
    first = post(client, url, checked, typed(ids), "submit")
    again = post(client, url, checked, typed(ids), "submit")
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert responses(survey_id) == 1


def test_anonymous_thanks_shows_no_answers(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    sent = send_all(client, f"/surveys/{survey_id}", ids)
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200
    assert thanks.headers["Cache-Control"] == "no-store"
    assert "ANSWER-MARKER" not in thanks.text and "4月号の特集" not in thanks.text
    assert 'id="anonymity"' in thanks.text
    with app.app_context():
        receipt = db.session.scalar(sa.select(Response.receipt_code))
    assert receipt and receipt in thanks.text
    # Another browser cannot read the receipt.
    assert app.test_client().get(sent.headers["Location"]).status_code == 404


def test_named_survey_thanks_reads_the_answers_back(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho, anonymous=False)
    sent = send_all(client, f"/surveys/{survey_id}", ids)
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200
    assert "ANSWER-MARKER" in thanks.text and "知っていた" in thanks.text


def test_save_progress_and_come_back(app, client, staff, kocho, frozen, auth, make_user):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    # Without an account or a code there is nowhere to keep a draft: the page says so.
    anonymous_page = client.get(url)
    assert 'value="save"' not in anonymous_page.text
    assert "/login?next=" in anonymous_page.text
    citizen = make_user("citizen")
    assert auth.login(citizen.email).status_code == 302
    page = client.get(url)
    assert 'value="save"' in page.text
    saved = post(client, url, page, {f"q{ids[0]}": "1", f"q{ids[3]}": "途中までの回答"}, "save")
    assert saved.status_code == 200
    assert 'id="survey-notice"' in saved.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ResponseDraft.id))) == 1
        assert responses(survey_id) == 0

    back = client.get(url)
    assert "途中までの回答" in back.text
    assert f'checked id="q{ids[0]}-1" name="q{ids[0]}" type="radio" value="1"' in back.text
    assert 'id="survey-notice"' in back.text  # told that the answers were restored


def test_closed_and_not_yet_open_surveys_are_refused_clearly(app, client, staff, kocho, frozen):
    survey_id, ids = make_open(app, staff, kocho)
    url = f"/surveys/{survey_id}"
    page = client.get(url)
    frozen.set(clock.now() + timedelta(days=15))
    closed = client.get(url)
    assert closed.status_code == 200
    assert 'id="refusal"' in closed.text and "締め切" in closed.text
    sent = post(client, url, page, typed(ids), "submit")
    assert sent.status_code == 200 and 'id="refusal"' in sent.text
    with app.app_context():
        assert responses(survey_id) == 0
        later = open_survey(
            staff.id,
            kocho.id,
            opens_at=clock.now() + timedelta(days=2),
            closes_at=clock.now() + timedelta(days=9),
        )
    not_yet = client.get(f"/surveys/{later}")
    assert not_yet.status_code == 200 and 'id="refusal"' in not_yet.text
    # A draft is nobody's business: 404.
    with app.app_context():
        load_survey(later).status = SurveyStatus.DRAFT
        db.session.commit()
    assert client.get(f"/surveys/{later}").status_code == 404


def _participant_survey(app: Any, staff: Any, kocho: Any, session_id: int) -> tuple[int, list[str]]:
    with app.app_context():
        survey_id = open_survey(
            staff.id, kocho.id, audience="participants", session_ids=[session_id]
        )
        invitations = db.session.scalars(
            sa.select(Invitation).where(Invitation.survey_id == survey_id).order_by(Invitation.id)
        ).all()
        return survey_id, [services.invitation_code(i) for i in invitations]


def test_one_time_code_answers_once(app, client, staff, kocho, held_session):
    survey_id, codes = _participant_survey(app, staff, kocho, held_session.session_id)
    assert codes
    with app.app_context():
        ids = question_ids(survey_id)
    url = f"/surveys/{survey_id}"
    # Without a code: asked for it.
    asked = client.get(url)
    assert asked.status_code == 200 and 'name="code"' in asked.text
    wrong = client.get(f"{url}?code=AAAA-BBBB-CCCC")
    assert wrong.status_code == 403 and 'id="code-error"' in wrong.text

    sent = send_all(client, f"{url}?code={codes[0]}", ids)
    assert sent.status_code == 302, sent.text
    again = client.get(f"{url}?code={codes[0]}")
    assert again.status_code == 403
    with app.test_request_context("/?lang=ja"):
        used = services.refusal(load_survey(survey_id), codes[0], None)
        unknown = services.refusal(load_survey(survey_id), "AAAA-BBBB-CCCC", None)
    assert used != unknown and used in again.text and unknown in wrong.text
    other_browser = app.test_client()
    sent_again = send_all(other_browser, f"{url}?code={codes[1]}", ids)
    assert sent_again.status_code == 302
    with app.app_context():
        assert responses(survey_id) == 2


def test_a_code_typed_into_the_form_opens_the_survey(app, client, staff, kocho, held_session):
    survey_id, codes = _participant_survey(app, staff, kocho, held_session.session_id)
    opened = client.get(f"/surveys/{survey_id}", query_string={"code": codes[0].lower()})
    assert opened.status_code == 200
    assert 'value="save"' in opened.text  # progress kept under the code
    assert hidden_fields(opened.text)["code"]


def test_index_costs_a_fixed_number_of_statements(app, client, staff, kocho, frozen):
    with app.app_context():
        first = open_survey(staff.id, kocho.id)
    page = client.get("/surveys/")
    assert page.status_code == 200 and f"/surveys/{first}" in page.text

    def cost() -> int:
        with app.app_context(), count_statements() as statements:
            assert client.get("/surveys/").status_code == 200
        return len(statements)

    few = cost()
    with app.app_context():
        for n in range(3):
            open_survey(staff.id, kocho.id, title=f"アンケート {n}", audience="accounts")
            published = open_survey(staff.id, kocho.id, title=f"結果 {n}")
            found = db.session.get(Survey, published)
            found.status = SurveyStatus.PUBLISHED
            found.results_published_at = clock.now()
            db.session.commit()
    listed = client.get("/surveys/")
    assert "結果 2" in listed.text and "ログインして" in listed.text
    assert cost() == few


# The panel --------------------------------------------------------------------------------


def _codes(app: Any, kocho: Any) -> tuple[int, list[str]]:
    with app.app_context():
        term_id = drawn_term(kocho.id)
        members = db.session.scalars(
            sa.select(PanelMember).where(PanelMember.term_id == term_id).order_by(PanelMember.id)
        ).all()
        return term_id, [services.member_code(m) for m in members]


def _state(app: Any, code: str) -> MemberState:
    with app.app_context():
        return db.session.scalar(
            sa.select(PanelMember.state).where(PanelMember.code_hash == services.code_hash(code))
        )


def _join(client: Any, **data: Any) -> Any:
    page = client.get("/surveys/panel/join")
    assert page.status_code == 200
    return client.post("/surveys/panel/join", data={"csrf_token": csrf_from(page.text), **data})


def test_panel_join_and_decline(app, client, kocho, frozen):
    _term, codes = _codes(app, kocho)
    joined = _join(client, code=codes[0], answer="accept", email="member@example.jp")
    assert joined.status_code == 200 and 'id="outcome"' in joined.text
    assert _state(app, codes[0]) == MemberState.ACCEPTED
    declined = _join(client, code=codes[1].lower().replace("-", ""), answer="decline")
    assert declined.status_code == 200
    assert _state(app, codes[1]) == MemberState.DECLINED

    used = _join(client, code=codes[0], answer="accept")
    assert used.status_code == 200 and 'id="code-error"' in used.text
    unknown = _join(client, code="ZZZZ-ZZZZ-ZZZZ", answer="accept")
    assert unknown.status_code == 200 and 'id="code-error"' in unknown.text
    assert 'value="ZZZZ-ZZZZ-ZZZZ"' in unknown.text  # kept to correct
    nothing = _join(client, code="", answer="")
    assert nothing.status_code == 200 and 'id="error-summary"' in nothing.text


def test_panel_leave_with_a_code_after_confirmation(app, client, kocho, frozen):
    _term, codes = _codes(app, kocho)
    assert _join(client, code=codes[0], answer="accept").status_code == 200
    page = client.get("/surveys/panel/leave")
    assert page.status_code == 200
    token = csrf_from(page.text)
    bad = client.post("/surveys/panel/leave", data={"csrf_token": token, "code": "ZZZZ-ZZZZ-ZZZZ"})
    assert bad.status_code == 200 and 'id="code-error"' in bad.text
    not_member = client.post("/surveys/panel/leave", data={"csrf_token": token, "code": codes[1]})
    assert 'id="code-error"' in not_member.text  # invited, never joined
    asked = client.post(
        "/surveys/panel/leave",
        data={"csrf_token": token, "code": codes[0], "reason": "転居のため", "action": "check"},
    )
    assert asked.status_code == 200 and 'value="leave"' in asked.text
    assert _state(app, codes[0]) == MemberState.ACCEPTED  # not before the confirmation
    left = client.post(
        "/surveys/panel/leave", data={**hidden_fields(asked.text), "action": "leave"}
    )
    assert left.status_code == 200 and 'id="outcome"' in left.text
    assert _state(app, codes[0]) == MemberState.RETIRED


def test_panel_leave_as_a_logged_in_member(app, client, kocho, frozen, auth, make_user):
    _term, codes = _codes(app, kocho)
    citizen = make_user("citizen")
    assert auth.login(citizen.email).status_code == 302
    assert _join(client, code=codes[0], answer="accept").status_code == 200
    page = client.get("/surveys/panel/leave")
    assert 'name="code" value=""' in page.text  # no code asked of a logged-in member
    asked = client.post(
        "/surveys/panel/leave", data={**hidden_fields(page.text), "action": "check"}
    )
    assert asked.status_code == 200 and 'value="leave"' in asked.text
    left = client.post(
        "/surveys/panel/leave", data={**hidden_fields(asked.text), "action": "leave"}
    )
    assert 'id="outcome"' in left.text
    assert _state(app, codes[0]) == MemberState.RETIRED


def test_panel_page_counts_with_small_ones_suppressed(app, client, kocho, frozen):
    with app.app_context():
        term_id = drawn_term(kocho.id)
        accept_all(term_id)
        members = db.session.scalar(
            sa.select(sa.func.count(PanelMember.id)).where(
                PanelMember.term_id == term_id, PanelMember.state == MemberState.ACCEPTED
            )
        )
    page = client.get("/surveys/panel")
    assert page.status_code == 200
    assert "2000人市民委員会" in page.text or "市民委員会" in page.text
    assert "10未満" in page.text  # a small test panel: every ward and band under 10
    assert members < 100
