"""The state changes of a voice through the services: routing and re-routing, duplicates and
repeats, the answer's draft, return and approval (once, also when two approve at once),
publication with its history and privacy check, the follow-up question and reminders (each
once), anonymous voices, and who may do what."""

from __future__ import annotations

import email
import email.policy
from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from app.core.audit import AuditEntry
from app.core.mail import OutboxMessage, build_email
from app.extensions import db
from app.voice import services
from app.voice.models import (
    AnswerState,
    AnswerTemplate,
    FollowUpAnswer,
    Reflection,
    ReplyBy,
    ResponseKind,
    Voice,
    VoiceAnswer,
    VoiceFollowUp,
    VoiceKind,
    VoicePublication,
    VoiceRoute,
    VoiceStatus,
)
from tests.conftest import run_at_once, run_cli
from tests.voice.conftest import SENDER, department_id, make_department, make_voice, user


@pytest.fixture
def people(app, plan, make_user, frozen):
    """広聴課, two divisions (with a second member each, who are mailed too) and a citizen."""
    frozen.set_jst(date(2026, 12, 1), time(10, 0))
    return SimpleNamespace(
        kocho=make_user("staff", "kocho").id,
        kikaku=make_user("staff", "kikaku").id,
        kikaku2=make_user("staff", "kikaku").id,
        kyodo=make_user("staff", "shimin-kyodo").id,
        somu=make_user("staff", "somu").id,
        citizen=make_user("citizen").id,
    )


def _department(app, code):
    with app.app_context():
        return department_id(code)


def _mails(to=None):
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        stmt = stmt.where(OutboxMessage.recipient == to)
    return db.session.scalars(stmt).all()


def _parsed(message):
    parsed = email.message_from_bytes(build_email(message).as_bytes(), policy=email.policy.default)
    assert parsed.defects == []
    return parsed["Subject"], parsed.get_body(("plain",)).get_content()


def _routed(app, people, **voice):
    """A voice routed to 企画課 (lead); the receipt mail is cleared from the outbox."""
    voice_id = make_voice(app, **voice)
    with app.app_context():
        services.route(
            user(people.kocho),
            db.session.get(Voice, voice_id),
            [department_id("kikaku")],
            department_id("kikaku"),
        )
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
    return voice_id


def _answered(app, people, submit=True, **voice):
    voice_id = _routed(app, people, **voice)
    with app.app_context():
        answer = services.draft_answer(
            user(people.kikaku),
            db.session.get(Voice, voice_id),
            "照明の増設を来年度予算で検討します。",
            ResponseKind.REFLECTED,
            Reflection.PLANNED,
            submit=submit,
        )
        return voice_id, answer.id


def _approve(app, people, answer_id, who="kocho"):
    with app.app_context():
        services.approve_answer(user(getattr(people, who)), db.session.get(VoiceAnswer, answer_id))


# Routing ----------------------------------------------------------------------------------


def test_routing_and_re_routing_are_recorded_and_mailed(app, people):
    voice_id = make_voice(app)
    kikaku, kyodo, somu = (
        _department(app, "kikaku"),
        _department(app, "shimin-kyodo"),
        _department(app, "somu"),
    )
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        voice = db.session.get(Voice, voice_id)
        services.route(user(people.kocho), voice, [kikaku, kyodo], kikaku, "公園の管理")
        voice = db.session.get(Voice, voice_id)
        assert voice.status == VoiceStatus.ROUTED
        assert voice.department_id == kikaku
        assert services.routed_department_ids(voice) == {kikaku, kyodo}
        # Each newly routed division's staff: two at 企画課, one at 市民協働課.
        recipients = sorted(m.recipient for m in _mails())
        assert recipients == sorted(
            user(i).email for i in (people.kikaku, people.kikaku2, people.kyodo)
        )
        subject, body = _parsed(_mails()[0])
        assert voice.receipt_code in subject and voice.title in body
        assert f"/staff/voice/{voice_id}" in body
        for marker in (SENDER["name"], SENDER["email"], SENDER["phone"], voice.body):
            assert marker not in body and marker not in subject

        # The lead moves to 市民協働課 and 企画課 stays as a division: recorded as a new route.
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        services.route(user(people.kocho), voice, [kikaku, kyodo], kyodo, "主担当の変更")
        assert _mails() == []  # nobody newly routed
        voice = db.session.get(Voice, voice_id)
        assert voice.department_id == kyodo

        # Re-routed to 総務課 alone: the others' routes end, with who, when and why.
        services.route(user(people.kocho), voice, [somu], somu, "所管は総務課")
        routes = db.session.scalars(sa.select(VoiceRoute).order_by(VoiceRoute.id)).all()
        assert [(r.department_id, r.lead, r.ended_at is None) for r in routes] == [
            (kikaku, True, False),
            (kyodo, False, False),
            (kikaku, False, False),
            (kyodo, True, False),
            (somu, True, True),
        ]
        ended = [r for r in routes if r.ended_at is not None]
        assert {r.ended_by_id for r in ended} == {people.kocho}
        assert routes[-2].end_reason == "所管は総務課"
        assert services.routed_department_ids(voice) == {somu}
        assert [m.recipient for m in _mails()] == [user(people.somu).email]
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "voice.route")
            )
            == 3
        )


