"""Public routes: the table itself and one page per initiative."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from app.core import activity
from app.plan import bp, services


@bp.route("/")
def index() -> ResponseReturnValue:
    plan = services.current_plan()
    if plan is None:
        return render_template("plan/empty.html"), 503
    categories = services.load_table(plan)
    counts = activity.headline_counts()
    initiative_count = sum(len(r.initiatives) for c in categories for r in c.recommendations)
    return render_template(
        "plan/index.html",
        plan=plan,
        categories=categories,
        counts=counts,
        initiative_count=initiative_count,
    )


@bp.route("/initiatives/<int:number>")
def initiative(number: int) -> ResponseReturnValue:
    plan = services.current_plan() or abort(404)
    item = services.get_initiative(plan, number) or abort(404)
    figures = {
        key: values.get(item.id, {}) for key, values in activity.figures_by_initiative().items()
    }
    records = {kind.key: kind.records(item.id, 20) for kind in activity.kinds()}
    return render_template(
        "plan/initiative.html", plan=plan, initiative=item, figures=figures, records=records
    )
