"""Consultations (参加の場): workshops, PI consultations, ward round tables, briefings and
seminars, with registration, waiting lists, attendance and published records."""

from flask import Blueprint

from app.core.activity import register
from app.core.permissions import guard_blueprint, is_staff

bp = Blueprint("consultations", __name__, template_folder="templates", url_prefix="/consultations")
staff_bp = guard_blueprint(
    Blueprint(
        "consultations_staff",
        __name__,
        template_folder="templates",
        url_prefix="/staff/consultations",
    ),
    is_staff,
)

from app.consultations import activity, staff_views, views  # noqa: E402,F401

register(activity.KIND)
