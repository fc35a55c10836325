"""Public comment's activity kind, the module's manifest (DESIGN.md §3): figures per initiative,
all aggregates in SQL, its records, the cases staff should act on, its API and its demo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.activity import (
    JSON,
    ActivityFilter,
    ActivityKind,
    ActivityRecord,
    ApiItem,
    ApiList,
    Figures,
    Metric,
    each,
    time_left,
)
from app.core.dispositions import DEFAULT_DISPOSITIONS, Disposition
from app.core.i18n import current_language, to_jst
from app.core.urls import public_url
from app.extensions import db
from app.public_comment.demo import load_demo
from app.public_comment.models import (
    PUBLIC_STATUSES,
    CaseStatus,
    Comment,
    CommentCase,
    OpinionSummary,
)
from app.public_comment.models import comment_summary as link

REFLECTED = ("revised", "partly_revised")


def figures(flt: ActivityFilter) -> Figures:
    cases = flt.apply(
        sa.select(CommentCase.id, CommentCase.initiative_id).where(
            CommentCase.status.in_(PUBLIC_STATUSES)
        ),
        CommentCase,
    ).subquery()
    case_rows = db.session.execute(
        sa.select(cases.c.initiative_id, sa.func.count()).group_by(cases.c.initiative_id)
    )
    # Comments and people. Every comment belongs to a case in a public status (comments arrive
    # only once a case is approved, and a case never goes back), so a report over everything
    # reads the comments' own (initiative_id, person_key) index alone and in order: distinct
    # people are counted without sorting a million keys. A narrower report counts its cases'
    # comments from the (case_id, person_key) index.
    people = sa.func.count(sa.distinct(Comment.person_key))
    if flt.narrows:
        comments = (
            sa.select(cases.c.initiative_id, sa.func.count(), people)
            .join(Comment, Comment.case_id == cases.c.id)
            .group_by(cases.c.initiative_id)
        )
    else:
        # count(*), not count(id): PostgreSQL then answers from the index alone.
        comments = sa.select(Comment.initiative_id, sa.func.count(), people).group_by(
            Comment.initiative_id
        )
    comment_rows = {
        initiative_id: (n, n_people) for initiative_id, n, n_people in db.session.execute(comments)
    }
    # Answers are counted from the answers' side (comment_summary), so their cost follows the
    # number of answers, not a lookup for each of a million comments.
    reflected = sa.case((Disposition.code.in_(REFLECTED), link.c.comment_id))
    answer_rows = db.session.execute(
        sa.select(
            cases.c.initiative_id,
            sa.func.count(sa.distinct(link.c.comment_id)),
            sa.func.count(sa.distinct(reflected)),
        )
        .select_from(link)
        .join(Comment, Comment.id == link.c.comment_id)
        .join(cases, cases.c.id == Comment.case_id)
        .join(OpinionSummary, OpinionSummary.id == link.c.summary_id)
        .join(Disposition, Disposition.id == OpinionSummary.disposition_id)
        .group_by(cases.c.initiative_id)
    )
    answers = {initiative_id: (n, r) for initiative_id, n, r in answer_rows}
    result: Figures = {}
    for initiative_id, n_cases in case_rows:
        n_comments, people = comment_rows.get(initiative_id, (0, 0))
        n_answered, n_reflected = answers.get(initiative_id, (0, 0))
        result[initiative_id] = {
            "cases": n_cases,
            "comments": n_comments,
            "people": people,
            "answered_share": round(100 * n_answered / n_comments, 1) if n_comments else 0,
            "reflected": n_reflected,
            "days_to_results": 0,
        }
    # Comments by disposition (a comment answered by two summaries counts under each), one
    # statement; the metric keys follow the default list, so renamed entries keep their column.
    by_disposition = flt.apply(
        sa.select(
            CommentCase.initiative_id,
            Disposition.code,
            sa.func.count(sa.distinct(link.c.comment_id)),
        )
        .join(OpinionSummary, OpinionSummary.case_id == CommentCase.id)
        .join(link, link.c.summary_id == OpinionSummary.id)
        .join(Disposition, Disposition.id == OpinionSummary.disposition_id)
        .where(CommentCase.status.in_(PUBLIC_STATUSES))
        .group_by(CommentCase.initiative_id, Disposition.code),
        CommentCase,
    )
    for initiative_id, code, count in db.session.execute(by_disposition):
        result.setdefault(initiative_id, {})[f"disposition_{code}"] = count
    # Days from closing to published results, averaged per initiative (in SQL on both backends).
    if db.engine.dialect.name == "postgresql":
        days = sa.func.extract("epoch", CommentCase.published_at - CommentCase.closes_at) / 86400
    else:
        days = sa.func.julianday(CommentCase.published_at) - sa.func.julianday(
            CommentCase.closes_at
        )
    timing = flt.apply(
        sa.select(CommentCase.initiative_id, sa.func.avg(days))
        .where(CommentCase.status == CaseStatus.PUBLISHED)
        .group_by(CommentCase.initiative_id),
        CommentCase,
    )
    for initiative_id, average in db.session.execute(timing):
        result.setdefault(initiative_id, {})["days_to_results"] = round(float(average or 0), 1)
    return result


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    rows = db.session.execute(
        sa.select(
            CommentCase.id,
            CommentCase.title,
            CommentCase.title_en,
            CommentCase.closes_at,
            CommentCase.status,
            CommentCase.updated_at,
        )
        .where(CommentCase.initiative_id == initiative_id, CommentCase.status.in_(PUBLIC_STATUSES))
        .order_by(CommentCase.closes_at.desc())
        .limit(limit)
    )
    english = current_language() == "en"
    return [
        ActivityRecord(
            title=(title_en if english and title_en else title),
            url=url_for("public_comment.case", case_id=case_id),
            day=to_jst(closes_at).date(),
            updated=updated_at,
        )
        for case_id, title, title_en, closes_at, _status, updated_at in rows
    ]


def open_now(limit: int) -> list[ActivityRecord]:
    """Cases open for comments now, the soonest to close first (the home page): one statement."""
    now = clock.now()
    rows = db.session.execute(
        sa.select(CommentCase.id, CommentCase.title, CommentCase.title_en, CommentCase.closes_at)
        .where(
            CommentCase.status == CaseStatus.APPROVED,
            CommentCase.opens_at <= now,
            # Open to the minute shown, as CommentCase.closes_before says.
            CommentCase.closes_at > now - timedelta(minutes=1),
        )
        .order_by(CommentCase.closes_at, CommentCase.id)
        .limit(limit)
    )
    english = current_language() == "en"
    return [
        ActivityRecord(
            title=(title_en if english and title_en else title),
            url=url_for("public_comment.case", case_id=case_id),
            day=to_jst(closes_at).date(),
            status=time_left(closes_at),
        )
        for case_id, title, title_en, closes_at in rows
    ]


def attention(limit: int) -> list[ActivityRecord]:
    """Cases closed for more than RESULTS_OVERDUE_DAYS without published results."""

    from flask import current_app
    from flask_babel import gettext as _

    from app.core import clock

    overdue = clock.now() - timedelta(days=current_app.config["RESULTS_OVERDUE_DAYS"])
    rows = db.session.execute(
        sa.select(CommentCase.id, CommentCase.title, CommentCase.closes_at)
        .where(
            CommentCase.status.in_((CaseStatus.APPROVED, CaseStatus.RESULTS_REVIEW)),
            CommentCase.closes_at < overdue,
        )
        .order_by(CommentCase.closes_at)
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=title,
            url=url_for("public_comment_staff.case", case_id=case_id),
            day=to_jst(closes_at).date(),
            status=_("closed without published results"),
        )
        for case_id, title, closes_at in rows
    ]


# The API: cases and their published results -------------------------------------------------

CASE_SCHEMA: JSON = {
    "type": "object",
    "required": [
        "id",
        "title",
        "phase",
        "opens_at",
        "closes_at",
        "period_days",
        "short_period_reason",
        "initiative",
        "department",
        "fiscal_year",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "title_en": {"type": "string"},
        "phase": {
            "enum": ["upcoming", "open", "closed", "results_review", "published", "abandoned"]
        },
        "opens_at": {"type": "string", "format": "date-time"},
        "closes_at": {"type": "string", "format": "date-time"},
        "period_days": {
            "type": "integer",
            "description": "Days of the comment period in Japan dates, the opening day and "
            "the closing day included (行政手続法 art. 39).",
        },
        "short_period_reason": {
            "type": "string",
            "description": "Why the period is under 30 days (art. 40); empty otherwise.",
        },
        "initiative": {"type": "integer"},
        "department": {"type": "string"},
        "ward": {"type": ["string", "null"]},
        "fiscal_year": {"type": "integer"},
        "url": {"type": "string"},
    },
}
CASE_WITH_RESULTS_SCHEMA: JSON = {
    "allOf": [
        {"$ref": "#/components/schemas/Case"},
        {
            "type": "object",
            "required": ["summary", "sections", "results"],
            "properties": {
                "sections": {"type": "array"},
                "results": {"type": ["object", "null"]},
            },
        },
    ]
}


def case_summary(case: CommentCase) -> JSON:
    return {
        "id": case.id,
        "title": case.title,
        "title_en": case.title_en or "",
        "phase": case.phase_at(clock.now()).value,
        "opens_at": case.opens_at.isoformat(),
        "closes_at": case.closes_at.isoformat(),
        # Counted as the law counts it (public_comment.models.period_days); under 30 days the
        # published reason comes with it.
        "period_days": case.period_days,
        "short_period_reason": case.short_period_reason,
        "initiative": case.initiative.number,
        "department": case.department.code,
        "ward": case.ward.code if case.ward else None,
        "fiscal_year": case.fiscal_year,
        "url": public_url("public_comment.case", case_id=case.id),
    }


def api_cases() -> sa.Select[Any]:
    return (
        sa.select(CommentCase)
        .where(CommentCase.status.in_(PUBLIC_STATUSES))
        .order_by(CommentCase.opens_at.desc(), CommentCase.id.desc())
        .options(
            selectinload(CommentCase.initiative),
            selectinload(CommentCase.department),
            selectinload(CommentCase.ward),
        )
    )


def api_case(case_id: int) -> JSON | None:
    """A public case with its sections and, once published, its results: the counts, the
    summaries with the city's view, and the comments as published (redacted where they were)."""
    from app.public_comment.services import results_figures

    case = db.session.get(CommentCase, case_id)
    if case is None or case.status not in PUBLIC_STATUSES:
        return None
    body = case_summary(case)
    body.update(
        summary=case.summary,
        who_may_comment=case.who_may_comment,
        sections=[{"id": s.id, "heading": s.heading, "body": s.body} for s in case.sections],
        results=None,
    )
    if case.status == CaseStatus.PUBLISHED:
        figures = results_figures(case.id)
        summaries = db.session.scalars(
            sa.select(OpinionSummary)
            .where(OpinionSummary.case_id == case.id)
            .order_by(OpinionSummary.position)
            .options(selectinload(OpinionSummary.comments))
        )
        comments = db.session.execute(
            sa.select(Comment.receipt_code, Comment.body, Comment.redacted_body)
            .where(Comment.case_id == case.id, Comment.out_of_scope_reason == "")
            .order_by(Comment.receipt_number)
        )
        body["results"] = {
            "decision_date": case.decision_date.isoformat() if case.decision_date else None,
            "published_at": case.published_at.isoformat() if case.published_at else None,
            "changes": case.changes,
            "counts": {
                "comments": figures["comments"],
                "people": figures["people"],
                "by_category": {k.value: v for k, v in figures["by_category"].items()},
                "by_channel": {k.value: v for k, v in figures["by_channel"].items()},
                "by_disposition": {d.code: n for d, n in figures["by_disposition"]},
            },
            "summaries": [
                {
                    "summary": s.summary,
                    "city_view": s.city_view,
                    "disposition": s.disposition.code,
                    "comments": len(s.comments),
                }
                for s in summaries
            ],
            "comments": [
                {"receipt": code, "text": redacted if redacted is not None else text}
                for code, text, redacted in comments
            ],
        }
    return body


