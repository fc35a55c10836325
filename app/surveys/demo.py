"""Demo surveys for `flask demo load`: the citizens' panel (2000人市民委員会) and its results.

- A resident register extract of 18,000 residents aged 18 and over across the five wards and
  the age bands in Kumamoto's proportions, generated deterministically and imported through
  the services; the seed published, the stratified draw (8.5 invitations per member wanted,
  as 18,160 for 2,124); about 2,100 accept, the older more often (written in bulk: the same
  columns `services.accept` writes, without 2,000 welcome mails).
- Two quarterly surveys of the panel drafted by 広聴課, approved (their invitations created and
  mailed by the services), answered by a share of the members that grows with age as in
  Yokohama's e-panel (19 % of the young to 64 % of those over 70; answers written in bulk as
  `services.submit_response` writes anonymous ones: no link, the day only, the member's
  strata), some free answers redacted, the results published with 「その後」.
- Participant feedback after every held session of the demo, offered through the services at
  the session's end and answered by most participants through their one-time codes.

Idempotent: a second run finds the term and the surveys and adds nothing. Under the test
suite a tenth of the residents (SURVEYS_DEMO_RESIDENTS), since many tests load the demo."""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.core import clock
from app.core.enums import AgeBand
from app.extensions import db

RESIDENTS = 18_000
TESTING_RESIDENTS = 1_800
TERM_NAME = "第1期 熊本市2000人市民委員会"
SEED = "demo-panel-2026"
TOKEN_PREFIX = "demo-survey-"
COORDINATOR = "kocho@demo.sankaku.jp"
# Kumamoto's wards and its adults by age, roughly (住民基本台帳).
WARD_SHARES = {"chuo": 26, "higashi": 26, "nishi": 13, "minami": 18, "kita": 17}
BAND_SHARES = {
    "under_20": 3,
    "20s": 13,
    "30s": 14,
    "40s": 17,
    "50s": 16,
    "60s": 15,
    "70_plus": 22,
}
# Who accepts the invitation, and who answers a survey, by age (Yokohama: 19 % to 64 %).
ACCEPTS = {
    "under_20": 0.06,
    "20s": 0.07,
    "30s": 0.09,
    "40s": 0.12,
    "50s": 0.14,
    "60s": 0.17,
    "70_plus": 0.16,
}
ANSWERS = {
    "under_20": 0.19,
    "20s": 0.25,
    "30s": 0.33,
    "40s": 0.40,
    "50s": 0.48,
    "60s": 0.56,
    "70_plus": 0.64,
}
SURNAMES = ["田中", "山本", "中村", "小林", "松本", "井上", "木村", "林", "坂本", "緒方"]
GIVEN = ["一郎", "花子", "健", "美香", "大輔", "さくら", "翔", "由美", "誠", "陽子"]
COMMENTS = [
    "市政だよりをもっと読みやすくしてほしい。",
    "市政だよりを、もっと読みやすくしてほしいです。",
    "夜や休日にも参加できる説明会を開いてほしい。",
    "夜や休日にも参加できる説明会を開いてほしいです。",
    "バスの本数を増やしてほしい。",
    "若い人の意見を聞く機会を増やしてください。",
]

