"""Collaboration proposals (協働提案制度, initiative 17): yearly calls, proposals from citizen
groups, the staged review with weighted scores and a public presentation, adoption, the
agreement, the project's progress and the joint evaluation."""

from flask import Blueprint

from app.core.activity import register
from app.core.permissions import guard_blueprint, is_staff
from app.proposals.permissions import is_reviewer

bp = Blueprint("proposals", __name__, template_folder="templates", url_prefix="/proposals")
staff_bp = guard_blueprint(
    Blueprint(
        "proposals_staff", __name__, template_folder="templates", url_prefix="/staff/proposals"
    ),
    is_staff,
)
# The review committee's members are reviewers, not staff: their pages are theirs alone, and
# each checks that the reviewer is assigned to the proposal's call.
review_bp = guard_blueprint(
    Blueprint(
        "proposals_review",
        __name__,
        template_folder="templates",
        url_prefix="/staff/proposals/review",
    ),
    is_reviewer,
)

from app.proposals import activity, staff_views, views  # noqa: E402

register(activity.KIND)

__all__ = ["bp", "review_bp", "staff_bp", "staff_views", "views"]
