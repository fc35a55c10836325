"""Drafting and review: bad input is refused with a clear message and field, nothing written;
only the division and 広聴課 may act."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core import clock
from app.core.audit import AuditEntry
from app.extensions import db
from app.surveys import services
from app.surveys.models import Audience, Question, Survey, SurveyStatus
from tests.surveys.conftest import make_survey, question_ids, survey, user


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title_ja": " "}, "title_ja", "アンケートの題名を日本語で入力してください。"),
        ({"closes_at": "opens"}, "closes_at", "締切日時は受付開始日時より後にしてください。"),
        (
            {"audience": Audience.PANEL},
            "panel_term_id",
            "回答を依頼する市民委員会の期を選んでください。",
        ),
        (
            {"audience": Audience.PARTICIPANTS},
            "session_ids",
            "回答を依頼する参加者の会を選んでください。",
        ),
    ],
)
def test_a_bad_survey_is_refused_and_nothing_written(app, staff, frozen, fields, field, message):
    with app.app_context():
        now = clock.now()
        values = {
            "title_ja": "アンケート",
            "audience": Audience.ANYONE,
            "opens_at": now,
            "closes_at": now + timedelta(days=7),
            **fields,
        }
        if values["closes_at"] == "opens":
            values["closes_at"] = now
        with pytest.raises(services.SurveyError) as refused:
            services.save_survey(user(staff.id), None, **values)
        assert (refused.value.field, str(refused.value)) == (field, message)
        assert _count(Survey) == 0
        assert not db.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action.like("surveys.%"))
        )


def test_messages_are_in_english_for_an_english_page(app, staff, frozen):
    with (
        app.app_context(),
        force_locale("en"),
        pytest.raises(services.SurveyError, match=r"^Give the survey a title in Japanese\.$"),
    ):
        services.save_survey(
            user(staff.id), None, title_ja="", opens_at=clock.now(), closes_at=clock.now()
        )


def test_bad_questions_are_refused(app, staff, frozen):
    with app.app_context():
        survey_id = make_survey(staff.id)
        ids = question_ids(survey_id)
        before = _count(Question)
        cases = [
            ({"kind": "single", "text_ja": "Q", "options": ["一つだけ"]}, "options"),
            ({"kind": "matrix", "text_ja": "Q", "rows": []}, "rows"),
            ({"kind": "scale", "text_ja": ""}, "text_ja"),
            (
                {
                    "kind": "scale",
                    "text_ja": "Q",
                    "condition_question_id": ids[4],
                    "condition_options": [0],
                },
                "condition_question_id",
            ),
            (
                {
                    "kind": "scale",
                    "text_ja": "Q",
                    "condition_question_id": ids[0],
                    "condition_options": [5],
                },
                "condition_options",
            ),
        ]
        for fields, field in cases:
            with pytest.raises(services.SurveyError) as refused:
                services.save_question(user(staff.id), survey(survey_id), None, **fields)
            assert refused.value.field == field
        assert _count(Question) == before
        # A question cannot move above the one its condition is on.
        with pytest.raises(services.SurveyError, match="表示条件にしている質問より後"):
            services.move_question(user(staff.id), db.session.get(Question, ids[2]), -1)
        # Removing a question removes the conditions on it.
        services.remove_question(user(staff.id), db.session.get(Question, ids[1]))
        assert db.session.get(Question, ids[2]).condition_question_id is None


def test_review_needs_questions_kocho_and_a_note_to_return(app, staff, kocho, make_user, frozen):
    other = make_user("staff", "somu")
    with app.app_context():
        empty = make_survey(staff.id, questions=[])
        with pytest.raises(services.SurveyError, match="質問を1つ以上"):
            services.submit_for_review(user(staff.id), survey(empty))
        survey_id = make_survey(staff.id)
        with pytest.raises(services.SurveyPermissionError):
            services.submit_for_review(user(other.id), survey(survey_id))
        services.submit_for_review(user(staff.id), survey(survey_id))
        with pytest.raises(services.SurveyError, match="変更できるのは下書きのみ"):
            services.save_survey(user(staff.id), survey(survey_id), title_ja="変更")
        with pytest.raises(services.SurveyPermissionError):
            services.approve(user(staff.id), survey(survey_id))
        with pytest.raises(services.SurveyError, match="修正してほしい点"):
            services.return_survey(user(kocho.id), survey(survey_id), " ")
        services.return_survey(user(kocho.id), survey(survey_id), "設問2を見直してください。")
        assert survey(survey_id).status == SurveyStatus.DRAFT
        services.submit_for_review(user(staff.id), survey(survey_id))
        services.approve(user(kocho.id), survey(survey_id))
        assert survey(survey_id).status == SurveyStatus.APPROVED
        with pytest.raises(services.SurveyError, match="締切後に公表"):
            services.publish_results(user(staff.id), survey(survey_id))
        frozen.set(survey(survey_id).closes_at)
        services.publish_results(user(staff.id), survey(survey_id), "施策に反映しました。")
        found = survey(survey_id)
        assert found.status == SurveyStatus.PUBLISHED and found.results_published_at
        services.save_afterwards(user(staff.id), found, "予算に反映しました。", "")
        assert survey(survey_id).afterwards_ja == "予算に反映しました。"
