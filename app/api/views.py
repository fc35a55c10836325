from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.core import activity
from app.plan import services as plan_services
from app.plan.models import Department


def _texts(obj: Any, field: str) -> dict[str, str]:
    return {"ja": getattr(obj, f"{field}_ja"), "en": getattr(obj, f"{field}_en")}


def _department(department: Department) -> dict[str, Any]:
    return {
        "code": department.code,
        "name": _texts(department, "name"),
        "per_ward": department.per_ward,
    }


@bp.route("/initiatives")
def initiatives() -> ResponseReturnValue:
    """The 22 initiatives with their place in the table and per-kind activity counts."""
    plan = plan_services.current_plan()
    if plan is None:
        return jsonify(plan=None, activity_kinds=[], initiatives=[])
    counts = activity.headline_counts()
    kinds = activity.kinds()
    items = []
    for category in plan_services.load_table(plan):
        for recommendation in category.recommendations:
            for initiative in recommendation.initiatives:
                item_counts = counts.get(initiative.id, {})
                items.append(
                    {
                        "number": initiative.number,
                        "title": _texts(initiative, "title"),
                        "url": url_for("plan.initiative", number=initiative.number, _external=True),
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
        plan={"code": plan.code, "title": _texts(plan, "title"), "fiscal_year": plan.fiscal_year},
        activity_kinds=[{"key": k.key, "label": str(k.label)} for k in kinds],
        initiatives=items,
    )
