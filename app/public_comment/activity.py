"""Public comment's activity kind (its manifest, DESIGN.md §3): figures per initiative, all
aggregates in SQL, its records and the cases staff should act on."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, Figures, Metric
from app.core.dispositions import DEFAULT_DISPOSITIONS, Disposition
from app.core.i18n import current_language, to_jst
from app.extensions import db
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
    from app.core.i18n import current_language

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


def attention(limit: int) -> list[ActivityRecord]:
    """Cases closed for more than RESULTS_OVERDUE_DAYS without published results."""
    from datetime import timedelta

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
    extra={"open_data": [("Atom", "public_comment.feed")]},
)
