"""Demo cases: one open, one upcoming, one closed awaiting results (with a campaign of form
letters, grouped), one with published results, fulfilling different initiatives. Idempotent:
a case whose title exists is left alone."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from app.core import clock
from app.core.dispositions import Disposition
from app.core.i18n import fiscal_year, jst_to_utc, to_jst
from app.extensions import db
from app.plan.models import Department, Initiative, Ward
from app.public_comment.models import (
    CaseStatus,
    Channel,
    Comment,
    CommentCase,
    DraftSection,
    OpinionSummary,
    ReviewAction,
    ReviewEvent,
    SubmitterCategory,
)
from app.public_comment.services import group_comments, person_key

WHO = "市内に住所を有する方、市内に通勤・通学する方、市内で事業を営む方、本件に利害関係を有する方"

# (title, title_en, department, initiative, ward, days from today to opening, length, status)
CASES = [
    (
        "熊本市自治推進計画(第3次)素案",
        "Draft 3rd Autonomy Promotion Plan",
        "shimin-kyodo",
        8,
        None,
        -10,
        30,
        "open",
    ),
    (
        "中央区まちづくりビジョン改定案",
        "Revised Chuo Ward community vision",
        "ku-yakusho-chuo",
        21,
        "chuo",
        14,
        30,
        "upcoming",
    ),
    (
        "審議会等の設置及び運営に関する指針の改正案",
        "Revision of the council guidelines",
        "gyosei-keiei",
        7,
        None,
        -45,
        30,
        "closed",
    ),
    (
        "熊本市協働のまちづくり推進指針(案)",
        "Guidelines for collaborative community building",
        "shimin-kyodo",
        17,
        None,
        -120,
        31,
        "published",
    ),
]

COMMENTS = [
    ("公募委員の割合を高める目標を明記してほしい。", "resident"),
    ("説明会を夜間や休日にも開催してほしい。", "worker_student"),
    ("若い世代が参加しやすい方法を検討してほしい。", "resident"),
]


# The closed case also received a campaign: a template sent with what people do to it (a
# greeting, a personal sentence, a signature block, a dropped or swapped sentence, a sentence
# in 常体, width and a typo), two letters reworded by their writers, and comments of their own;
# grouped when loaded, so the staff groups page shows why each letter belongs.
CAMPAIGN = [
    "審議会等の指針の改正案について意見を申し上げます。",
    "公募委員の割合を三割以上とする目標を指針に明記してください。",
    "会議は原則として公開し、傍聴席を十分に用意してください。",
    "会議録は会議の後一か月以内にホームページで公開してください。",
    "委員の選考では、年齢や性別に偏りがないよう配慮してください。",
    "以上の理由から、改正案の見直しを求めます。",
]
PERSONAL = [
    "私は東区に住む二児の母です。",
    "私は北区で商店を営んでいます。",
    "私は大学で地域政策を学んでいます。",
]
SIGNATURES = [
    "住所 熊本市東区デモ町1丁目\n氏名 デモ 花子\n年齢 42歳\n職業 会社員",
    "熊本市北区 会社員 54歳 デモ太郎",
    "〒860-0000 熊本市中央区 電話 096-000-0000",
]
REWORDED = [
    "指針の改正案に対して私の考えを述べます。市民から公募する委員の割合を三割以上にする目標を、"
    "指針にはっきり書き込むべきです。会議は公開を原則とし、傍聴できる席を十分に確保してほしいと"
    "思います。会議の記録は、一か月以内にホームページへ載せてください。委員を選ぶときには、年齢と"
    "性別が偏らないよう配慮をお願いします。こうした理由により、改正案を見直すよう求めます。",
    "審議会の指針の改正案について一言申し上げます。指針には公募で選ぶ委員を三割以上とする目標を"
    "明記していただきたい。傍聴のための席を十分に設け、会議は原則として公開にしてください。"
    "会議録も一か月以内にホームページで見られるようにしてほしいです。選考の際は年齢・性別の偏りに"
    "配慮してください。以上の理由で、見直しを求めます。",
]
OWN_WORDS = [
    "オンラインでも会議を傍聴できるようにしてほしい。",
    "委員の任期は長すぎると思います。二年程度が適当ではないでしょうか。",
    "専門家の委員を減らしすぎると、議論の質が下がるのではと心配です。",
    "改正案に賛成です。",
    "改正案に賛成です。",
]


def campaign_letters() -> list[str]:
    """The closed case's campaign letters, reworded letters and comments of their own."""
    letters = []
    for number in range(14):
        sentences = list(CAMPAIGN)
        if number % 4 == 1:
            sentences.insert(1, PERSONAL[number % 3])
        if number % 5 == 2:
            del sentences[4]
        if number % 6 == 3:
            sentences[2], sentences[3] = sentences[3], sentences[2]
        if number % 7 == 4:
            sentences[1] = "公募委員の割合を三割以上とする目標を指針に明記するべきだ。"
        if number == 3:
            sentences[3] = sentences[3].replace("ホームページ", "ホームぺージ")
        text = "".join(sentences)
        if number % 2 == 0:
            text = "いつもお世話になっております。" + text
        if number in (4, 10):
            text = text.replace("、", "，").replace("三割", "３割")
        if number % 4 == 3:
            text += "\n" + SIGNATURES[number % 3]
        letters.append(text)
    return [*letters, *REWORDED, *OWN_WORDS]