def test_routing_is_refused_with_reasons(app, people):
    voice_id = make_voice(app)
    kikaku = _department(app, "kikaku")
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        with pytest.raises(services.VoiceError) as refused:
            services.route(user(people.kocho), voice, [], kikaku)
        assert refused.value.field == "department_ids"
        with pytest.raises(services.VoiceError) as refused:
            services.route(user(people.kocho), voice, [kikaku], department_id("somu"))
        assert refused.value.field == "lead_id"
        with pytest.raises(services.VoiceError) as refused:
            services.route(user(people.kocho), voice, [kikaku, 999_999], kikaku)
        assert refused.value.field == "department_ids"
        assert db.session.get(Voice, voice_id).status == VoiceStatus.RECEIVED


def test_only_koho_routes_classifies_and_marks(app, people):
    first, second = make_voice(app), make_voice(app)
    with app.app_context():
        voice, other = db.session.get(Voice, first), db.session.get(Voice, second)
        division = user(people.kikaku)
        refusals = [
            lambda: services.route(
                division, voice, [division.department_id], division.department_id
            ),
            lambda: services.mark_duplicate(division, other, voice, "同じ内容"),
            lambda: services.mark_repeat(division, other, voice),
            lambda: services.set_classification(
                division, voice, VoiceKind.COMPLAINT, voice.initiative_id, None, False
            ),
            lambda: services.publish(division, voice, "題", "要旨", "考え方"),
            lambda: services.withdraw(division, voice, "理由"),
        ]
        for refused_change in refusals:
            with pytest.raises(services.VoicePermissionError) as refused:
                refused_change()
            # The views answer 403; one left uncaught is a 403 page, not a 500.
            assert isinstance(refused.value, Forbidden) and refused.value.code == 403
            assert isinstance(refused.value, services.VoiceError)
        voice = db.session.get(Voice, first)
        assert voice.status == VoiceStatus.RECEIVED and voice.kind == VoiceKind.REQUEST
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action.like("voice.%"))
            )
            == 0
        )


def test_classification_is_corrected_and_audited(app, people):
    voice_id = make_voice(app)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        from app.plan.services import initiative_id

        three = initiative_id(3)
        services.set_classification(
            user(people.kocho), voice, VoiceKind.COMPLAINT, three, None, True
        )
        voice = db.session.get(Voice, voice_id)
        assert (voice.kind, voice.initiative_id, voice.to_mayor) == (
            VoiceKind.COMPLAINT,
            three,
            True,
        )
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "voice.classify")
        )
        assert entry.before["kind"] == "request" and entry.after["kind"] == "complaint"


# Duplicates and repeats -------------------------------------------------------------------


