"""Councils (審議会), their members and meetings, and the recruitment of public members (公募委員):
calls, applications with eligibility checks, blind screening or a public lottery, appointments,
and the ratios the city reports."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.core.activity import ActivityKind, Metric, register
from app.core.demo import register_demo
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

from app.councils import demo, services, staff_views, views  # noqa: E402
from app.councils.models import RecruitmentCall  # noqa: E402

register(
    ActivityKind(
        key="councils",
        label=_l("Council recruitment"),
        model=RecruitmentCall,
        metrics=[
            Metric("calls", _l("Recruitment calls")),
            Metric("applications", _l("Applications")),
            Metric("eligible", _l("Eligible applications")),
            Metric("appointments", _l("Appointments")),
            Metric("public_share", _l("Public-seat share (%)")),
            Metric("observers", _l("Meeting observers")),
        ],
        figures=services.figures,
        records=services.records,
        list_endpoint="councils.index",
        order=30,
        attention=services.under_target,
    )
)
register_demo(demo.load_demo)

__all__ = ["bp", "review_bp", "staff_bp", "staff_views", "views"]
