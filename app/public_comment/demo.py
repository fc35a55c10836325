"""Demo cases: one open, one upcoming, one closed awaiting results, one with published results,
fulfilling different initiatives. Idempotent: a case whose title exists is left alone."""

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
from app.public_comment.services import person_key

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


def load_demo() -> None:
    from app.accounts.models import User

    today = to_jst(clock.now()).date()
    kocho = db.session.scalar(sa.select(User).join(Department).where(Department.code == "kocho"))
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
            _comments(case)
        if state == "published":
            _results(case, today)
    db.session.commit()


def _comments(case: CommentCase) -> None:
    for number, (body, category) in enumerate(COMMENTS, start=1):
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

    db.session.merge(ReceiptCounter(scope=f"public_comment:{case.id}", last=len(COMMENTS)))
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