def test_a_duplicate_is_closed_and_points_at_the_original(app, people):
    original, copy, third = make_voice(app), make_voice(app), make_voice(app)
    with app.app_context():
        kocho = user(people.kocho)
        get = lambda voice_id: db.session.get(Voice, voice_id)  # noqa: E731
        with pytest.raises(services.VoiceError) as refused:
            services.mark_duplicate(kocho, get(copy), get(copy), "同じ")
        assert refused.value.field == "duplicate_of"
        with pytest.raises(services.VoiceError) as refused:
            services.mark_duplicate(kocho, get(copy), get(original), " ")
        assert refused.value.field == "reason"
        services.mark_duplicate(kocho, get(copy), get(original), "同じ内容を2度送信")
        voice = get(copy)
        assert voice.status == VoiceStatus.DUPLICATE
        assert voice.duplicate_of_id == original and voice.closed_at is not None
        assert not voice.is_open
        # Not a duplicate of a duplicate, and the original cannot become one.
        with pytest.raises(services.VoiceError, match=voice.receipt_code):
            services.mark_duplicate(kocho, get(third), get(copy), "同じ")
        with pytest.raises(services.VoiceError):
            services.mark_duplicate(kocho, get(original), get(third), "同じ")
        # A duplicate, closed, is not marked again.
        with pytest.raises(services.VoiceError):
            services.mark_duplicate(kocho, get(copy), get(third), "同じ")
        assert get(original).status == VoiceStatus.RECEIVED
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "voice.duplicate")
        )
        assert entry.after == {"status": "duplicate", "duplicate_of_id": original}


def test_a_repeat_stays_open_and_points_at_the_first(app, people):
    first, second, third = make_voice(app), make_voice(app), make_voice(app)
    with app.app_context():
        kocho = user(people.kocho)
        get = lambda voice_id: db.session.get(Voice, voice_id)  # noqa: E731
        services.mark_repeat(kocho, get(second), get(first))
        services.mark_repeat(kocho, get(third), get(second))  # the series' first is kept
        assert get(second).repeat_of_id == first and get(third).repeat_of_id == first
        assert get(second).is_open
        with pytest.raises(services.VoiceError):
            services.mark_repeat(kocho, get(first), get(second))  # would make a loop
        with pytest.raises(services.VoiceError):
            services.mark_repeat(kocho, get(first), get(first))


# The answer -------------------------------------------------------------------------------


def test_only_the_lead_division_drafts(app, people):
    voice_id = make_voice(app)
    kikaku, kyodo = _department(app, "kikaku"), _department(app, "shimin-kyodo")
    with app.app_context():
        services.route(user(people.kocho), db.session.get(Voice, voice_id), [kikaku, kyodo], kikaku)
        voice = db.session.get(Voice, voice_id)
        for outsider in (people.kyodo, people.somu, people.citizen):
            with pytest.raises(services.VoicePermissionError):
                services.draft_answer(user(outsider), voice, "回答", ResponseKind.EXPLAINED)
            with pytest.raises(services.VoicePermissionError):
                services.send_interim(user(outsider), voice, "調査中", date(2027, 1, 10))
        assert db.session.scalar(sa.select(sa.func.count(VoiceAnswer.id))) == 0
        # 広聴課 may stand in for the division.
        services.draft_answer(user(people.kocho), voice, "回答", ResponseKind.EXPLAINED)
        assert db.session.scalar(sa.select(sa.func.count(VoiceAnswer.id))) == 1


