"""パブリックコメント (initiative 8): drafts, review by 広聴課, comments, summaries, results."""

from flask import Blueprint
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from app.core.activity import ActivityKind, Metric, register
from app.core.demo import register_demo
from app.core.dispositions import DEFAULT_DISPOSITIONS
from app.core.i18n import current_language
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

from app.public_comment import activity, demo, staff_views, views  # noqa: E402,F401
from app.public_comment.models import CommentCase  # noqa: E402


def _disposition_label(japanese: str, english: str) -> LazyString:
    return LazyString(
        lambda: gettext(
            "Comments answered: %(name)s", name=english if current_language() == "en" else japanese
        )
    )


# One column per default disposition (修正, 一部修正, 既記載, 説明, 参考, その他).
DISPOSITION_METRICS = [
    Metric(f"disposition_{code}", _disposition_label(japanese, english))
    for code, japanese, english in DEFAULT_DISPOSITIONS
]

register(
    ActivityKind(
        key="public_comment",
        label=_l("Public comment"),
        model=CommentCase,
        metrics=[
            Metric("cases", _l("Cases")),
            Metric("comments", _l("Comments")),
            Metric("people", _l("People who commented")),
            Metric("answered_share", _l("Share of comments answered (%)")),
            Metric("reflected", _l("Comments reflected in the plan")),
            Metric("days_to_results", _l("Average days from closing to results")),
            *DISPOSITION_METRICS,
        ],
        figures=activity.figures,
        records=activity.records,
        list_endpoint="public_comment.index",
        order=10,
        attention=activity.attention,
        extra={"open_data": [("Atom", "public_comment.feed")]},
    )
)
register_demo(demo.load_demo)