SURVEYS: list[dict[str, Any]] = [
    {
        "title_ja": "市政への参加に関するアンケート（第1回）",
        "title_en": "Citizens' panel survey: taking part in city affairs (1st)",
        "purpose_ja": "市民参画の取組をどのくらいご存じか、どのように情報を得ているかを伺い、"
        "広報の改善に生かします。",
        "opens_days_ago": 150,
        "afterwards_ja": "若い世代の認知度が低いことから、SNSでの発信を始め、"
        "市政だよりの紙面を見直しました。",
        "afterwards_en": "Young people knew least of it: the city started posting on social "
        "media and redesigned the newsletter's pages.",
        "questions": [
            {
                "kind": "single",
                "text_ja": "市が意見を募集していることを知っていましたか。",
                "text_en": "Did you know the city asks for residents' views?",
                "options": [
                    {"ja": "よく知っていた", "en": "Knew well"},
                    {"ja": "少し知っていた", "en": "Knew a little"},
                    {"ja": "知らなかった", "en": "Did not know"},
                ],
                "required": True,
            },
            {
                "kind": "multiple",
                "text_ja": "市の情報を何で得ていますか。（複数回答可）",
                "text_en": "Where do you get the city's news? (choose all that apply)",
                "options": [
                    {"ja": "市政だより", "en": "City newsletter"},
                    {"ja": "市のホームページ", "en": "City website"},
                    {"ja": "SNS", "en": "Social media"},
                    {"ja": "テレビ・新聞", "en": "TV or newspapers"},
                ],
                "allow_other": True,
            },
            {
                "kind": "scale",
                "text_ja": "市政に意見を言いやすいと思いますか。",
                "text_en": "Is it easy to give the city your views?",
                "required": True,
            },
            {
                "kind": "matrix",
                "text_ja": "次の参加の方法を評価してください。",
                "text_en": "Rate these ways of taking part.",
                "rows": [
                    {"ja": "パブリックコメント", "en": "Public comment"},
                    {"ja": "意見交換会", "en": "Consultation meetings"},
                    {"ja": "アンケート", "en": "Surveys"},
                ],
            },
            {
                "kind": "long_text",
                "text_ja": "市政への参加について、ご意見をお書きください。",
                "text_en": "Any comments on taking part in city affairs?",
            },
        ],
    },
    {
        "title_ja": "防災に関するアンケート（第2回）",
        "title_en": "Citizens' panel survey: disaster preparedness (2nd)",
        "purpose_ja": "熊本地震から10年を迎え、家庭での備えの状況を伺い、"
        "防災計画の見直しに生かします。",
        "opens_days_ago": 60,
        "afterwards_ja": "備蓄をしていない世帯が多い地域で、出前講座を増やしました。",
        "afterwards_en": "More home-preparedness talks are held where few households keep "
        "supplies.",
        "questions": [
            {
                "kind": "single",
                "text_ja": "ご家庭で3日分以上の水や食料を備えていますか。",
                "text_en": "Does your household keep three days of water and food?",
                "options": [
                    {"ja": "備えている", "en": "Yes"},
                    {"ja": "一部備えている", "en": "Some"},
                    {"ja": "備えていない", "en": "No"},
                ],
                "required": True,
            },
            {
                "kind": "multiple",
                "text_ja": "避難場所を何で確認しましたか。（複数回答可）",
                "text_en": "How did you check your evacuation site? (choose all that apply)",
                "options": [
                    {"ja": "ハザードマップ", "en": "Hazard map"},
                    {"ja": "地域の防災訓練", "en": "Local drill"},
                    {"ja": "家族・知人", "en": "Family or friends"},
                ],
            },
            {
                "kind": "scale",
                "text_ja": "市の防災情報はわかりやすいと思いますか。",
                "text_en": "Is the city's disaster information clear?",
                "required": True,
            },
            {
                "kind": "number",
                "text_ja": "ご家庭の人数を教えてください。",
                "text_en": "How many people live in your household?",
            },
            {
                "kind": "long_text",
                "text_ja": "防災について市に望むことをお書きください。",
                "text_en": "What should the city do for disaster preparedness?",
            },
        ],
    },
]