API_CASES = ApiList(
    path="/public-comments",
    operation_id="listPublicComments",
    summary="Public comment cases",
    schema_name="Case",
    schema=CASE_SCHEMA,
    query=api_cases,
    serialize=each(case_summary),
    item=ApiItem(
        parameter="case_id",
        operation_id="getPublicComment",
        summary="A public comment case with its published results",
        schema=CASE_WITH_RESULTS_SCHEMA,
        load=api_case,
    ),
)


def _disposition_label(japanese: str, english: str) -> LazyString:
    return LazyString(
        lambda: gettext(
            "Comments answered: %(name)s", name=english if current_language() == "en" else japanese
        )
    )


# One column per default disposition (修正, 一部修正, 既記載, 説明, 参考, その他).
DISPOSITION_METRICS = [
    Metric(f"disposition_{code}", _disposition_label(japanese, english))
    for code, japanese, english in DEFAULT_DISPOSITIONS
]

KIND = ActivityKind(
    key="public_comment",
    label=_l("Public comment"),
    model=CommentCase,
    metrics=[
        Metric("cases", _l("Cases")),
        Metric("comments", _l("Comments")),
        Metric("people", _l("People who commented")),
        Metric("answered_share", _l("Share of comments answered (%)")),
        Metric("reflected", _l("Comments reflected in the plan")),
        Metric("days_to_results", _l("Average days from closing to results")),
        *DISPOSITION_METRICS,
    ],
    figures=figures,
    records=records,
    list_endpoint="public_comment.index",
    order=10,
    attention=attention,
    open_now=open_now,
    api=[API_CASES],
    open_data=[("Atom", "public_comment.feed")],
    demo=load_demo,
)
