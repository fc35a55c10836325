"""Demo consultations: sessions of several kinds in all five wards, past ones with published
records (their opinions answered, one left for the staff to answer), one full session with a
waiting list, advice on the method (initiative 6), and what the response table's actions name
for staff: training and internal meetings, held for staff only. With the other modules' demo
records, every one of the 22 initiatives shows activity. Idempotent: keyed by titles."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import sqlalchemy as sa

from app.core import clock
from app.extensions import db

# (ward code, venue name, address, capacity, accessibility)
DEMO_VENUES = [
    ("chuo", "中央公民館", "熊本市中央区草葉町5-1", 80, "段差なし・車いす対応トイレ・磁気ループ"),
    ("higashi", "東部交流センター", "熊本市東区小山6丁目2-1", 60, "エレベーターあり"),
    ("nishi", "西区役所 会議室", "熊本市西区小島2丁目7-1", 40, "段差なし"),
    ("minami", "南部公民館", "熊本市南区富合町清藤405-3", 50, "車いす対応トイレ"),
    ("kita", "北部公民館", "熊本市北区植木町岩野238-1", 45, "エレベーターあり・駐車場あり"),
    (
        "hall",
        "熊本市役所 本庁舎 会議室",
        "熊本市中央区手取本町1-1",
        60,
        "エレベーターあり・段差なし",
    ),
]
# The city hall's meeting room is in Chuo Ward.
VENUE_WARDS = {"hall": "chuo"}

# (kind, title ja, title en, department, initiative, ward or venue key,
#  [(days from today, hour, capacity)])
DEMO_CONSULTATIONS = [
    (
        "round_table",
        "中央区まちづくり懇話会",
        "Chuo Ward community round table",
        "ku-machizukuri-chuo",
        10,
        "chuo",
        [(-40, 14, 30), (20, 14, 30)],
    ),
    (
        "round_table",
        "東区まちづくり懇話会",
        "Higashi Ward community round table",
        "ku-machizukuri-higashi",
        10,
        "higashi",
        [(-30, 10, 30), (25, 10, 30)],
    ),
    (
        "workshop",
        "西区 地域の将来像ワークショップ",
        "Nishi Ward future vision workshop",
        "ku-machizukuri-nishi",
        6,
        "nishi",
        [(-20, 13, 20), (10, 13, 5)],
    ),
    (
        "exchange",
        "南区 地域団体との意見交換会",
        "Minami Ward exchange with local groups",
        "ku-machizukuri-minami",
        11,
        "minami",
        [(15, 18, 40)],
    ),
    (
        "seminar",
        "市民活動入門セミナー(あいぽーと)",
        "Introduction to civic activity (Aiport)",
        "shimin-kyodo",
        12,
        "kita",
        [(-10, 10, 45), (30, 10, 45)],
    ),
    (
        "pi",
        "北区 道路整備計画PI協議",
        "Kita Ward road plan PI consultation",
        "ku-machizukuri-kita",
        6,
        "kita",
        [(12, 19, 45)],
    ),
    (
        "mayor_dialogue",
        "市民と市長の直接対話(中央区)",
        "Direct dialogue with the mayor (Chuo)",
        "kocho",
        3,
        "chuo",
        [(-60, 15, 80)],
    ),
    # What each remaining initiative's actions name (data/response_table_h23.json).
    (
        "internal_meeting",
        "情報提供の課題検証会議",
        "Review meeting on each division's information provision",
        "koho",
        1,
        "hall",
        [(-45, 10, 30)],
    ),
    (
        "staff_training",
        "SNS活用研修(フェイスブックによる情報発信)",
        "Training on using social media (Facebook)",
        "koho",
        2,
        "hall",
        [(-35, 14, 40)],
    ),
    (
        "briefing",
        "市政情報プラザ 情報公開制度の説明会",
        "Briefing on information disclosure at the Municipal Information Plaza",
        "somu",
        4,
        "hall",
        [(-25, 14, 40), (18, 14, 40)],
    ),
    (
        "staff_training",
        "情報公開・個人情報保護 職員研修",
        "Staff training on information disclosure and personal data protection",
        "somu",
        5,
        "hall",
        [(-50, 14, 60), (40, 14, 60)],
    ),
    (
        "internal_meeting",
        "参画手法研究会(他都市調査の報告)",
        "Study group on participation methods (survey of other cities)",
        "shimin-kyodo",
        9,
        "hall",
        [(-15, 15, 20)],
    ),
    (
        "exchange",
        "北区 地域団体との意見交換会",
        "Kita Ward exchange with local groups",
        "ku-yakusho-kita",
        11,
        "kita",
        [(-5, 18, 40)],
    ),
    (
        "internal_meeting",
        "自治基本条例庁内推進会議",
        "Internal promotion council for the Basic Ordinance on Autonomy",
        "shimin-kyodo",
        13,
        "hall",
        [(-55, 10, 30), (35, 10, 30)],
    ),
    (
        "briefing",
        "まちづくり活動の手引き説明会(自治会向け)",
        "Briefing on the community-activity guide for neighbourhood associations",
        "kusei-suishin",
        14,
        "higashi",
        [(-12, 19, 60)],
    ),
    (
        "staff_training",
        "参画協働研修(職員向け)",
        "Training on participation and collaboration (for staff)",
        "shimin-kyodo",
        15,
        "hall",
        [(-42, 14, 50)],
    ),
    (
        "seminar",
        "あいぽーとセミナー 協働ハンドブックを使ってみよう",
        "Aiport seminar: using the collaboration handbook",
        "shimin-kyodo",
        16,
        "chuo",
        [(-33, 10, 40), (22, 10, 40)],
    ),
    (
        "workshop",
        "PIマニュアル改定ワークショップ",
        "Workshop on revising the PI manual",
        "shimin-kyodo",
        18,
        "minami",
        [(-18, 14, 30)],
    ),
    (
        "joint_training",
        "協働体験研修(市民と職員の合同研修)",
        "Collaboration training for citizens and staff together",
        "shimin-kyodo",
        19,
        "nishi",
        [(-28, 10, 36), (28, 10, 36)],
    ),
    (
        "workshop",
        "中央区 地域情報を集めるワークショップ",
        "Chuo Ward workshop gathering local information",
        "ku-yakusho-chuo",
        20,
        "chuo",
        [(-22, 10, 30)],
    ),
    (
        "briefing",
        "北区まちづくりビジョン説明会",
        "Briefing on the Kita Ward community-development vision",
        "ku-yakusho-kita",
        21,
        "kita",
        [(-8, 19, 45)],
    ),
    (
        "internal_meeting",
        "本庁・区役所連絡会議",
        "Liaison meeting of city-hall and ward-office divisions",
        "kusei-suishin",
        22,
        "hall",
        [(-38, 10, 40), (45, 10, 40)],
    ),
]

# (opinion, the city's response): citizens' sessions and staff sessions.
DEMO_OPINIONS = {
    True: [
        ("若い世代が参加しやすい時間帯にしてほしい。", "次回から休日の開催を検討します。"),
        (
            "会議の結果をもっと分かりやすく公開してほしい。",
            "要旨に加え、図表を用いた概要を市ホームページに掲載します。",
        ),
    ],
    False: [
        (
            "各課の取組事例を共有する場を定期的に設けてほしい。",
            "次年度から半期ごとに事例共有会を開催します。",
        ),
    ],
}


def load_demo() -> None:
    from app.accounts.services import get_user_by_email
    from app.consultations import services
    from app.consultations.models import Consultation, ConsultationKind, Session, Venue
    from app.core.dispositions import active_dispositions, ensure_default_dispositions
    from app.core.i18n import jst_to_utc
    from app.plan.models import Department, Initiative, Ward
    from app.plan.services import current_plan

    ensure_default_dispositions()
    services.ensure_default_kinds()
    db.session.commit()
    plan = current_plan()
    if plan is None:
        return
    actor = get_user_by_email("admin@demo.sankaku.jp")
    wards = {w.code: w for w in db.session.scalars(sa.select(Ward))}
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    kinds = {k.code: k for k in db.session.scalars(sa.select(ConsultationKind))}
    initiatives = {
        i.number: i
        for i in db.session.scalars(sa.select(Initiative).where(Initiative.plan_id == plan.id))
    }
    venues = {}
    for key, name, address, capacity, access in DEMO_VENUES:
        venue = db.session.scalar(sa.select(Venue).where(Venue.name_ja == name))
        if venue is None:
            venue = services.create_venue(
                actor,
                name_ja=name,
                address_ja=address,
                ward_id=wards[VENUE_WARDS.get(key, key)].id,
                capacity=capacity,
                accessibility_ja=access,
            )
        venues[key] = venue.id
    today = clock.today()
    dispositions = active_dispositions()
    for kind, title_ja, title_en, department, number, place, sessions in DEMO_CONSULTATIONS:
        if db.session.scalar(sa.select(Consultation.id).where(Consultation.title_ja == title_ja)):
            continue
        department_id = (departments.get(department) or departments["shimin-kyodo"]).id
        public = kinds[kind].audience.offered_to_public
        consultation = services.create_consultation(
            actor,
            kind_id=kinds[kind].id,
            title_ja=title_ja,
            title_en=title_en,
            purpose_ja=f"{title_ja}を開催し、市民の皆さんのご意見をお聞きします。"
            if public
            else f"{title_ja}を開催し、各課の取組と課題を共有します。",
            purpose_en="A session to hear citizens' views."
            if public
            else "A session for staff to share each division's work and issues.",
            contact_ja="熊本市 市民協働課 096-328-2036",
            initiative_id=initiatives[number].id,
            department_id=department_id,
            ward_id=wards[VENUE_WARDS.get(place, place)].id,
        )
        if kind == "pi":
            # 市民協働課's advice (initiative 6), given on another initiative's consultation.
            services.record_advice(
                get_user_by_email("kyodo@demo.sankaku.jp") or actor,
                consultation,
                today - timedelta(days=30),
                "オープンハウス形式を併用し、平日夜と休日に開催するよう助言。",
            )
        for index, (days, hour, capacity) in enumerate(sessions, start=1):
            day = today + timedelta(days=days)
            session = services.schedule_session(
                actor,
                db.session.get(Consultation, consultation.id),
                title_ja=f"第{index}回",
                title_en=f"Session {index}",
                starts_at=jst_to_utc(day, time(hour)),
                ends_at=jst_to_utc(day, time(hour + 2)),
                venue_id=venues[place],
                online_url="",
                capacity=capacity,
                registration_required=public and days > 0,
                registration_opens_at=None,
                registration_closes_at=jst_to_utc(day - timedelta(days=1), time(23, 59, 59))
                if public and days > 0
                else None,
                accommodations=["sign_language", "childcare"] if public else [],
            )
            if days < 0:
                record = services.save_record(
                    actor,
                    db.session.get(Session, session.id),
                    summary_ja="参加者から地域の課題と今後の進め方について意見が出されました。"
                    if public
                    else "各課の取組状況を報告し、今後の進め方を協議しました。",
                    summary_en="Participants discussed local issues and next steps."
                    if public
                    else "Divisions reported on their work and agreed the next steps.",
                    attendees=capacity - 3,
                    materials="次第\n資料1 これまでの取組",
                )
                # Kept as a session's notes are: the opinions first, the answers later.
                for text, _response in DEMO_OPINIONS[public]:
                    services.add_opinion(actor, record, text_ja=text)
                services.publish_record(actor, record)
            elif capacity == 5:
                # The full session with a waiting list.
                for n in range(7):
                    services.register(
                        session.id,
                        name=f"デモ参加者{n + 1}",
                        email=f"guest{n + 1}@demo.sankaku.jp",
                    )
    _answer_opinions(actor, dispositions)
    db.session.commit()


def _answer_opinions(actor: Any, dispositions: list[Any]) -> None:
    """Answer the demo opinions after their records were published, as the city does weeks
    after a session; the newest record's opinions stay open for the staff's attention list.
    Only empty answers are written, so loading again changes nothing."""
    from app.consultations import services
    from app.consultations.models import Opinion, Session, SessionRecord

    answers = {text: response for pairs in DEMO_OPINIONS.values() for text, response in pairs}
    by_code = {d.code: d for d in dispositions}
    newest = db.session.scalar(
        sa.select(SessionRecord.id)
        .join(Session, SessionRecord.session_id == Session.id)
        .order_by(Session.starts_at.desc())
        .limit(1)
    )
    opinions = db.session.scalars(
        sa.select(Opinion).where(
            Opinion.response_ja == "",
            Opinion.text_ja.in_(answers),
            Opinion.record_id != newest,
        )
    ).all()
    for opinion in opinions:
        services.answer_opinion(
            actor,
            opinion,
            response_ja=answers[opinion.text_ja],
            disposition_id=by_code["for_reference"].id if "for_reference" in by_code else None,
        )
