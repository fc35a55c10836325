"""市民の声 (initiatives 3 and 8): opinions residents send at any time, routed by 広聴課 to
the divisions concerned, answered on a deadline (with an interim answer when it cannot be
kept), published as the city's summary with its view, and followed up with how each was
reflected."""

from flask import Blueprint

from app.core.activity import register
from app.core.permissions import guard_blueprint, is_staff

bp = Blueprint("voice", __name__, template_folder="templates", url_prefix="/voice")
staff_bp = guard_blueprint(
    Blueprint("voice_staff", __name__, template_folder="templates", url_prefix="/staff/voice"),
    is_staff,
)

from app.voice import activity, staff_views, statistics, views  # noqa: E402

register(activity.KIND)

__all__ = ["bp", "staff_bp", "staff_views", "statistics", "views"]
