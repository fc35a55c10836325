"""Answering: who may, conditions, one-time codes (once, also twice at once), anonymity in the
database, saved progress."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core import clock
from app.core.mail import OutboxMessage
from app.extensions import db
from app.surveys import services
from app.surveys.models import (
    Answer,
    Invitation,
    Response,
    ResponseDraft,
    Source,
)
from tests.conftest import count_statements, run_at_once
from tests.surveys.conftest import (
    answer,
    full_answers,
    open_survey,
    question_ids,
    survey,
    user,
)

LINK = re.compile(r"http://localhost/surveys/(\d+)\?code=([A-Z0-9]+)")


def _codes(survey_id: int) -> dict[str, str]:
    """{recipient: code} read from the invitation mails, as a participant reads them."""
    codes = {}
    for message in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)):
        found = LINK.search(message.body)
        if found and int(found.group(1)) == survey_id:
            codes[message.recipient] = found.group(2)
    return codes


@pytest.fixture
def participants_survey(app, staff, kocho, held_session):
    """An anonymous survey of the held session's participants, approved: the invitations are
    mailed to the three who came."""
    with app.app_context():
        return open_survey(
            staff.id, kocho.id, audience="participants", session_ids=[held_session.session_id]
        )


# Conditions -------------------------------------------------------------------------------


def test_a_required_question_hidden_by_its_condition_is_not_required_and_its_answer_dropped(
    app, staff, kocho, frozen
):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        ids = question_ids(survey_id)
        answers = full_answers(survey_id)
        answers[str(ids[1])] = ["2"]  # 知人 only: the question on the newsletter is hidden
        found = survey(survey_id)
        assert ids[2] not in [q.id for q in services.visible_questions(found, answers)]
        assert services.check_answers(found, answers) == {}
        response = answer(survey_id, answers)
        stored = db.session.scalars(
            sa.select(Answer.question_id).where(Answer.response_id == response.id)
        ).all()
        assert ids[2] not in stored  # typed before it was hidden: dropped, never stored
        assert ids[0] in stored


def test_a_required_question_shown_by_its_condition_is_required(app, staff, kocho, frozen):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        ids = question_ids(survey_id)
        answers = full_answers(survey_id)
        answers[str(ids[1])] = ["1"]  # ホームページ: the follow-up question is shown
        del answers[str(ids[2])]
        found = survey(survey_id)
        assert ids[2] in [q.id for q in services.visible_questions(found, answers)]
        assert services.check_answers(found, answers) == {ids[2]: "この質問にお答えください。"}
        with pytest.raises(services.SurveyError) as refused:
            services.submit_response(
                found, services.access_for(found, None, None), answers, "token-1"
            )
        assert refused.value.field == str(ids[2])
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0


def test_answers_out_of_range_are_refused_with_a_message_each(app, staff, kocho, frozen):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        ids = question_ids(survey_id)
        answers = full_answers(survey_id)
        answers.update(
            {
                str(ids[0]): "-1",  # その他 without its text
                str(ids[1]): ["0", "7"],
                str(ids[4]): "6",
                str(ids[5]): {"0": "9"},
                str(ids[6]): "たくさん",
                str(ids[7]): "2024-13-40",
            }
        )
        errors = services.check_answers(survey(survey_id), answers)
        assert errors == {
            ids[0]: "「その他」の内容をお書きください。",
            ids[1]: "示された選択肢から選んでください。",
            ids[4]: "1から5の中から選んでください。",
            ids[5]: "各項目について1から5の中から選んでください。",
            ids[6]: "数字で入力してください（例：3、2.5）。",
            ids[7]: "日付は年-月-日の形で入力してください（例：2026-04-01）。",
        }


def test_other_with_its_text_and_full_width_numbers_are_stored(app, staff, kocho, frozen):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        ids = question_ids(survey_id)
        answers = full_answers(survey_id)
        answers.update({str(ids[0]): "other", f"{ids[0]}-other": "回覧板", str(ids[6]): "１２"})
        response = answer(survey_id, answers)
        rows = {
            (a.question_id, a.option, a.row): a
            for a in db.session.scalars(sa.select(Answer).where(Answer.response_id == response.id))
        }
        assert rows[(ids[0], -1, None)].text == "回覧板"
        assert {(q, o) for q, o, _r in rows if q == ids[1]} == {(ids[1], 0), (ids[1], 2)}
        assert rows[(ids[5], 5, 0)] and rows[(ids[5], 3, 1)]
        assert rows[(ids[6], None, None)].number == 12.0
        assert response.source == Source.OPEN


# One-time codes ---------------------------------------------------------------------------


def test_a_one_time_code_answers_once(app, participants_survey, held_session):
    with app.app_context():
        codes = _codes(participants_survey)
        assert sorted(codes) == sorted(held_session.attended_emails)  # not the no-show
        code = codes["ichiro@example.jp"]
        found = survey(participants_survey)
        assert services.access_for(found, None, None) is None  # no code, no access
        assert services.access_for(found, "WRONG-CODE-0000", None) is None
        granted = services.access_for(found, code.lower(), None)  # typed in lower case
        assert granted is not None and granted.source == Source.PARTICIPANTS
        services.submit_response(found, granted, full_answers(participants_survey), "first")
        assert services.access_for(found, code, None) is None
        assert (
            services.refusal(found, code, None)
            == "このコードは既に回答に使われています。ありがとうございました。"
        )
        with pytest.raises(services.SurveyError, match="既に回答に使われています"):
            services.submit_response(found, granted, full_answers(participants_survey), "second")
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1


def test_a_one_time_code_sent_twice_at_once_stores_one_response(
    app, participants_survey, held_session
):
    with app.app_context():
        code = _codes(participants_survey)["jiro@example.jp"]

    def send(number, go):
        with app.app_context():
            found = survey(participants_survey)
            granted = services.access_for(found, code, None)  # both read it unused
            assert granted is not None
            answers = full_answers(participants_survey)
            go()
            try:
                services.submit_response(found, granted, answers, f"form-{number}")
            except services.SurveyError as refused:
                db.session.rollback()
                return str(refused)
            return "stored"

    outcomes = run_at_once(2, send)
    assert sorted(outcomes) == [
        "stored",
        "このコードは既に回答に使われています。ありがとうございました。",
    ]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1


def test_the_same_form_sent_twice_stores_one_response(app, participants_survey):
    with app.app_context():
        code = _codes(participants_survey)["jane@example.jp"]
        found = survey(participants_survey)
        granted = services.access_for(found, code, None)
        first, created = services.submit_response(
            found, granted, full_answers(participants_survey), "same-form"
        )
        again, created_again = services.submit_response(
            found, granted, full_answers(participants_survey), "same-form"
        )
        assert created and not created_again and again.id == first.id


# Anonymity --------------------------------------------------------------------------------


def test_an_anonymous_answer_holds_no_link_to_its_code_or_account(app, participants_survey, frozen):
    with app.app_context():
        code = _codes(participants_survey)["ichiro@example.jp"]
        found = survey(participants_survey)
        services.save_progress(found, code, {str(question_ids(participants_survey)[0]): "1"})
        frozen.set(frozen.now + timedelta(hours=3, minutes=17))
        granted = services.access_for(found, code, None)
        response, _created = services.submit_response(
            found, granted, full_answers(participants_survey), "anon"
        )
        db.session.expire_all()
        row = db.session.get(Response, response.id)
        assert row.invitation_id is None and row.user_id is None
        assert row.submitted_at is None and row.submitted_on == clock.today()
        # The invitation only says it was used, on which day, not when: the order and the
        # times of the codes used say nothing of which response is whose.
        used = db.session.scalars(
            sa.select(Invitation).where(Invitation.used_at.is_not(None))
        ).all()
        assert len(used) == 1 and used[0].used_at == clock.start_of_today()
        assert not hasattr(Invitation, "response_id")
        # No other table points at the response but its answers; the saved draft is gone.
        for table in db.metadata.sorted_tables:
            for key in table.foreign_keys:
                if key.column.table.name == "response":
                    assert table.name == "answer", table.name
        assert db.session.scalar(sa.select(sa.func.count(ResponseDraft.id))) == 0
        assert code not in str(row.__dict__) and services.code_hash(code) not in str(row.__dict__)


def test_a_named_survey_keeps_who_answered(app, staff, kocho, held_session):
    with app.app_context():
        survey_id = open_survey(
            staff.id,
            kocho.id,
            audience="participants",
            anonymous=False,
            session_ids=[held_session.session_id],
        )
        code = _codes(survey_id)["ichiro@example.jp"]
        response = answer(survey_id, code=code)
        assert response.invitation_id is not None and response.submitted_at == clock.now()


def test_an_account_answers_an_accounts_survey_once_without_being_named(
    app, staff, kocho, make_user, frozen
):
    citizen = make_user("citizen")
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id, audience="accounts")
        found = survey(survey_id)
        assert services.access_for(found, None, None) is None  # not logged in
        person = user(citizen.id)
        response = answer(survey_id, user=person)
        assert response.user_id is None
        assert services.access_for(survey(survey_id), None, person) is None
        with pytest.raises(services.SurveyError, match="既に回答"):
            services.submit_response(
                found,
                services.Access(source=Source.OPEN, user_id=citizen.id),
                full_answers(survey_id),
                "again",
            )


def test_a_closed_survey_takes_no_answer(app, staff, kocho, frozen):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        granted = services.access_for(survey(survey_id), None, None)
        frozen.set(survey(survey_id).closes_at)
        assert services.access_for(survey(survey_id), None, None) is None
        with pytest.raises(services.SurveyError, match="締め切りました"):
            services.submit_response(survey(survey_id), granted, full_answers(survey_id), "late")
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0


# Saved progress ---------------------------------------------------------------------------


def test_progress_is_saved_and_loaded_by_code_or_account(app, staff, kocho, frozen):
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        ids = question_ids(survey_id)
        found = survey(survey_id)
        services.save_progress(found, "user:7", {str(ids[0]): "1", "999": "x", str(ids[3]): ""})
        assert services.load_progress(found, "user:7") == {str(ids[0]): "1"}
        services.save_progress(found, "user:7", {str(ids[0]): "0"})
        assert services.load_progress(found, "user:7") == {str(ids[0]): "0"}
        assert services.load_progress(found, "user:8") == {}
        assert db.session.scalar(sa.select(sa.func.count(ResponseDraft.id))) == 1


def test_sending_holds_the_writers_lock_for_a_few_statements(app, staff, kocho, frozen):
    """What runs while the writers' lock is held (SQLite) or the rows are locked: the token's
    check, the survey read again, the response, and its answers in one statement; never the
    questions again (they were read and checked before)."""
    with app.app_context():
        survey_id = open_survey(staff.id, kocho.id)
        granted = services.access_for(survey(survey_id), None, None)
        answers = full_answers(survey_id)
        found = survey(survey_id)
        assert len(found.questions) == 8  # read and checked before the write, as a request does
        with count_statements() as statements:
            services.submit_response(found, granted, answers, "one-send")
        stored = db.session.scalar(
            sa.select(sa.func.count(Answer.id))
            .join(Response, Response.id == Answer.response_id)
            .where(Response.submission_token == "one-send")
        )
    assert stored == 10  # eight questions, two choices of the multiple and two matrix rows
    written = [
        s.split("(")[0].strip() for s in statements if s.lstrip().upper().startswith("INSERT")
    ]
    assert written.count("INSERT INTO answer") == 1
    # The write turn begins with the token's check (after BEGIN IMMEDIATE on SQLite).
    turn = statements[next(i for i, s in enumerate(statements) if "FROM response" in s) :]
    assert not any("FROM question" in s for s in turn)
    assert len(turn) == 4  # the token, the survey, the response, its answers