def _weighted(rng: random.Random, shares: dict[str, int]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def resident_csv(count: int, seed: int = 22) -> str:
    """The register's extract: `count` residents in the wards' and ages' shares."""
    rng = random.Random(seed)
    lines = ["register_ref,name,postal_code,address,ward,age_band"]
    for number in range(1, count + 1):
        ward = _weighted(rng, WARD_SHARES)
        band = _weighted(rng, BAND_SHARES)
        name = f"{SURNAMES[rng.randrange(10)]} {GIVEN[rng.randrange(10)]}"
        lines.append(
            f"D{number:07d},{name},860-{rng.randrange(10000):04d},"
            f"熊本市{ward}区{number}番地,{ward},{band}"
        )
    return "\n".join(lines) + "\n"


def load_demo() -> None:
    from app.accounts import services as accounts
    from app.surveys.models import PanelTerm

    coordinator = accounts.get_user_by_email(COORDINATOR)
    if coordinator is None:
        return
    now = clock.now()
    rng = random.Random(22)
    term = db.session.scalar(sa.select(PanelTerm).where(PanelTerm.name_ja == TERM_NAME))
    if term is None:
        term = _panel(coordinator, now, rng)
    for spec in SURVEYS:
        _quarterly_survey(coordinator, term, spec, now, rng)
    _feedback(now, rng)


def _panel(coordinator: Any, now: datetime, rng: random.Random) -> Any:
    """The term, its resident list, the published seed, the draw and the acceptances."""
    from app.surveys import services
    from app.surveys.models import MemberState, PanelMember, Resident

    residents = current_app.config.get(
        "SURVEYS_DEMO_RESIDENTS", TESTING_RESIDENTS if current_app.testing else RESIDENTS
    )
    target = max(20, round(residents * 2124 / 18160))
    start = now - timedelta(days=200)
    with clock.running_at(start):
        term = services.create_term(
            coordinator,
            name_ja=TERM_NAME,
            name_en="Kumamoto citizens' panel of 2,000, first term",
            starts_on=clock.today() + timedelta(days=20),
            ends_on=clock.today() + timedelta(days=20 + 730),
            target_size=target,
            invite_ratio=8.5,
        )
        services.import_residents(coordinator, term, resident_csv(residents))
        term.population_source = (
            "住民基本台帳（令和7年4月1日現在）の18歳以上の市民から作成したデモ用の名簿"
        )
        db.session.commit()
        services.publish_seed(coordinator, term, SEED)
    with clock.running_at(start + timedelta(days=2)):
        services.draw(coordinator, term)
    accepted_at = start + timedelta(days=15)
    members = db.session.execute(
        sa.select(PanelMember.id, Resident.age_band)
        .join(Resident, Resident.id == PanelMember.resident_id)
        .where(PanelMember.term_id == term.id)
        .order_by(PanelMember.id)
    ).all()
    changes = []
    for member_id, band in members:
        roll = rng.random()
        if roll < ACCEPTS[band.value]:
            # A quarter give an e-mail address; the others get their surveys by post.
            email = f"panel{member_id}@example.jp" if rng.random() < 0.25 else ""
            changes.append(
                {
                    "id": member_id,
                    "state": MemberState.ACCEPTED,
                    "accepted_at": accepted_at,
                    "email": email,
                }
            )
        elif roll > 0.9:
            changes.append({"id": member_id, "state": MemberState.DECLINED})
    accepted = [c for c in changes if c["state"] == MemberState.ACCEPTED]
    declined = [c for c in changes if c["state"] == MemberState.DECLINED]
    if accepted:
        db.session.execute(sa.update(PanelMember), accepted)
    if declined:
        db.session.execute(sa.update(PanelMember), declined)
    db.session.commit()
    return term


def _quarterly_survey(
    coordinator: Any, term: Any, spec: dict[str, Any], now: datetime, rng: random.Random
) -> None:
    from app.surveys import services
    from app.surveys.models import Audience, Invitation, PanelMember, Survey

    if db.session.scalar(sa.select(Survey.id).where(Survey.title_ja == spec["title_ja"])):
        return
    opens = now - timedelta(days=spec["opens_days_ago"])
    closes = opens + timedelta(days=20)
    with clock.running_at(opens - timedelta(days=3)):
        survey = services.save_survey(
            coordinator,
            None,
            title_ja=spec["title_ja"],
            title_en=spec["title_en"],
            purpose_ja=spec["purpose_ja"],
            audience=Audience.PANEL,
            anonymous=True,
            opens_at=opens,
            closes_at=closes,
            panel_term_id=term.id,
        )
        for question in spec["questions"]:
            services.save_question(coordinator, survey, None, **question)
        services.submit_for_review(coordinator, survey)
        services.approve(coordinator, survey, "内容を確認しました。")
    survey = db.session.get(Survey, survey.id)
    invited = db.session.execute(
        sa.select(Invitation.id, PanelMember.id)
        .join(PanelMember, PanelMember.id == Invitation.panel_member_id)
        .where(Invitation.survey_id == survey.id)
        .order_by(Invitation.id)
    ).all()
    strata = _member_strata(term.id)
    _answer_in_bulk(survey, invited, strata, opens, rng)
    _redact_some(coordinator, survey)
    with clock.running_at(closes + timedelta(days=10)):
        services.publish_results(
            coordinator,
            db.session.get(Survey, survey.id),
            spec["afterwards_ja"],
            spec["afterwards_en"],
        )


def _member_strata(term_id: int) -> dict[int, tuple[int, AgeBand]]:
    from app.surveys.models import PanelMember, Resident

    return {
        member_id: (ward_id, band)
        for member_id, ward_id, band in db.session.execute(
            sa.select(PanelMember.id, Resident.ward_id, Resident.age_band)
            .join(Resident, Resident.id == PanelMember.resident_id)
            .where(PanelMember.term_id == term_id)
        )
    }


def _answer_in_bulk(
    survey: Any,
    invited: list[tuple[int, int]],
    strata: dict[int, tuple[int, AgeBand]],
    opens: datetime,
    rng: random.Random,
) -> None:
    """Responses as submit_response writes anonymous ones (no invitation or account, the day
    only, the member's ward and age band; the invitation marked used), in bulk. The young know
    less of the city's work and use social media more: the weights change the shares."""
    from app.surveys.models import Answer, Invitation, QuestionKind, Response, Source
    from app.surveys.services import _receipt_code

    questions = sorted(survey.questions, key=lambda q: q.position)
    used: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    serial = 0
    for invitation_id, member_id in invited:
        ward_id, band = strata[member_id]
        if rng.random() >= ANSWERS[band.value]:
            continue
        age = list(AgeBand).index(band)  # 0 (under 20) … 6 (70 and over)
        day = opens + timedelta(days=rng.randrange(20), hours=rng.randrange(10))
        serial += 1
        # Ids are the database's (a PostgreSQL sequence must see them): the answers name their
        # response by its place in the list until the insert returns the ids.
        response_id = len(responses)
        used.append({"id": invitation_id, "used_at": day})
        responses.append(
            {
                "survey_id": survey.id,
                "source": Source.PANEL,
                "submitted_on": (day + timedelta(hours=9)).date(),
                "submitted_at": None,
                "ward_id": ward_id,
                "age_band": band,
                "invitation_id": None,
                "user_id": None,
                "submission_token": f"{TOKEN_PREFIX}{survey.id}-{serial}",
                "receipt_code": _receipt_code(),
                "hidden_reason": "",
            }
        )
        for question in questions:
            base = {
                "response_id": response_id,
                "question_id": question.id,
                "row": None,
                "option": None,
                "number": None,
                "day": None,
                "text": "",
                "redacted_text": None,
            }
            if question.kind == QuestionKind.SINGLE:
                # The older, the likelier the first option (knew well, keeps supplies).
                weights = [1 + age, 3, 7 - age]
                choice = rng.choices(range(len(question.options)), weights=weights)[0]
                answers.append({**base, "option": choice})
            elif question.kind == QuestionKind.MULTIPLE:
                likely = [0.25 + 0.08 * age, 0.35, 0.7 - 0.08 * age, 0.35]
                chosen = [
                    index
                    for index in range(len(question.options))
                    if rng.random() < likely[index % len(likely)]
                ] or [1]
                answers += [{**base, "option": index} for index in chosen]
                if question.allow_other and rng.random() < 0.03:
                    answers.append({**base, "option": -1, "text": "回覧板"})
            elif question.kind == QuestionKind.SCALE:
                answers.append({**base, "option": _point(rng.gauss(2.6 + 0.15 * age, 1))})
            elif question.kind == QuestionKind.MATRIX:
                answers += [
                    {**base, "row": row, "option": _point(rng.gauss(3 + 0.3 * (row - 1), 1))}
                    for row in range(len(question.rows))
                ]
            elif question.kind == QuestionKind.NUMBER:
                answers.append(
                    {**base, "number": float(min(8, max(1, round(rng.gauss(2.6, 1.3)))))}
                )
            elif question.kind == QuestionKind.LONG_TEXT and rng.random() < 0.15:
                answers.append({**base, "text": COMMENTS[rng.randrange(len(COMMENTS))]})
    if responses:
        ids = db.session.scalars(
            sa.insert(Response).returning(Response.id, sort_by_parameter_order=True),
            responses,
        ).all()
        for answer in answers:
            answer["response_id"] = ids[answer["response_id"]]
        db.session.execute(sa.insert(Answer), answers)
        db.session.execute(sa.update(Invitation), used)
    db.session.commit()


def _point(value: float) -> int:
    return min(5, max(1, round(value)))


def _redact_some(coordinator: Any, survey: Any) -> None:
    """広聴課 checks the free answers and publishes some of them, redacted (most of the demo's
    are plain; a few are left unpublished)."""
    from app.surveys import services
    from app.surveys.models import Answer, Question, QuestionKind

    rows = db.session.execute(
        sa.select(Answer.id, Answer.text)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.survey_id == survey.id, Question.kind == QuestionKind.LONG_TEXT)
        .order_by(Answer.id)
        .limit(40)
    ).all()
    for index, (answer_id, text) in enumerate(rows):
        if index % 5 != 4:
            services.redact_answer(coordinator, answer_id, text)