def test_draft_submit_return_and_approve(app, people):
    voice_id, answer_id = _answered(app, people, submit=False)
    with app.app_context():
        division = user(people.kikaku)
        voice = db.session.get(Voice, voice_id)
        # Saving again saves over the one open draft.
        again = services.draft_answer(
            division, voice, "改訂した回答です。", ResponseKind.EXPLAINED, submit=True
        )
        assert again.id == answer_id
        voice = db.session.get(Voice, voice_id)
        assert voice.status == VoiceStatus.IN_APPROVAL
        with pytest.raises(services.VoiceError):
            services.draft_answer(division, voice, "三つ目", ResponseKind.EXPLAINED)
        # A division cannot approve its own answer.
        with pytest.raises(services.VoicePermissionError):
            services.approve_answer(division, db.session.get(VoiceAnswer, answer_id))
        with pytest.raises(services.VoiceError) as refused:
            services.return_answer(user(people.kocho), db.session.get(VoiceAnswer, answer_id), "")
        assert refused.value.field == "note"
        services.return_answer(
            user(people.kocho),
            db.session.get(VoiceAnswer, answer_id),
            "費用の見込みを書いてください",
        )
        returned = db.session.get(VoiceAnswer, answer_id)
        assert returned.state == AnswerState.RETURNED
        assert returned.decision_note == "費用の見込みを書いてください"
        assert returned.decided_by_id == people.kocho
        voice = db.session.get(Voice, voice_id)
        assert voice.status == VoiceStatus.ROUTED
        # The next draft is a new row; the returned one is kept as it was.
        second = services.draft_answer(
            division,
            voice,
            "費用は約200万円の見込みです。",
            ResponseKind.DONE,
            Reflection.REFLECTED,
            True,
        )
        assert second.id != answer_id
        assert db.session.get(VoiceAnswer, answer_id).body == "改訂した回答です。"
        second_id = second.id
    _approve(app, people, second_id)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert voice.status == VoiceStatus.CLOSED
        assert voice.answer_body == "費用は約200万円の見込みです。"
        assert voice.response_kind == ResponseKind.DONE
        assert voice.reflection == Reflection.REFLECTED
        assert voice.reflection_on == date(2026, 12, 1)
        assert voice.answered_at is not None and voice.closed_at is not None
        assert db.session.get(VoiceAnswer, second_id).state == AnswerState.APPROVED
        (mail,) = _mails()
        assert mail.recipient == SENDER["email"]
        subject, body = _parsed(mail)
        assert voice.receipt_code in subject
        assert "費用は約200万円の見込みです。" in body
        assert "/voice/status/" in body
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.object_id == str(voice_id))
        ).all()
        assert {
            "voice.route",
            "voice.draft_answer",
            "voice.submit_answer",
            "voice.return_answer",
            "voice.approve_answer",
        } <= set(actions)


def test_approving_twice_closes_once_and_mails_once(app, people):
    voice_id, answer_id = _answered(app, people)
    _approve(app, people, answer_id)
    with app.app_context():
        closed_at = db.session.get(Voice, voice_id).closed_at
    with pytest.raises(services.VoiceError, match="既に決裁済み"):
        _approve(app, people, answer_id)
    with app.app_context():
        assert db.session.get(Voice, voice_id).closed_at == closed_at
        assert len(_mails()) == 1


def test_two_approvers_at_once_close_once_and_mail_once(app, people, make_user):
    voice_id, answer_id = _answered(app, people)
    second_approver = make_user("staff", "kocho").id

    def approve(number, go):
        with app.app_context():
            actor = user((people.kocho, second_approver)[number])
            answer = db.session.get(VoiceAnswer, answer_id)
            answer.voice  # loaded before the race, as a view would  # noqa: B018
            go()
            try:
                services.approve_answer(actor, answer)
            except services.VoiceError as refused:
                db.session.rollback()
                return str(refused)
            return "approved"

    outcomes = run_at_once(2, approve)
    assert sorted(outcomes) == ["approved", "この回答は既に決裁済みです。"]
    with app.app_context():
        assert len(_mails()) == 1
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(
                    AuditEntry.action == "voice.approve_answer"
                )
            )
            == 1
        )
        assert db.session.get(Voice, voice_id).status == VoiceStatus.CLOSED


def test_a_reply_by_post_is_closed_without_mail(app, people):
    voice_id, answer_id = _answered(
        app, people, reply_by=ReplyBy.POST, email="", postal_address=SENDER["postal_address"]
    )
    _approve(app, people, answer_id)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert voice.status == VoiceStatus.CLOSED and voice.answered_at is not None
        assert _mails() == []


