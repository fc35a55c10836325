"""Participant feedback: offered after a session is held, once, to those who came, by mail with
a one-time link, counted under initiative 18 (19 after a proposals presentation)."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.consultations.models import Consultation
from app.core import clock
from app.core.mail import OutboxMessage
from app.extensions import db
from app.plan.models import Initiative
from app.surveys import services
from app.surveys.models import Invitation, Survey, SurveyKind, SurveyStatus
from tests.conftest import run_cli
from tests.surveys.conftest import department_id, survey

LINK = re.compile(r"http://localhost/surveys/(\d+)\?code=([A-Z0-9]+)")


def test_feedback_is_offered_once_after_the_session_to_those_who_came(
    app, held_session, frozen, capsys
):
    frozen.set(frozen.now - timedelta(hours=2))  # 15:00, the session still on
    with app.app_context():
        assert services.offer_feedback_for_held_sessions() == 0
    frozen.set(frozen.now + timedelta(hours=2))
    run_cli(app, "surveys", "feedback")
    assert "1 feedback questionnaires offered" in capsys.readouterr().out
    run_cli(app, "surveys", "feedback")  # once per session
    with app.app_context():
        made = db.session.scalars(sa.select(Survey)).all()
        assert len(made) == 1
        feedback = made[0]
        assert feedback.kind == SurveyKind.FEEDBACK and feedback.status == SurveyStatus.APPROVED
        assert feedback.session_id == held_session.session_id and feedback.anonymous
        # Named by its consultation and its session, so two 「第1回」 are told apart.
        consultation = db.session.get(Consultation, held_session.consultation_id)
        named = f"{consultation.title_ja} 第1回 まちづくり懇話会"
        assert feedback.title_ja == f"「{named}」参加者アンケート"
        assert db.session.get(Initiative, feedback.initiative_id).number == 18
        assert [q.key for q in feedback.questions] == [
            "heard",
            "clarity",
            "length",
            "glad",
            "again",
            "comment",
        ]
        mails = [
            m
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
            if LINK.search(m.body)
        ]
        assert sorted(m.recipient for m in mails) == sorted(held_session.attended_emails)
        english = next(m for m in mails if m.recipient == "jane@example.jp")
        assert "Thank you for taking part" in english.body
        japanese = next(m for m in mails if m.recipient == "ichiro@example.jp")
        assert "ご参加いただき" in japanese.body and "第1回 まちづくり懇話会" in japanese.body
        survey_id, code = LINK.search(japanese.body).groups()
        assert int(survey_id) == feedback.id
        found = survey(feedback.id)
        granted = services.access_for(found, code, None)
        keys = {q.key: str(q.id) for q in found.questions}
        response, created = services.submit_response(
            found, granted, {keys["clarity"]: "4", keys["glad"]: "5"}, "fb-1"
        )
        assert created and response.invitation_id is None
        assert services.access_for(found, code, None) is None
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Invitation.id)).where(Invitation.used_at.is_not(None))
            )
            == 1
        )
        assert found.closes_at == found.opens_at + timedelta(days=services.FEEDBACK_DAYS)


def test_feedback_after_a_proposals_presentation_counts_under_initiative_19(
    app, held_session, frozen
):
    from app.proposals.models import CallType, ProposalCall

    with app.app_context():
        call = ProposalCall(
            title_ja="協働提案募集",
            call_type=CallType.CITIZEN,
            opens_at=clock.now() - timedelta(days=90),
            closes_at=clock.now() - timedelta(days=30),
            max_contribution=1_000_000,
            initiative_id=db.session.scalar(
                sa.select(Initiative.id).where(Initiative.number == 17)
            ),
            department_id=department_id("shimin-kyodo"),
            fiscal_year=2024,
            presentation_consultation_id=held_session.consultation_id,
        )
        db.session.add(call)
        db.session.commit()
        offered = services.offer_feedback(held_session.session_id)
        assert db.session.get(Initiative, offered.initiative_id).number == 19
        assert services.offer_feedback(held_session.session_id) is None
