"""Staff reports: the internal figures as well, and a dashboard of what needs attention."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from app.core import activity
from app.reports import staff_bp
from app.reports.views import export_report, render_report


@staff_bp.route("/")
def index() -> ResponseReturnValue:
    return render_report(internal=True)


@staff_bp.route("/export.<fmt>")
def export(fmt: str) -> ResponseReturnValue:
    return export_report(fmt, internal=True)


@staff_bp.route("/attention")
def attention() -> ResponseReturnValue:
    items = {kind.key: kind.attention(50) for kind in activity.kinds() if kind.attention}
    return render_template("reports/attention.html", items=items, kinds=activity.kinds())