def test_an_anonymous_voice_is_never_answered(app, people):
    voice_id = _routed(app, people, reply_by=ReplyBy.NONE, name="", email="", phone="")
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert not voice.overdue(date(2027, 12, 1))
        with pytest.raises(services.VoiceError):
            services.send_interim(user(people.kikaku), voice, "調査中", date(2027, 1, 20))
        answer = services.draft_answer(
            user(people.kikaku),
            voice,
            "現地を確認し、照明を1基増設した。",
            ResponseKind.DONE,
            submit=True,
        )
        answer_id = answer.id
    _approve(app, people, answer_id)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        assert voice.status == VoiceStatus.CLOSED and voice.closed_at is not None
        assert voice.response_kind == ResponseKind.DONE
        assert voice.answered_at is None  # nobody was answered
        assert _mails() == []
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_letter_to_the_mayor_is_approved_by_the_mayors_office(app, people, make_user):
    with app.app_context():
        make_department("hisho", "秘書課")
    mayor_office = make_user("staff", "hisho").id
    voice_id, answer_id = _answered(app, people, to_mayor=True)
    with pytest.raises(services.VoicePermissionError, match="秘書課"):
        _approve(app, people, answer_id, "kocho")
    with app.app_context():
        services.approve_answer(user(mayor_office), db.session.get(VoiceAnswer, answer_id))
        assert db.session.get(Voice, voice_id).status == VoiceStatus.CLOSED


def test_reflection_is_followed_up_with_its_date(app, people, frozen):
    voice_id, answer_id = _answered(app, people)
    _approve(app, people, answer_id)
    frozen.set_jst(date(2027, 6, 1), time(10, 0))
    with app.app_context():
        division = user(people.kikaku)
        with pytest.raises(services.VoiceError) as refused:
            services.record_follow_up(
                division,
                db.session.get(Voice, voice_id),
                Reflection.REFLECTED,
                "",
                date(2027, 6, 2),
            )
        assert refused.value.field == "noted_on"
        services.record_follow_up(
            division,
            db.session.get(Voice, voice_id),
            Reflection.REFLECTED,
            "照明を3基増設",
            date(2027, 5, 20),
        )
        # An update dated earlier joins the history without replacing the latest.
        services.record_follow_up(
            division,
            db.session.get(Voice, voice_id),
            Reflection.PLANNED,
            "予算化",
            date(2027, 2, 1),
        )
        voice = db.session.get(Voice, voice_id)
        assert (voice.reflection, voice.reflection_on) == (Reflection.REFLECTED, date(2027, 5, 20))
        assert voice.reflection_note == "照明を3基増設"
        assert db.session.scalar(sa.select(sa.func.count(VoiceFollowUp.id))) == 2
        with pytest.raises(services.VoicePermissionError):
            services.record_follow_up(
                user(people.somu), voice, Reflection.REFLECTED, "", date(2027, 5, 1)
            )
    open_voice = make_voice(app)
    with app.app_context(), pytest.raises(services.VoiceError):
        services.record_follow_up(
            user(people.kocho),
            db.session.get(Voice, open_voice),
            Reflection.PLANNED,
            "",
            date(2027, 5, 1),
        )


# Publication ------------------------------------------------------------------------------

SUMMARY = {
    "public_title": "公園の夜間照明について",
    "public_summary": "夜の公園が暗いので照明を増やしてほしい。",
    "public_view": "来年度に照明を増設します。",
}


