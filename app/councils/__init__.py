"""Councils (審議会), their members and meetings, and the recruitment of public members (公募委員):
calls, applications with eligibility checks, blind screening or a public lottery, appointments,
and the ratios the city reports."""

from flask import Blueprint

from app.core.activity import register
from app.core.permissions import guard_blueprint, is_staff
from app.councils.permissions import is_reviewer

bp = Blueprint("councils", __name__, template_folder="templates", url_prefix="/councils")
staff_bp = guard_blueprint(
    Blueprint(
        "councils_staff", __name__, template_folder="templates", url_prefix="/staff/councils"
    ),
    is_staff,
)
# Reviewers are neither staff nor citizens: their pages sit under /staff, open to reviewers only,
# and each page checks that the reviewer is assigned to the call.
review_bp = guard_blueprint(
    Blueprint(
        "councils_review",
        __name__,
        template_folder="templates",
        url_prefix="/staff/councils/review",
    ),
    is_reviewer,
)

from app.councils import activity, staff_views, views  # noqa: E402

register(activity.KIND)

__all__ = ["bp", "review_bp", "staff_bp", "staff_views", "views"]
