"""The response table: the public home page, initiative pages and its administration."""

from flask import Blueprint

from app.core.demo import LOAD_PLAN, LOAD_PROGRESS, register_demo
from app.core.permissions import guard_blueprint
from app.plan.permissions import can_edit_plan

bp = Blueprint("plan", __name__, template_folder="templates")
admin_bp = guard_blueprint(
    Blueprint("plan_admin", __name__, template_folder="templates", url_prefix="/admin/plan"),
    can_edit_plan,
)

from app.plan import demo, staff_views, views  # noqa: E402,F401

register_demo(demo.load_plan, LOAD_PLAN)
register_demo(demo.load_progress, LOAD_PROGRESS)