def test_publish_withdraw_and_publish_again_keep_the_history(app, people, frozen):
    voice_id, answer_id = _answered(app, people)
    with app.app_context(), pytest.raises(services.VoiceError, match="対応を終了"):
        services.publish(user(people.kocho), db.session.get(Voice, voice_id), **SUMMARY)
    _approve(app, people, answer_id)
    with app.app_context():
        kocho = user(people.kocho)
        get = lambda: db.session.get(Voice, voice_id)  # noqa: E731
        for name in SUMMARY:
            with pytest.raises(services.VoiceError) as refused:
                services.publish(kocho, get(), **{**SUMMARY, name: "  "})
            assert refused.value.field == name
        services.publish(kocho, get(), **SUMMARY)
        voice = get()
        assert voice.is_published and voice.public_title == SUMMARY["public_title"]
        with pytest.raises(services.VoiceError, match="取り下げ"):
            services.publish(kocho, get(), **SUMMARY)
        with pytest.raises(services.VoiceError) as refused:
            services.withdraw(kocho, get(), "")
        assert refused.value.field == "reason"
        frozen.set_jst(date(2026, 12, 20), time(10, 0))
        services.withdraw(kocho, get(), "地名から個人が特定できるため")
        voice = get()
        assert not voice.is_published and voice.published_at is None
        assert voice.public_summary == SUMMARY["public_summary"]  # kept until republished
        with pytest.raises(services.VoiceError):
            services.withdraw(kocho, get(), "もう一度")
        corrected = {**SUMMARY, "public_summary": "夜の公園が暗いとのご意見。"}
        services.publish(kocho, get(), **corrected)
        voice = get()
        assert voice.is_published and voice.public_summary == corrected["public_summary"]
        history = db.session.scalars(
            sa.select(VoicePublication).order_by(VoicePublication.id)
        ).all()
        assert [p.public_summary for p in history] == [
            SUMMARY["public_summary"],
            corrected["public_summary"],
        ]
        assert history[0].withdrawn_at is not None and history[0].withdrawn_by_id == people.kocho
        assert history[0].withdraw_reason == "地名から個人が特定できるため"
        assert history[1].withdrawn_at is None
        assert voice.published_at == history[1].published_at
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action.like("voice.%publish%"))
        ).all()
        assert actions == ["voice.publish", "voice.publish"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("public_summary", f"{SENDER['name']}さんからのご意見。"),
        ("public_summary", "匿名希望 太郎さんから"),  # spaced differently
        ("public_view", f"連絡先 {SENDER['email'].upper()} へ回答済み"),
        ("public_view", "電話０９６０００９９９９で回答"),  # full width, without hyphens
        ("public_title", "熊本市中央区 千葉城町９－９９－MARKER"),  # spaced, full width
        ("public_summary", f"{SENDER['postal_address']}付近"),
        ("public_summary", f"{SENDER['school_district']}の公園"),
    ],
)
def test_publication_refuses_what_identifies_the_sender(app, people, name, text):
    voice_id, answer_id = _answered(app, people, postal_address=SENDER["postal_address"])
    _approve(app, people, answer_id)
    with app.app_context(), pytest.raises(services.VoiceError) as refused:
        services.publish(
            user(people.kocho), db.session.get(Voice, voice_id), **{**SUMMARY, name: text}
        )
    assert refused.value.field == name
    # The message the city asked for, in the Japanese the services speak outside a page.
    assert "送り主を特定できる記述" in str(refused.value)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(VoicePublication.id))) == 0


def test_no_publication_without_consent(app, people):
    voice_id, answer_id = _answered(app, people, consent_to_publish=False)
    _approve(app, people, answer_id)
    with app.app_context(), pytest.raises(services.VoiceError, match="同意"):
        services.publish(user(people.kocho), db.session.get(Voice, voice_id), **SUMMARY)


# The follow-up question and reminders ----------------------------------------------------


def test_the_follow_up_question_is_sent_once_and_answered_once(app, people, frozen):
    voice_id, answer_id = _answered(app, people, follow_up_wanted=True)
    not_wanted, other_answer = _answered(app, people)
    _approve(app, people, answer_id)
    _approve(app, people, other_answer)
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        frozen.set(frozen.now + timedelta(days=27))
        assert services.send_follow_ups() == 0
        frozen.set(frozen.now + timedelta(days=1))
        assert services.send_follow_ups() == 1
        assert services.send_follow_ups() == 0
        (mail,) = _mails()
        assert mail.recipient == SENDER["email"]
        _subject, body = _parsed(mail)
        token = body.split("/voice/follow-up/")[1].split()[0]
        voice = db.session.get(Voice, voice_id)
        assert voice.follow_up_sent_at is not None
        assert voice.follow_up_token_hash and token not in voice.follow_up_token_hash
        assert db.session.get(Voice, not_wanted).follow_up_sent_at is None
        assert services.voice_by_follow_up_token(token).id == voice_id
        with pytest.raises(services.VoiceError):
            services.answer_follow_up(token + "x", FollowUpAnswer.HELPED)
        services.answer_follow_up(token, FollowUpAnswer.PARTLY)
        with pytest.raises(services.VoiceError, match="既にお答え"):
            services.answer_follow_up(token, FollowUpAnswer.HELPED)
        voice = db.session.get(Voice, voice_id)
        assert voice.follow_up_answer == FollowUpAnswer.PARTLY
        assert voice.follow_up_answered_at is not None


