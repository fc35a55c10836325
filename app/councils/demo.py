"""Demo councils: ten councils with members and meetings, two open calls and one finished call
with a drawn lottery and appointments. Idempotent: councils and calls are found by name."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from app.core import clock
from app.core.i18n import jst_to_utc
from app.extensions import db

# (department, name ja, name en, seats, public target, members, public members, women)
DEMO_COUNCILS = [
    (
        "shimin-kyodo",
        "熊本市自治推進委員会",
        "Kumamoto City Autonomy Promotion Committee",
        15,
        3,
        13,
        2,
        5,
    ),
    ("kikaku", "熊本市総合計画審議会", "Comprehensive Plan Council", 20, 3, 18, 2, 6),
    ("gyosei-keiei", "熊本市行政改革推進委員会", "Administrative Reform Committee", 10, 2, 9, 1, 3),
    (
        "somu",
        "熊本市情報公開・個人情報保護審議会",
        "Information Disclosure and Privacy Council",
        8,
        0,
        7,
        0,
        2,
    ),
    ("kocho", "熊本市広聴推進委員会", "Public Hearing Promotion Committee", 10, 2, 8, 2, 4),
    ("shimin-kyodo", "熊本市男女共同参画会議", "Gender Equality Council", 12, 2, 10, 0, 6),
    ("kusei-suishin", "熊本市区政推進会議", "Ward Administration Council", 12, 2, 10, 1, 0),
    ("kikaku", "熊本市都市計画審議会", "City Planning Council", 20, 2, 17, 0, 3),
    ("kikaku", "熊本市環境審議会", "Environment Council", 15, 2, 12, 1, 4),
    ("shimin-kyodo", "熊本市市民活動支援審議会", "Civic Activity Support Council", 10, 2, 9, 2, 5),
]
SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "渡辺",
    "伊藤",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "森",
    "池田",
    "橋本",
]
WOMEN = ["花子", "美咲", "陽子", "恵子", "由美", "さくら", "優子", "真理"]
MEN = ["太郎", "健一", "誠", "浩", "隆", "大輔", "学", "修"]
CATEGORY_CYCLE = ["academic", "organisation", "organisation", "government", "academic", "other"]


def _user(email: str, name: str):
    from app.accounts import services as accounts
    from app.core.demo import DEMO_PASSWORD
    from app.core.permissions import Role

    user = accounts.get_user_by_email(email)
    if user is None:
        user = accounts.create_user(
            None, email, name, Role.CITIZEN, password=DEMO_PASSWORD, send_invitation=False
        )
    return user


def load_demo() -> None:
    from app.accounts import services as accounts
    from app.councils import lottery, services
    from app.councils.models import (
        Council,
        Gender,
        MeetingOpenness,
        MemberCategory,
        RecruitmentCall,
        Residency,
        SelectionMethod,
    )
    from app.plan.models import Department

    admin = accounts.get_user_by_email("keiei@demo.sankaku.jp") or accounts.get_user_by_email(
        "admin@demo.sankaku.jp"
    )
    services.get_guidelines()
    departments = {d.code: d.id for d in db.session.scalars(sa.select(Department))}
    today = clock.today()
    term_start = date(today.year - 1, 4, 1)
    councils: dict[str, Council] = {}
    person = 0
    for index, (dept, name_ja, name_en, seats, target, size, public, women) in enumerate(
        DEMO_COUNCILS
    ):
        council = db.session.scalar(sa.select(Council).where(Council.name_ja == name_ja))
        if council is None:
            council = services.save_council(
                admin,
                None,
                department_id=departments[dept],
                name_ja=name_ja,
                name_en=name_en,
                purpose_ja=f"{name_ja}は、市長の諮問に応じ、所管する事項について調査審議します。",
                purpose_en=f"The {name_en} examines the matters referred to it by the mayor.",
                legal_basis_ja="熊本市附属機関設置条例",
                legal_basis_en="Kumamoto City Ordinance on Advisory Bodies",
                total_seats=seats,
                public_seat_target=target,
                term_years=2,
                meetings_open_by_default=index != 3,
            )
            for number in range(size):
                person += 1
                woman = number < women
                given = (WOMEN if woman else MEN)[(index + number) % 8]
                category = (
                    MemberCategory.PUBLIC
                    if number >= size - public
                    else MemberCategory(CATEGORY_CYCLE[number % len(CATEGORY_CYCLE)])
                )
                services.add_member(
                    admin,
                    council,
                    f"{SURNAMES[(index * 7 + number) % len(SURNAMES)]} {given}",
                    category,
                    term_start,
                    date(term_start.year + 2, 3, 31),
                    gender=Gender.FEMALE if woman else Gender.MALE,
                )
            starts = jst_to_utc(today + timedelta(days=14 + index), time(14, 0))
            services.save_meeting(
                admin,
                council,
                None,
                title_ja=f"令和{today.year - 2018}年度 第2回{name_ja}",
                title_en=f"{name_en}: second meeting of the year",
                starts_at=starts,
                place_ja="熊本市役所 本庁舎14階 会議室",
                place_en="City Hall, 14th floor meeting room",
                openness=MeetingOpenness.OPEN if index != 3 else MeetingOpenness.CLOSED,
                closed_reason_ja="" if index != 3 else "個人情報を含む案件を審議するため。",
                closed_reason_en="" if index != 3 else "Cases with personal data are examined.",
                observer_seats=10 if index != 3 else 0,
            )
        councils[name_ja] = council

    now = clock.now()

    def call_values(title_ja: str, title_en: str, method: SelectionMethod, opens, closes) -> dict:  # noqa: ANN001
        return {
            "title_ja": title_ja,
            "title_en": title_en,
            "purpose_ja": "市民の皆さんの意見を審議に反映するため、委員の一部を公募します。",
            "purpose_en": "Some seats are open to citizens so that their views shape the work.",
            "seats": 2,
            "opens_at": opens,
            "closes_at": closes,
            "term_starts_on": date(today.year + 1, 4, 1),
            "term_ends_on": date(today.year + 3, 3, 31),
            "meeting_frequency_ja": "年3回程度（平日の昼間）",
            "meeting_frequency_en": "About three times a year, on weekday afternoons",
            "fee_per_meeting": 9800,
            "essay_theme_ja": "熊本市のまちづくりへの市民参画について",
            "essay_theme_en": "Citizen participation in Kumamoto's city planning",
            "essay_min_chars": 20,
            "essay_max_chars": 800,
            "selection_method": method,
            "criteria_ja": "テーマの理解\n意見の具体性\n委員としての意欲",
            "criteria_en": "Understanding of the theme\nConcrete ideas\nMotivation",
            "pass_mark": None,
            "contact_ja": "各所管課（電話 096-328-2111）",
            "contact_en": "The department in charge (096-328-2111)",
        }

    for council_name, title_ja, title_en, method in (
        (
            "熊本市総合計画審議会",
            "総合計画審議会 公募委員の募集",
            "Public members for the Comprehensive Plan Council",
            SelectionMethod.DOCUMENTS,
        ),
        (
            "熊本市自治推進委員会",
            "自治推進委員会 公募委員の募集",
            "Public members for the Autonomy Promotion Committee",
            SelectionMethod.DOCUMENTS_THEN_LOTTERY,
        ),
    ):
        if db.session.scalar(
            sa.select(RecruitmentCall.id).where(RecruitmentCall.title_ja == title_ja)
        ):
            continue
        call, _warnings = services.save_call(
            admin,
            councils[council_name],
            None,
            **call_values(
                title_ja,
                title_en,
                method,
                now - timedelta(days=5),
                services.end_of_day(today + timedelta(days=25)),
            ),
        )
        services.publish_call(admin, call)

    finished_title = "男女共同参画会議 公募委員の募集"
    if db.session.scalar(
        sa.select(RecruitmentCall.id).where(RecruitmentCall.title_ja == finished_title)
    ):
        return
    council = councils["熊本市男女共同参画会議"]
    call, _warnings = services.save_call(
        admin,
        council,
        None,
        **call_values(
            finished_title,
            "Public members for the Gender Equality Council",
            SelectionMethod.LOTTERY,
            now - timedelta(days=1),
            now + timedelta(days=1),
        ),
    )
    call.term_starts_on = today + timedelta(days=30)
    call.term_ends_on = date(call.term_starts_on.year + 2, 3, 31)
    services.publish_call(admin, call)
    applicants = [
        (
            _user("citizen@demo.sankaku.jp", "市民 はるか"),
            "市民 はるか",
            "しみん はるか",
            Gender.FEMALE,
        ),
        (
            _user("citizen2@demo.sankaku.jp", "熊本 大輔"),
            "熊本 大輔",
            "くまもと だいすけ",
            Gender.MALE,
        ),
        (
            _user("applicant3@demo.sankaku.jp", "江津 みどり"),
            "江津 みどり",
            "えづ みどり",
            Gender.FEMALE,
        ),
    ]
    for number, (user, name, kana, gender) in enumerate(applicants):
        services.submit_application(
            user,
            call.id,
            name=name,
            kana=kana,
            address=f"熊本市中央区手取本町{number + 1}番1号",
            birth_date=date(1980 + number * 7, 5, 10),
            gender=gender,
            phone=f"096-000-000{number}",
            email=user.email,
            residency=Residency.LIVES,
            occupation="会社員",
            experience="地域の自治会で活動しています。",
            motivation="市の取組に市民の声を届けたいと考え応募しました。",
            essay="男女がともに参画できる社会をつくるため、地域の声を審議に届けたいと考えています。"
            * 2,
            declared_exclusions=[],
        )
    # The call's window is moved into the past so the demo shows a finished recruitment.
    call = db.session.get(RecruitmentCall, call.id)
    call.opens_at = now - timedelta(days=40)
    call.closes_at = now - timedelta(days=10)
    db.session.commit()
    services.commit_lottery(admin, call)
    services.draw_lottery(admin, call)
    chosen = [a.id for a in call.applications if a.receipt_number in lottery.seat_numbers(call)]
    services.select_applicants(admin, call, chosen)
