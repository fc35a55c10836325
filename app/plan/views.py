"""Public routes: the table itself and one page per initiative."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from app.core import activity
from app.plan import bp, services
from app.plan.models import Plan


@bp.route("/")
def index() -> ResponseReturnValue:
    plan = services.current_plan()
    if plan is None:
        return render_template("plan/empty.html"), 503
    # Called by the template only when its cached copy of the table is missing or stale.
    return render_template("plan/index.html", plan=plan, load_table=partial(_table, plan))


def _table(plan: Plan) -> dict[str, Any]:
    categories = services.load_table(plan)
    return {
        "categories": categories,
        "counts": activity.headline_counts(),
        "initiative_count": sum(len(r.initiatives) for c in categories for r in c.recommendations),
    }


@bp.route("/initiatives/<int:number>")
def initiative(number: int) -> ResponseReturnValue:
    plan = services.current_plan() or abort(404)
    item = services.get_initiative(plan, number) or abort(404)
    # The rest of the page is loaded only when the template's cached copy is missing or stale.
    return render_template(
        "plan/initiative.html",
        plan=plan,
        initiative=item,
        load_page=partial(_initiative_page, plan, number),
    )


def _initiative_page(plan: Plan, number: int) -> dict[str, Any]:
    item = services.get_initiative_with_actions(plan, number) or abort(404)
    return {
        "initiative": item,
        "figures": {
            key: values.get(item.id, {}) for key, values in activity.figures_by_initiative().items()
        },
        "records": {kind.key: kind.records(item.id, 20) for kind in activity.kinds()},
    }