def test_reminders_go_once_to_the_lead_division(app, people, frozen):
    soon = _routed(app, people)  # due 15 Dec
    anonymous = _routed(app, people, reply_by=ReplyBy.NONE, name="", email="")
    frozen.set_jst(date(2026, 12, 8), time(10, 0))
    later = _routed(app, people)  # due 22 Dec
    frozen.set_jst(date(2026, 12, 12), time(6, 0))  # 15 Dec is within 3 days
    with app.app_context():
        assert services.send_reminders() == 1
        assert services.send_reminders() == 0
        recipients = sorted(m.recipient for m in _mails())
        assert recipients == sorted(user(i).email for i in (people.kikaku, people.kikaku2))
        _subject, body = _parsed(_mails()[0])
        voice = db.session.get(Voice, soon)
        assert voice.receipt_code in body and SENDER["name"] not in body
        assert voice.reminded_at is not None
        assert db.session.get(Voice, anonymous).reminded_at is None
        assert db.session.get(Voice, later).reminded_at is None
    # An interim answer moves the date and lets the division be reminded again before it.
    with app.app_context():
        services.send_interim(
            user(people.kikaku), db.session.get(Voice, soon), "現地調査中", date(2026, 12, 25)
        )
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        frozen.set_jst(date(2026, 12, 19), time(6, 0))
        assert services.send_reminders() == 1  # `later`, due 22 Dec
        frozen.set_jst(date(2026, 12, 23), time(6, 0))
        assert services.send_reminders() == 1  # `soon` again, now expected on 25 Dec
        assert services.send_reminders() == 0


def test_two_cron_runners_remind_once(app, people, frozen):
    for _ in range(3):
        _routed(app, people)
    frozen.set_jst(date(2026, 12, 14), time(6, 0))

    def runner(_number, go):
        with app.app_context():
            go()
            return services.send_reminders()

    assert sorted(run_at_once(2, runner)) in ([0, 3], [1, 2])
    with app.app_context():
        # One digest per staff member per run that found voices; every voice in exactly one.
        bodies = [_parsed(m)[1] for m in _mails(user(people.kikaku).email)]
        codes = db.session.scalars(sa.select(Voice.receipt_code)).all()
        assert sorted(code for code in codes for body in bodies if code in body) == sorted(codes)


def test_the_daily_command_sends_both(app, people, frozen, capsys):
    _routed(app, people)
    frozen.set_jst(date(2026, 12, 14), time(6, 0))
    run_cli(app, "voice", "remind")
    assert "1 reminders, 0 follow-up questions queued" in capsys.readouterr().out


# Templates --------------------------------------------------------------------------------


def test_answer_templates_belong_to_a_division_or_everyone(app, people):
    kikaku = _department(app, "kikaku")
    with app.app_context():
        own = services.save_template(
            user(people.kikaku),
            None,
            title="予算の検討",
            body="来年度予算で検討します。",
            department_id=kikaku,
            response_kind=ResponseKind.NOTED,
        )
        assert own.department_id == kikaku
        with pytest.raises(services.VoicePermissionError):
            services.save_template(user(people.somu), own, title="奪う", body="x")
        with pytest.raises(services.VoicePermissionError):
            services.save_template(
                user(people.kikaku), None, title="共通", body="x", department_id=None
            )
        with pytest.raises(services.VoiceError) as refused:
            services.save_template(user(people.kikaku), own, title=" ")
        assert refused.value.field == "title"
        shared = services.save_template(
            user(people.kocho),
            None,
            title="お礼",
            body="ご意見ありがとうございます。",
            department_id=None,
        )
        assert shared.department_id is None
        services.save_template(user(people.kocho), own, body="改訂")
        assert db.session.get(AnswerTemplate, own.id).body == "改訂"
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "voice.template")
            )
            == 3
        )
