"""The read-only JSON API (`/api/v1`): the plan, figures per initiative, and the lists each
activity kind serves (public comment cases and results, sessions, councils, projects: the
kinds' manifests, read from the registry). Never carries personal data. GET answers carry an
ETag and CORS headers; lists are paginated. The OpenAPI 3.1 document (openapi.py) describes
every response."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.openapi import openapi_document
from app.core import activity
from app.core.activity import ActivityFilter, ApiList
from app.core.cache import fragment_key, kept_page
from app.core.feeds import conditional
from app.core.urls import public_url
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import Department, Initiative, Plan, Ward

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
    stmt: sa.Select[Any],
    serialize: Callable[[Sequence[Any]], list[dict[str, Any]]],
    endpoint: str,
    rows: bool = False,
    **args: Any,
) -> Response:
    """One page of a statement: items, page, per_page, total and the next page's URL, with a
    Link header (RFC 8288) to the first, previous, next and last pages. `serialize` turns the
    page's items into JSON, all at once. With rows=True the statement selects several columns
    and each item is the row whole."""
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
        items=serialize(items),
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
    # Unfiltered (no query) the answer is the same for everyone until the figures' period ends:
    # kept whole, as /reports is, instead of built again from the cached figures for each
    # request (7 round trips and 132 lookups; issue 23's ninth round measured it the slowest
    # public answer). The plan's revision is in the key, so an edit to the table shows at once.
    key = fragment_key("api-figures", current.id, current.revision)
    body = kept_page(key, partial(_figures_json, flt, current))
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


def _figures_json(flt: ActivityFilter, current: Plan) -> str:
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
    ).get_data(as_text=True)


def _collection(path: str) -> ApiList:
    """The list some activity kind serves at `path`; 404 for a path no kind serves."""
    for kind in activity.kinds():
        for collection in kind.api:
            if collection.path == path:
                return collection
    abort(404)


# Each activity kind's lists (its manifest's `api`): the API iterates over the registry, so a
# kind added to it is served here, and described in the OpenAPI document, with no line changed.
@bp.route("/<collection>")
def collection(collection: str) -> ResponseReturnValue:
    listed = _collection(f"/{collection}")
    return _paginate(
        listed.query(), listed.serialize, "api.collection", rows=listed.rows, collection=collection
    )


@bp.route("/<collection>/<int:item_id>")
def collection_item(collection: str, item_id: int) -> ResponseReturnValue:
    listed = _collection(f"/{collection}")
    body = listed.item.load(item_id) if listed.item is not None else None
    if body is None:
        abort(404)
    return jsonify(body)
