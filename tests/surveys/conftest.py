"""Factories for surveys, the citizens' panel and participant feedback, made through the
services as staff would make them. Plain functions take ids and are called inside an app
context (as tests/voice/conftest.py); the fixtures give the accounts and records most tests
start from.

- `make_survey` / `open_survey`: a survey with one question of each kind (ALL_KINDS), drafted
  by a division and, for `open_survey`, approved by 広聴課 and open now.
- `residents_csv` / `make_term`: a resident register extract (deterministic names, five wards
  × seven age bands in given counts) imported into a panel term.
- `held_session` (fixture): a session held yesterday with four registrations, two attended,
  one no-show, one in English, and the clock (frozen) after its end.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.core import clock
from app.core.enums import AgeBand
from app.core.i18n import jst_to_utc
from app.extensions import db

WARDS = ["chuo", "higashi", "nishi", "minami", "kita"]
BANDS = [band.value for band in AgeBand]

# One question of each kind, in order; the second (index 1) shows the third only for its
# first two choices, so conditions are exercised by every survey made here.
ALL_KINDS: list[dict[str, Any]] = [
    {
        "kind": "single",
        "text_ja": "この取組を知っていましたか。",
        "required": True,
        "options": [{"ja": "知っていた", "en": "Yes"}, {"ja": "知らなかった", "en": "No"}],
        "allow_other": True,
    },
    {
        "kind": "multiple",
        "text_ja": "何で知りましたか。（複数選択可）",
        "options": [
            {"ja": "市政だより", "en": "City newsletter"},
            {"ja": "ホームページ", "en": "Web"},
            {"ja": "知人", "en": "Friends"},
        ],
    },
    {
        "kind": "short_text",
        "text_ja": "市政だよりのどの記事でしたか。",
        "required": True,
        "condition": (1, [0, 1]),
    },
    {"kind": "long_text", "text_ja": "ご意見をお書きください。"},
    {"kind": "scale", "text_ja": "満足度を5段階で教えてください。", "required": True},
    {
        "kind": "matrix",
        "text_ja": "次の項目を評価してください。",
        "rows": [{"ja": "わかりやすさ", "en": "Clarity"}, {"ja": "長さ", "en": "Length"}],
    },
    {"kind": "number", "text_ja": "熊本市にお住まいの年数"},
    {"kind": "date", "text_ja": "最後に市役所を訪れた日"},
]


def department_id(code: str) -> int:
    from app.plan.models import Department

    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def ward_id(code: str) -> int:
    from app.plan.models import Ward

    return db.session.scalar(sa.select(Ward.id).where(Ward.code == code))


def user(user_id: int) -> Any:
    """The stored account of a factory user (make_user returns a plain namespace)."""
    from app.accounts.models import User

    return db.session.get(User, user_id)


def survey(survey_id: int) -> Any:
    from app.surveys.models import Survey

    db.session.expire_all()
    return db.session.get(Survey, survey_id)


def question_ids(survey_id: int) -> list[int]:
    """The survey's question ids in order (ALL_KINDS order for the factories' surveys)."""
    from app.surveys.models import Question

    return list(
        db.session.scalars(
            sa.select(Question.id)
            .where(Question.survey_id == survey_id)
            .order_by(Question.position)
        )
    )


def add_questions(actor_id: int, survey_id: int, specs: list[dict[str, Any]]) -> list[int]:
    """Questions through save_question; a spec's "condition": (index of an earlier spec,
    option indexes)."""
    from app.surveys import services

    made: list[int] = []
    for spec in specs:
        fields = {k: v for k, v in spec.items() if k != "condition"}
        if "condition" in spec:
            index, options = spec["condition"]
            fields["condition_question_id"] = made[index]
            fields["condition_options"] = options
        made.append(services.save_question(user(actor_id), survey(survey_id), None, **fields).id)
    return made


def make_survey(
    actor_id: int,
    *,
    audience: str = "anyone",
    anonymous: bool = True,
    questions: list[dict[str, Any]] | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    title: str = "市政に関するアンケート",
    **fields: Any,
) -> int:
    """A draft survey (open from an hour ago for two weeks, once approved) with the
    questions given (ALL_KINDS by default); returns its id."""
    from app.surveys import services
    from app.surveys.models import Audience

    now = clock.now()
    made = services.save_survey(
        user(actor_id),
        None,
        title_ja=title,
        title_en="Survey on city affairs",
        purpose_ja="施策の参考にするためです。",
        audience=Audience(audience),
        anonymous=anonymous,
        opens_at=opens_at or now - timedelta(hours=1),
        closes_at=closes_at or now + timedelta(days=14),
        **fields,
    )
    add_questions(actor_id, made.id, ALL_KINDS if questions is None else questions)
    return made.id


def open_survey(actor_id: int, reviewer_id: int, **kwargs: Any) -> int:
    """A survey drafted, sent for review and approved by 広聴課: open now."""
    from app.surveys import services

    survey_id = make_survey(actor_id, **kwargs)
    services.submit_for_review(user(actor_id), survey(survey_id))
    services.approve(user(reviewer_id), survey(survey_id), "承認します。")
    return survey_id


def full_answers(survey_id: int) -> dict[str, Any]:
    """Answers to every question of an ALL_KINDS survey (the conditional one shown)."""
    ids = question_ids(survey_id)
    return {
        str(ids[0]): "0",
        str(ids[1]): ["0", "2"],
        str(ids[2]): "4月号の特集",
        str(ids[3]): "もっと広く知らせてください。",
        str(ids[4]): "4",
        str(ids[5]): {"0": "5", "1": "3"},
        str(ids[6]): "12",
        str(ids[7]): "2024-09-30",
    }


def answer(survey_id: int, answers: dict[str, Any] | None = None, **access: Any) -> Any:
    """One response through access_for and submit_response (code=…, user=…)."""
    from app.surveys import services

    found = survey(survey_id)
    granted = services.access_for(found, access.get("code"), access.get("user"))
    assert granted is not None, "may not answer"
    response, created = services.submit_response(
        found,
        granted,
        full_answers(survey_id) if answers is None else answers,
        secrets.token_urlsafe(16),
    )
    assert created
    return response


# The panel --------------------------------------------------------------------------------


def residents_csv(
    counts: dict[tuple[str, str], int] | None = None, per_stratum: int = 3, start: int = 1
) -> str:
    """A resident register extract: `counts` {(ward code, age band): n}, or `per_stratum` in
    each of the 35 strata. Columns as the city's extract: 住民番号 (register_ref), 氏名, 郵便番号,
    住所, 区 (ward code), 年齢区分 (age band)."""
    if counts is None:
        counts = {(w, b): per_stratum for w in WARDS for b in BANDS}
    lines = ["register_ref,name,postal_code,address,ward,age_band"]
    number = start
    for (ward, band), count in sorted(counts.items()):
        for _i in range(count):
            lines.append(
                f"R{number:07d},住民 {number}号,860-{number % 10000:04d},"
                f"熊本市{ward}町{number}番地,{ward},{band}"
            )
            number += 1
    return "\n".join(lines) + "\n"


def make_term(
    actor_id: int,
    csv_text: str | None = None,
    target_size: int = 20,
    invite_ratio: float = 2.0,
    name: str = "第1期 2000人市民委員会",
) -> int:
    """A panel term with its resident list imported (35 strata × 3 by default)."""
    from app.surveys import services

    term = services.create_term(
        user(actor_id),
        name_ja=name,
        name_en="Citizens' panel, first term",
        starts_on=clock.today() + timedelta(days=30),
        ends_on=clock.today() + timedelta(days=30 + 730),
        target_size=target_size,
        invite_ratio=invite_ratio,
    )
    services.import_residents(user(actor_id), term, csv_text or residents_csv())
    return term.id


def term(term_id: int) -> Any:
    from app.surveys.models import PanelTerm

    db.session.expire_all()
    return db.session.get(PanelTerm, term_id)


def drawn_term(actor_id: int, seed: str = "kumamoto-2026-panel", **kwargs: Any) -> int:
    """A term with its seed published and drawn (members INVITED)."""
    from app.surveys import services

    term_id = make_term(actor_id, **kwargs)
    services.publish_seed(user(actor_id), term(term_id), seed)
    services.draw(user(actor_id), term(term_id))
    return term_id


def accept_all(term_id: int) -> list[int]:
    """Every invited member accepts with the letter's code; returns the member ids."""
    from app.surveys import services
    from app.surveys.models import MemberState, PanelMember

    members = db.session.scalars(
        sa.select(PanelMember)
        .where(PanelMember.term_id == term_id, PanelMember.state == MemberState.INVITED)
        .order_by(PanelMember.id)
    ).all()
    codes = [(m.id, services.member_code(m)) for m in members]
    for number, (_id, code) in enumerate(codes):
        services.accept(code, email=f"member{number}@example.jp")
    return [member_id for member_id, _code in codes]


# Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def staff(make_user: Any, plan: Any) -> Any:
    """A division's staff member (企画課), who drafts surveys."""
    return make_user("staff", "kikaku")


@pytest.fixture
def kocho(make_user: Any, plan: Any) -> Any:
    """広聴課: approves surveys and runs the panel."""
    return make_user("staff", "kocho")


@pytest.fixture
def held_session(app: Flask, frozen: Any, staff: Any) -> SimpleNamespace:
    """A session yesterday 14:00–16:00 JST with four confirmed registrations (two attended,
    one no-show, one attended in English), attendance kept, the clock now after its end."""
    from app.consultations import services as consultations
    from app.consultations.models import Consultation, Session
    from tests.consultations.factories import make_consultation

    day = date(2024, 10, 10)
    frozen.set_jst(day - timedelta(days=3), time(9, 0))
    with app.app_context():
        consultation_id = make_consultation()
        session = consultations.schedule_session(
            None,
            db.session.get(Consultation, consultation_id),
            title_ja="第1回 まちづくり懇話会",
            title_en="",
            starts_at=jst_to_utc(day, time(14, 0)),
            ends_at=jst_to_utc(day, time(16, 0)),
            venue_id=None,
            online_url="https://meet.example.jp/x",
            capacity=10,
            registration_required=True,
            registration_opens_at=None,
            registration_closes_at=None,
            accommodations=[],
        )
        session_id = session.id
        people = [
            ("参加 一郎", "ichiro@example.jp", "ja", True),
            ("参加 二郎", "jiro@example.jp", "ja", True),
            ("欠席 三郎", "saburo@example.jp", "ja", False),
            ("Jane Smith", "jane@example.jp", "en", True),
        ]
        registrations = []
        for name, email, language, _came in people:
            signed = consultations.register(session_id, name=name, email=email, language=language)
            registrations.append(signed.registration.id)
        consultations.keep_attendance(
            None,
            db.session.get(Session, session_id),
            {rid: came for rid, (*_rest, came) in zip(registrations, people, strict=True)},
            walk_ins=1,
        )
    frozen.set_jst(day, time(17, 0))
    return SimpleNamespace(
        session_id=session_id,
        consultation_id=consultation_id,
        registration_ids=registrations,
        attended_emails=["ichiro@example.jp", "jiro@example.jp", "jane@example.jp"],
        day=day,
    )