PARTICIPANTS = 12  # signed up for each held session that had none
TESTING_FEEDBACK_SESSIONS = 3
FEEDBACK_ANSWERS = {
    "heard": [["0"], ["1"], ["0", "4"], ["3"], ["1", "2"]],
    "clarity": ["5", "4", "4", "3", "5", "2"],
    "length": ["1", "1", "2", "1", "0"],
    "glad": ["5", "4", "5", "4", "3", "5", "2"],
    "again": ["0", "0", "1", "0", "0", "2"],
    "comment": ["", "", "資料が事前にあると助かります。", "", "また参加したいです。"],
}


def _feedback(now: datetime, rng: random.Random) -> None:
    """The feedback questionnaire after every held session, offered at its end through the
    services, answered by most participants with their one-time codes two days later."""
    from app.consultations.models import Registration, RegistrationStatus, Session
    from app.consultations.services import take_places
    from app.surveys import services
    from app.surveys.models import Invitation, Survey

    held = db.session.execute(
        sa.select(Session.id, Session.starts_at, Session.ends_at)
        .where(
            Session.ends_at <= now,
            Session.cancelled_at.is_(None),
        )
        .order_by(Session.ends_at, Session.id)
    ).all()
    if current_app.testing:
        # The suite loads the demo in a dozen places: the latest few sessions show the same
        # (questionnaires offered, answered, counted under 18); `flask demo load` has them all.
        held = held[-TESTING_FEEDBACK_SESSIONS:]
    # A second load offers nothing again (the same sessions, chosen before this filter).
    offered = set(
        db.session.scalars(sa.select(Survey.session_id).where(Survey.session_id.is_not(None)))
    )
    held = [row for row in held if row.id not in offered]
    for session_id, starts_at, ends_at in held:
        # The consultations demo signs people up for coming sessions only, and most held ones
        # took no sign-ups: their participants are written as the sign-in sheet at the door
        # would give them (confirmed, attended, with the address they left for the mail).
        if not db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(Registration.session_id == session_id)
        ):
            db.session.execute(
                sa.insert(Registration),
                [
                    {
                        "session_id": session_id,
                        "receipt_number": number + 1,
                        "name": f"{SURNAMES[number % 10]} {GIVEN[(session_id + number) % 10]}",
                        "email": f"participant{session_id}-{number}@example.jp",
                        "status": RegistrationStatus.CONFIRMED,
                        "attended": True,
                        "language": "en" if number == PARTICIPANTS - 1 else "ja",
                        "cancel_token_hash": hashlib.sha256(
                            f"{TOKEN_PREFIX}{session_id}-{number}".encode()
                        ).hexdigest(),
                        "created_at": starts_at - timedelta(days=7),
                    }
                    for number in range(PARTICIPANTS)
                ],
            )
            # Places taken are kept on the session by whatever confirms a registration.
            take_places(session_id, PARTICIPANTS)
            db.session.commit()
        with clock.running_at(ends_at + timedelta(hours=1)):
            survey = services.offer_feedback(session_id)
        if survey is None:
            continue
        survey = db.session.get(Survey, survey.id)
        keys = {q.key: str(q.id) for q in survey.questions}
        answered_at = min(ends_at + timedelta(days=2), now)
        invitations = db.session.scalars(
            sa.select(Invitation).where(Invitation.survey_id == survey.id).order_by(Invitation.id)
        ).all()
        for number, invitation in enumerate(invitations):
            if rng.random() < 0.2:
                continue  # not everyone answers
            answers: dict[str, Any] = {}
            for key, choices in FEEDBACK_ANSWERS.items():
                if key in keys:
                    value = choices[(number + rng.randrange(len(choices))) % len(choices)]
                    if value not in ("", []):
                        answers[keys[key]] = value
            code = services.invitation_code(invitation)
            with clock.running_at(answered_at):
                access = services.access_for(survey, code, None)
                if access is None:
                    continue
                services.submit_response(survey, access, answers, secrets.token_urlsafe(16))
