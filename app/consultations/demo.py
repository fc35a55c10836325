"""Demo consultations: sessions of several kinds in all five wards, past ones with published
records, and one full session with a waiting list. Idempotent: keyed by titles."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from app.extensions import db

# (ward code, venue name, address, capacity, accessibility)
DEMO_VENUES = [
    ("chuo", "中央公民館", "熊本市中央区草葉町5-1", 80, "段差なし・車いす対応トイレ・磁気ループ"),
    ("higashi", "東部交流センター", "熊本市東区小山6丁目2-1", 60, "エレベーターあり"),
    ("nishi", "西区役所 会議室", "熊本市西区小島2丁目7-1", 40, "段差なし"),
    ("minami", "南部公民館", "熊本市南区富合町清藤405-3", 50, "車いす対応トイレ"),
    ("kita", "北部公民館", "熊本市北区植木町岩野238-1", 45, "エレベーターあり・駐車場あり"),
]

# (kind, title ja, title en, department, initiative, ward, [(days from today, hour, capacity)])
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
]


def load_demo() -> None:
    from app.accounts.services import get_user_by_email
    from app.consultations import services
    from app.consultations.models import Consultation, ConsultationKind, Session, Venue
    from app.core.db import utcnow
    from app.core.dispositions import active_dispositions, ensure_default_dispositions
    from app.core.i18n import jst_to_utc, to_jst
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
    for ward, name, address, capacity, access in DEMO_VENUES:
        venue = db.session.scalar(sa.select(Venue).where(Venue.name_ja == name))
        if venue is None:
            venue = services.create_venue(
                actor,
                name_ja=name,
                address_ja=address,
                ward_id=wards[ward].id,
                capacity=capacity,
                accessibility_ja=access,
            )
        venues[ward] = venue.id
    today = to_jst(utcnow()).date()
    dispositions = active_dispositions()
    for kind, title_ja, title_en, department, number, ward, sessions in DEMO_CONSULTATIONS:
        if db.session.scalar(sa.select(Consultation.id).where(Consultation.title_ja == title_ja)):
            continue
        department_id = (departments.get(department) or departments["shimin-kyodo"]).id
        consultation = services.create_consultation(
            actor,
            kind_id=kinds[kind].id,
            title_ja=title_ja,
            title_en=title_en,
            purpose_ja=f"{title_ja}を開催し、市民の皆さんのご意見をお聞きします。",
            purpose_en="A session to hear citizens' views.",
            contact_ja="熊本市 市民協働課 096-328-2036",
            initiative_id=initiatives[number].id,
            department_id=department_id,
            ward_id=wards[ward].id,
        )
        if kind == "pi":
            services.record_advice(
                actor,
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
                venue_id=venues[ward],
                online_url="",
                capacity=capacity,
                registration_required=days > 0,
                registration_opens_at=None,
                registration_closes_at=jst_to_utc(day - timedelta(days=1), time(23, 59, 59))
                if days > 0
                else None,
                accommodations=["sign_language", "childcare"],
            )
            if days < 0:
                record = services.save_record(
                    actor,
                    db.session.get(Session, session.id),
                    summary_ja="参加者から地域の課題と今後の進め方について意見が出されました。",
                    summary_en="Participants discussed local issues and next steps.",
                    attendees=capacity - 3,
                    materials="次第\n資料1 これまでの取組",
                )
                for position, (text, response) in enumerate(
                    [
                        (
                            "若い世代が参加しやすい時間帯にしてほしい。",
                            "次回から休日の開催を検討します。",
                        ),
                        ("会議の結果をもっと分かりやすく公開してほしい。", ""),
                    ]
                ):
                    services.add_opinion(
                        actor,
                        record,
                        text_ja=text,
                        response_ja=response,
                        disposition_id=dispositions[position].id if response else None,
                    )
                services.publish_record(actor, record)
            elif capacity == 5:
                # The full session with a waiting list.
                for n in range(7):
                    services.register(
                        session.id,
                        name=f"デモ参加者{n + 1}",
                        email=f"guest{n + 1}@demo.sankaku.jp",
                    )
    db.session.commit()
