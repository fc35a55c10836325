"""パブリックコメント (initiative 8): drafts, review by 広聴課, comments, summaries, results."""

from flask import Blueprint

from app.core.activity import register
from app.core.permissions import guard_blueprint, is_staff

bp = Blueprint("public_comment", __name__, template_folder="templates")
staff_bp = guard_blueprint(
    Blueprint(
        "public_comment_staff",
        __name__,
        template_folder="templates",
        url_prefix="/staff/public-comments",
    ),
    is_staff,
)

from app.public_comment import activity, staff_views, views  # noqa: E402,F401

register(activity.KIND)
