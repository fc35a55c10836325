"""Progress reports per initiative: the response table filled with what happened, read from
every module through the activity registry (so new kinds appear without a change here)."""

from flask import Blueprint

from app.core.permissions import guard_blueprint, is_staff

bp = Blueprint("reports", __name__, template_folder="templates")
staff_bp = guard_blueprint(
    Blueprint("reports_staff", __name__, template_folder="templates", url_prefix="/staff/reports"),
    is_staff,
)

from app.reports import staff_views, views  # noqa: E402,F401
