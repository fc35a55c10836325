"""The read-only JSON API (`/api/v1`): plan, figures per initiative, public comment cases and
results. Never carries personal data. GET answers carry an ETag and CORS headers; lists are
paginated. The OpenAPI 3.1 document (openapi.py) describes every response."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, abort, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

from app.api import bp
from app.api.openapi import openapi_document
from app.core import activity, clock
from app.core.activity import ActivityFilter
from app.core.feeds import conditional
from app.core.i18n import to_jst
from app.core.urls import public_url
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import Department, Initiative, Ward

MAX_PER_PAGE = 100


class BadQueryError(ValueError):
    pass


@bp.after_request
def api_headers(response: Response) -> Response:
    # Read-only open data: any site may read it from a browser.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response = conditional(response)
    # Only the data itself may be kept by shared caches; error answers are no-store for the
    # whole site (core.security).
    if response.status_code in (200, 304):
        response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


@bp.errorhandler(BadQueryError)
def bad_query(error: BadQueryError) -> ResponseReturnValue:
    return jsonify(error=str(error), status=400), 400


def _int_arg(name: str, default: int | None = None, low: int = 1, high: int = 10**9) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadQueryError(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _texts(obj: Any, field: str) -> dict[str, str]:
    return {"ja": getattr(obj, f"{field}_ja"), "en": getattr(obj, f"{field}_en") or ""}


def _department(department: Department) -> dict[str, Any]:
    return {
        "code": department.code,
        "name": _texts(department, "name"),
        "per_ward": department.per_ward,
    }


def _paginate(
    stmt: sa.Select[Any], serialize: Any, endpoint: str, rows: bool = False, **args: Any
) -> Response:
    """One page of a statement: items, page, per_page, total and the next page's URL, with a
    Link header (RFC 8288) to the first, previous, next and last pages.
    With rows=True the statement selects several columns and each row is serialised whole."""
    page = _int_arg("page", 1, high=1_000_000) or 1
    per_page = _int_arg("per_page", 20, high=MAX_PER_PAGE) or 20
    total = (
        db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        or 0
    )
    window = stmt.limit(per_page).offset((page - 1) * per_page)
    items = db.session.execute(window).all() if rows else db.session.scalars(window).all()
    last = max(1, -(-total // per_page))

    def page_url(number: int) -> str:
        return public_url(endpoint, page=number, per_page=per_page, **args)

    links = {
        "first": 1,
        "prev": page - 1 if page > 1 else None,
        "next": page + 1 if page < last else None,
        "last": last,
    }
    response = jsonify(
        items=[serialize(item) for item in items],
        page=page,
        per_page=per_page,
        total=total,
        next=page_url(page + 1) if page < last else None,
    )
    response.headers["Link"] = ", ".join(
        f'<{page_url(number)}>; rel="{rel}"' for rel, number in links.items() if number
    )
    return response


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.route("/plan")
def plan() -> ResponseReturnValue:
    """The response table: categories → recommendations → initiatives → actions."""
    current = plan_services.current_plan() or abort(404)
    categories = []
    for category in plan_services.load_table(current):
        categories.append(
            {
                "code": category.code,
                "name": _texts(category, "name"),
                "recommendations": [
                    {
                        "number": rec.number,
                        "text": _texts(rec, "text"),
                        "policy": _texts(rec, "policy"),
                        "initiatives": [
                            {
                                "number": i.number,
                                "title": _texts(i, "title"),
                                "departments": [_department(d) for d in i.departments],
                                "actions": [
                                    {
                                        "text": _texts(a, "text"),
                                        "departments": [d.code for d in a.departments],
                                    }
                                    for a in i.actions
                                ],
                            }
                            for i in rec.initiatives
                        ],
                    }
                    for rec in category.recommendations
                ],
            }
        )
    return jsonify(
        code=current.code,
        title=_texts(current, "title"),
        fiscal_year=current.fiscal_year,
        categories=categories,
    )


@bp.route("/initiatives")
def initiatives() -> ResponseReturnValue:
    """The initiatives with their place in the table and per-kind activity counts."""
    current = plan_services.current_plan()
    if current is None:
        return jsonify(plan=None, activity_kinds=[], initiatives=[])
    counts = activity.headline_counts()
    kinds = activity.kinds()
    items = []
    for category in plan_services.load_table(current):
        for recommendation in category.recommendations:
            for initiative in recommendation.initiatives:
                item_counts = counts.get(initiative.id, {})
                items.append(
                    {
                        "number": initiative.number,
                        "title": _texts(initiative, "title"),
                        "url": public_url("plan.initiative", number=initiative.number),
                        "category": {"code": category.code, "name": _texts(category, "name")},
                        "recommendation": {
                            "number": recommendation.number,
                            "text": _texts(recommendation, "text"),
                            "policy": _texts(recommendation, "policy"),
                        },
                        "departments": [_department(d) for d in initiative.departments],
                        "actions": [
                            {
                                "text": _texts(a, "text"),
                                "departments": [d.code for d in a.departments],
                            }
                            for a in initiative.actions
                        ],
                        "activity_counts": {k.key: item_counts.get(k.key, 0) for k in kinds},
                    }
                )
    items.sort(key=lambda i: i["number"])
    return jsonify(
        plan={
            "code": current.code,
            "title": _texts(current, "title"),
            "fiscal_year": current.fiscal_year,
        },
        activity_kinds=[{"key": k.key, "label": str(k.label)} for k in kinds],
        initiatives=items,
    )


def _filter() -> ActivityFilter:
    years = []
    for raw in request.args.getlist("year"):
        if not raw.isdigit() or not 1900 <= int(raw) <= 2200:
            raise BadQueryError("year must be a fiscal year such as 2024")
        years.append(int(raw))
    ward = request.args.get("ward") or None
    department = request.args.get("department") or None
    ward_id = department_id = None
    if ward is not None:
        ward_id = db.session.scalar(sa.select(Ward.id).where(Ward.code == ward))
        if ward_id is None:
            raise BadQueryError("unknown ward code")
    if department is not None:
        department_id = db.session.scalar(
            sa.select(Department.id).where(Department.code == department)
        )
        if department_id is None:
            raise BadQueryError("unknown department code")
    return ActivityFilter(
        fiscal_years=tuple(sorted(set(years))), ward_id=ward_id, department_id=department_id
    )


@bp.route("/figures")
def figures() -> ResponseReturnValue:
    """Public figures per initiative and activity kind, filtered like the reports page."""
    flt = _filter()
    current = plan_services.current_plan() or abort(404)
    all_figures = activity.figures_by_initiative(flt)
    kinds = activity.kinds()
    # Numbers and ids only: hydrating the whole table would cost more than the figures.
    initiatives = db.session.execute(
        sa.select(Initiative.id, Initiative.number)
        .where(Initiative.plan_id == current.id)
        .order_by(Initiative.number)
    )
    rows = [
        {
            "number": number,
            "figures": {
                kind.key: {
                    m.key: all_figures[kind.key].get(initiative_id, {}).get(m.key, 0)
                    for m in kind.metrics
                    if m.public
                }
                for kind in kinds
            },
        }
        for initiative_id, number in initiatives
    ]
    return jsonify(
        filter={
            "year": list(flt.fiscal_years),
            "ward": request.args.get("ward"),
            "department": request.args.get("department"),
        },
        kinds=[
            {
                "key": k.key,
                "label": str(k.label),
                "metrics": [{"key": m.key, "label": str(m.label)} for m in k.metrics if m.public],
            }
            for k in kinds
        ],
        initiatives=rows,
    )


def _case_summary(case: Any) -> dict[str, Any]:
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


@bp.route("/public-comments")
def public_comments() -> ResponseReturnValue:
    from app.public_comment.models import PUBLIC_STATUSES, CommentCase

    stmt = (
        sa.select(CommentCase)
        .where(CommentCase.status.in_(PUBLIC_STATUSES))
        .order_by(CommentCase.opens_at.desc(), CommentCase.id.desc())
        .options(
            selectinload(CommentCase.initiative),
            selectinload(CommentCase.department),
            selectinload(CommentCase.ward),
        )
    )
    return _paginate(stmt, _case_summary, "api.public_comments")


@bp.route("/public-comments/<int:case_id>")
def public_comment(case_id: int) -> ResponseReturnValue:
    from app.public_comment.models import (
        PUBLIC_STATUSES,
        CaseStatus,
        Comment,
        CommentCase,
        OpinionSummary,
    )
    from app.public_comment.services import results_figures

    case = db.session.get(CommentCase, case_id)
    if case is None or case.status not in PUBLIC_STATUSES:
        abort(404)
    body = _case_summary(case)
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
    return jsonify(body)


def _session(row: Any) -> dict[str, Any]:
    session, confirmed = row
    consultation = session.consultation
    return {
        "id": session.id,
        "title": session.title_ja or consultation.title_ja,
        "title_en": session.title_en or consultation.title_en or "",
        "consultation": consultation.id,
        "kind": consultation.kind.code,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "venue": session.venue.name_ja if session.venue else None,
        "online": bool(session.online_url),
        "ward": session.ward.code if session.ward else None,
        "capacity": session.capacity,
        "confirmed": confirmed,
        "initiative": consultation.initiative.number,
        "department": consultation.department.code,
        "cancelled": session.cancelled_at is not None,
        "url": public_url("consultations.session", session_id=session.id),
    }


@bp.route("/sessions")
def sessions() -> ResponseReturnValue:
    """Consultation sessions with their confirmed places (counts only, never who)."""
    from app.consultations.models import (
        Consultation,
        Registration,
        RegistrationStatus,
        Session,
    )

    confirmed = (
        sa.select(
            Registration.session_id,
            sa.func.coalesce(sa.func.sum(Registration.party_size), 0).label("n"),
        )
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.session_id)
        .subquery()
    )
    from app.consultations.services import staff_only_consultations

    stmt = (
        sa.select(Session, sa.func.coalesce(confirmed.c.n, 0))
        .outerjoin(confirmed, confirmed.c.session_id == Session.id)
        # Staff training and internal meetings are counted in the figures, never listed.
        .where(Session.consultation_id.not_in(staff_only_consultations()))
        .order_by(Session.starts_at.desc(), Session.id.desc())
        .options(
            selectinload(Session.consultation).selectinload(Consultation.initiative),
            selectinload(Session.consultation).selectinload(Consultation.department),
            selectinload(Session.venue),
            selectinload(Session.ward),
        )
    )
    return _paginate(stmt, _session, "api.sessions", rows=True)


@bp.route("/councils")
def councils() -> ResponseReturnValue:
    """Councils with their seats and members counted by category (no names)."""
    from app.councils.models import Council, CouncilMember

    today = clock.today()
    counts: dict[int, dict[str, int]] = {}
    for council_id, category, n in db.session.execute(
        sa.select(CouncilMember.council_id, CouncilMember.category, sa.func.count())
        .where(sa.or_(CouncilMember.ended_on.is_(None), CouncilMember.ended_on > today))
        .group_by(CouncilMember.council_id, CouncilMember.category)
    ):
        counts.setdefault(council_id, {})[category.value] = n

    def serialize(council: Council) -> dict[str, Any]:
        members = counts.get(council.id, {})
        return {
            "id": council.id,
            "name": _texts(council, "name"),
            "department": council.department.code,
            "total_seats": council.total_seats,
            "public_seat_target": council.public_seat_target,
            "members": sum(members.values()),
            "members_by_category": members,
            "url": public_url("councils.council", council_id=council.id),
        }

    stmt = sa.select(Council).order_by(Council.id).options(selectinload(Council.department))
    return _paginate(stmt, serialize, "api.councils")


@bp.route("/proposals")
def proposals() -> ResponseReturnValue:
    """Adopted collaboration projects: the group's name and the project, never its people."""
    from app.proposals.models import ADOPTED_STAGES, Proposal

    def serialize(proposal: Proposal) -> dict[str, Any]:
        return {
            "id": proposal.id,
            "title": proposal.title,
            "group": proposal.group_name,
            "department": proposal.department.code,
            "initiative": proposal.initiative.number,
            "fiscal_year": proposal.fiscal_year,
            "stage": proposal.stage.value,
            "adopted_on": to_jst(proposal.decided_at).date().isoformat()
            if proposal.decided_at
            else None,
            "city_contribution": proposal.agreement_budget,
            "url": public_url("proposals.project", proposal_id=proposal.id),
        }

    stmt = (
        sa.select(Proposal)
        .where(Proposal.stage.in_(ADOPTED_STAGES))
        .order_by(Proposal.id)
        .options(selectinload(Proposal.department), selectinload(Proposal.initiative))
    )
    return _paginate(stmt, serialize, "api.proposals")
