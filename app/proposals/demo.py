"""Demo collaboration proposals: last year's call with two adopted projects (one evaluated, one
under way with progress reports) and one not adopted, and this year's open call with themes, a
draft and a proposal under review. Everything goes through the services, as a real round would;
each step of the past round at its
date after the last, then the round's dates are moved back a year. Idempotent: calls are found by
title."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.core import clock
from app.extensions import db

PAST_TITLE = "令和7年度 協働提案制度(市民提案型)"
OPEN_TITLE = "令和8年度 協働提案制度(行政提案型)"

GROUPS = [
    # (group, representative, members, title, summary, division code, city share)
    (
        "NPO法人 くまもと子ども食堂ネット",
        "田中 恵子",
        24,
        "地域の子ども食堂を結ぶ食材シェアリング",
        "市内の子ども食堂が余剰食材を融通し合う仕組みを、市の広報と連携してつくります。",
        "kikaku",
        800_000,
    ),
    (
        "江津湖の自然を守る会",
        "山本 修",
        12,
        "江津湖の外来種駆除と環境学習",
        "市民ボランティアと小学校が協力し、外来種の駆除と環境学習会を開きます。",
        "ku-machizukuri",
        500_000,
    ),
    (
        "まちなかアート実行委員会",
        "中村 さくら",
        8,
        "商店街の空き店舗を使ったアート展",
        "空き店舗を期間限定のギャラリーにし、回遊を生み出します。",
        "kikaku",
        1_000_000,
    ),
]


def _proposal_values(group: tuple[Any, ...], departments: dict[str, int]) -> dict[str, Any]:
    from datetime import date

    from app.proposals.models import ELIGIBILITY_LABELS, EXCLUSION_LABELS

    name, representative, members, title, summary, division, _share = group
    return {
        "group_name": name,
        "representative": representative,
        "members": members,
        "founded_on": date(2015, 4, 1),
        "address": "熊本市中央区手取本町1-1",
        "phone": "096-000-0000",
        "email": "group@demo.sankaku.jp",
        "activity_record": "地域での活動を10年近く続けています。",
        "title": title,
        "summary": summary,
        "problem": "担い手が不足し、活動が一部の地域にとどまっています。",
        "plan": "月1回の活動と年2回の報告会を開きます。",
        "schedule": "4月準備、5月〜2月実施、3月報告。",
        "group_role": "企画・運営、ボランティアの募集と参加者への連絡。",
        "city_role": "広報、会場の調整、関係課との連絡。",
        "department_id": departments[division],
        "eligibility": list(ELIGIBILITY_LABELS),
        "declarations": list(EXCLUSION_LABELS),
    }


def load_demo() -> None:
    from app.accounts import services as accounts
    from app.plan.models import Department
    from app.proposals import services
    from app.proposals.models import CallType, ProposalCall, ReportKind, Round, default_criteria
    from app.proposals.services import BudgetEntry

    if db.session.scalar(sa.select(ProposalCall.id).where(ProposalCall.title_ja == PAST_TITLE)):
        return
    staff = accounts.get_user_by_email("kyodo@demo.sankaku.jp")
    division = accounts.get_user_by_email("kikaku@demo.sankaku.jp")
    reviewer = accounts.get_user_by_email("reviewer@demo.sankaku.jp")
    groups = [
        accounts.get_user_by_email("citizen@demo.sankaku.jp"),
        accounts.get_user_by_email("citizen2@demo.sankaku.jp"),
        accounts.get_user_by_email("citizen@demo.sankaku.jp"),
    ]
    if None in (staff, division, reviewer, *groups):
        return
    departments = {d.code: d.id for d in db.session.scalars(sa.select(Department))}
    now = clock.now()
    initiative_id = services.collaboration_initiative_id()
    common = {
        "initiative_id": initiative_id,
        "department_id": departments["shimin-kyodo"],
        "max_contribution": 1_000_000,
        "criteria": default_criteria(),
    }

    # Last year's round, run now with an open window, then moved back a year.
    past = services.save_call(
        staff,
        None,
        title_ja=PAST_TITLE,
        title_en="FY2025 collaboration proposals (citizen-proposed theme)",
        summary_ja="市民活動団体から、市と協働で取り組む事業の提案を募集しました。",
        summary_en="The city invited citizen groups to propose projects to carry out together.",
        call_type=CallType.CITIZEN,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        **common,
    )
    services.publish_call(staff, past)
    services.assign_reviewer(staff, past, reviewer)
    proposals = []
    for user, group in zip(groups, GROUPS, strict=True):
        share = group[-1]
        proposal = services.save_draft(
            user,
            past,
            None,
            [
                BudgetEntry("謝礼・講師料", share // 2, share // 2),
                BudgetEntry("消耗品・印刷費", share, share // 2),
            ],
            **_proposal_values(group, departments),
        )
        services.submit(user, proposal.id)
        services.forward_to_division(staff, proposal, True, "")
        services.record_division_opinion(
            division, proposal, True, "担当課として協働して実施できる内容です。"
        )
        proposals.append(proposal)
    points = [[5, 4, 4, 4, 4, 5, 4, 3, 4, 4], [4, 4, 3, 4, 3, 4, 4, 3, 3, 4], [2, 2, 3, 1, 2, 2]]
    for proposal, given in zip(proposals, points, strict=True):
        services.record_score(reviewer, proposal, Round.DOCUMENT, (given + [2] * 10)[:10])
    services.document_result(
        staff, proposals[2], False, "予算の妥当性と協働の必要性が十分に示されませんでした。"
    )
    services.schedule_presentation(
        staff,
        past,
        title_ja="",
        title_en="",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
        venue_id=None,
        online_url="https://www.city.kumamoto.jp/",
        capacity=100,
        registration_required=False,
        registration_opens_at=None,
        registration_closes_at=None,
        accommodations=[],
    )
    for proposal, given in zip(proposals[:2], points[:2], strict=True):
        services.document_result(staff, proposal, True, "")
        # The final review and the adoption wait for the call's close and the presentation.
        with clock.running_at(now + timedelta(days=3)):
            services.open_final_review(staff, proposal)
            services.record_score(reviewer, proposal, Round.FINAL, given, comment="")
            services.decide(staff, proposal, True, "公益性が高く、役割分担が明確な提案です。")
        services.conclude_agreement(
            staff,
            proposal,
            (now + timedelta(days=10)).date(),
            "団体が企画・運営を、市が広報と会場調整を担う。",
            proposal.city_share,
        )
        with clock.running_at(now + timedelta(days=200)):
            services.add_report(
                proposal.user,
                proposal,
                ReportKind.PROGRESS,
                "上半期に6回の活動を行い、延べ180人が参加しました。",
            )
            services.add_report(
                division,
                proposal,
                ReportKind.MIDTERM,
                "計画どおり進んでいます。参加者の裾野を広げる工夫を期待します。",
            )
    first = proposals[0]
    services.complete(staff, first, (now + timedelta(days=345)).date())
    services.evaluate(groups[0], first, "group", "参加団体が12に増え、食材の廃棄が減りました。")
    services.evaluate(
        division, first, "division", "市の広報と団体のネットワークがかみ合い、成果が出ました。"
    )
    _move_back(past, days=365)

    # This year's call: 行政提案型, open, with a draft and a proposal under review.
    current = services.save_call(
        staff,
        None,
        title_ja=OPEN_TITLE,
        title_en="FY2026 collaboration proposals (city-proposed themes)",
        summary_ja="市の各課が示すテーマについて、協働で取り組む事業の提案を募集します。",
        summary_en="Divisions offer themes; citizen groups propose how to work on them together.",
        call_type=CallType.ADMINISTRATION,
        consultation_opens_at=now - timedelta(days=14),
        consultation_closes_at=now + timedelta(days=14),
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(days=30),
        **common,
    )
    services.publish_call(staff, current)
    services.assign_reviewer(staff, current, reviewer)
    theme = services.add_theme(
        staff,
        current,
        department_id=departments["kikaku"],
        title_ja="若い世代の市政参加を広げる",
        title_en="Bringing young people into city affairs",
        description_ja="高校生・大学生が市政に関わるきっかけをつくる事業。",
        description_en="Projects that give students a way into city affairs.",
    )
    services.add_theme(
        staff,
        current,
        department_id=departments["ku-machizukuri"],
        title_ja="地域の防災力を高める",
        title_en="Stronger neighbourhoods in disasters",
    )
    values = _proposal_values(GROUPS[0], departments)
    values.pop("department_id")
    values.update(title="高校生と考えるまちの未来会議", theme_id=theme.id)
    submitted = services.save_draft(
        groups[1], current, None, [BudgetEntry("会場費", 200_000, 200_000)], **values
    )
    services.submit(groups[1], submitted.id)
    services.forward_to_division(staff, submitted, True, "")
    values.update(title="(下書き)大学生による区役所インターンシップ", eligibility=[])
    services.save_draft(
        groups[0], current, None, [BudgetEntry("交通費", 100_000, 50_000)], **values
    )


def _move_back(call: Any, days: int) -> None:
    """Shift a round run today to where it belongs in the past (demo data only)."""
    from app.proposals.models import Proposal, ProposalEvent

    delta = timedelta(days=days)
    call.opens_at -= delta
    call.closes_at -= delta
    call.fiscal_year -= days // 365
    if call.presentation is not None:
        call.presentation.starts_at -= delta
        call.presentation.ends_at -= delta
    for proposal in db.session.scalars(sa.select(Proposal).where(Proposal.call_id == call.id)):
        proposal.fiscal_year = call.fiscal_year
        for name in ("created_at", "submitted_at", "decided_at", "agreed_on", "completed_on"):
            if getattr(proposal, name):
                setattr(proposal, name, getattr(proposal, name) - delta)
        for step, event in enumerate(
            db.session.scalars(
                sa.select(ProposalEvent)
                .where(ProposalEvent.proposal_id == proposal.id)
                .order_by(ProposalEvent.id)
            )
        ):
            # Spread the stages over the year, a month or so apart.
            event.created_at = event.created_at - delta + timedelta(days=30 * step)
        for report in proposal.reports:
            report.reported_on = report.reported_on - delta
    db.session.commit()
