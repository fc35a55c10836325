"""Surveys, the citizens' panel (2000人市民委員会) and participant feedback (initiatives 3, 9,
18 and 19): questionnaires drafted by a division and approved by 広聴課, answered with one-time
codes or openly, and results the city can publish safely (weighted, with margins of error,
small cells suppressed, samples never pooled)."""

from flask import Blueprint

from app.core.activity import register
from app.core.permissions import guard_blueprint, is_staff

bp = Blueprint("surveys", __name__, template_folder="templates", url_prefix="/surveys")
staff_bp = guard_blueprint(
    Blueprint("surveys_staff", __name__, template_folder="templates", url_prefix="/staff/surveys"),
    is_staff,
)

from app.surveys import activity, results, staff_views, views  # noqa: E402

register(activity.KIND)

__all__ = ["bp", "results", "staff_bp", "staff_views", "views"]