def load_demo() -> None:
    from app.accounts.models import User

    today = to_jst(clock.now()).date()
    kocho = db.session.scalar(sa.select(User).join(Department).where(Department.code == "kocho"))
    grouped: list[int] = []
    for title, title_en, department, number, ward, start, length, state in CASES:
        if db.session.scalar(sa.select(CommentCase.id).where(CommentCase.title == title)):
            continue
        opens_on = today + timedelta(days=start)
        opens_at = jst_to_utc(opens_on, time(9))
        closes_at = jst_to_utc(opens_on + timedelta(days=length - 1), time(23, 59))
        case = CommentCase(
            title=title,
            title_en=title_en,
            summary=f"{title}について、市民の皆さまのご意見を募集します。",
            purpose="市民と行政が対等な立場で協働し、まちづくりを進めるため。",
            legal_basis="熊本市自治基本条例",
            who_may_comment=WHO,
            channels=[c.value for c in Channel],
            postal_address="〒860-8601 熊本市中央区手取本町1番1号",
            email="kocho@city.kumamoto.example.jp",
            opens_at=opens_at,
            closes_at=closes_at,
            initiative_id=_initiative(number),
            department_id=_department(department),
            ward_id=_ward(ward),
            fiscal_year=fiscal_year(opens_at),
            status=CaseStatus.PUBLISHED if state == "published" else CaseStatus.APPROVED,
        )
        db.session.add(case)
        db.session.flush()
        for position, (heading, body) in enumerate(
            [
                (
                    "第1章 計画の趣旨",
                    "この計画は、市民参画と協働の推進に関する基本的な方針を定めるものです。",
                ),
                ("第2章 取組の方向", "情報共有、参画、協働の三つの柱に沿って取組を進めます。"),
            ]
        ):
            db.session.add(
                DraftSection(case_id=case.id, position=position, heading=heading, body=body)
            )
        for action in (ReviewAction.SUBMITTED, ReviewAction.APPROVED):
            db.session.add(
                ReviewEvent(
                    case_id=case.id, actor_id=kocho.id if kocho else None, action=action, note=""
                )
            )
        if state in ("closed", "published"):
            _comments(
                case,
                [*COMMENTS, *((t, "resident") for t in campaign_letters())]
                if state == "closed"
                else COMMENTS,
            )
        if state == "published":
            _results(case, today)
        if state == "closed":
            grouped.append(case.id)
    db.session.commit()
    for case_id in grouped:
        group_comments(case_id)


def _comments(case: CommentCase, comments: list[tuple[str, str]]) -> None:
    for number, (body, category) in enumerate(comments, start=1):
        name, address = f"デモ 市民{number}", f"熊本市中央区デモ町{number}番"
        db.session.add(
            Comment(
                case_id=case.id,
                initiative_id=case.initiative_id,
                receipt_number=number,
                receipt_code=f"PC{case.id}-{number:05d}",
                submission_token=f"demo-{case.id}-{number}",
                channel=Channel.WEB,
                received_at=case.opens_at + timedelta(days=number),
                body=body,
                submitter_category=SubmitterCategory(category),
                name=name,
                address=address,
                person_key=person_key(name, address),
            )
        )
    from app.core.receipts import ReceiptCounter

    db.session.merge(ReceiptCounter(scope=f"public_comment:{case.id}", last=len(comments)))
    db.session.flush()


def _results(case: CommentCase, today: date) -> None:
    comments = db.session.scalars(sa.select(Comment).where(Comment.case_id == case.id)).all()
    revised = db.session.scalar(sa.select(Disposition.id).where(Disposition.code == "revised"))
    explained = db.session.scalar(sa.select(Disposition.id).where(Disposition.code == "explained"))
    first = OpinionSummary(
        case_id=case.id,
        position=0,
        summary="参加の機会を広げてほしい。",
        city_view="夜間・休日の説明会を追加し、オンラインでの参加も可能とします。",
        disposition_id=revised,
        comments=comments[1:],
    )
    second = OpinionSummary(
        case_id=case.id,
        position=1,
        summary="公募委員の目標を明記すべき。",
        city_view="目標は審議会指針で定めており、本指針では考え方を説明します。",
        disposition_id=explained,
        comments=comments[:1],
    )
    db.session.add_all([first, second])
    case.changes = "第2章に、夜間・休日の説明会とオンライン参加の記述を加えました。"
    case.decision_date = today - timedelta(days=40)
    case.published_at = jst_to_utc(today - timedelta(days=35), time(10))


def _initiative(number: int) -> int:
    return db.session.scalar(sa.select(Initiative.id).where(Initiative.number == number))


def _department(code: str) -> int:
    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def _ward(code: str | None) -> int | None:
    return db.session.scalar(sa.select(Ward.id).where(Ward.code == code)) if code else None
