"""Public routes: the table itself and one page per initiative."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.core import activity
from app.core.cache import fragment_key, kept_page
from app.core.feeds import AtomEntry, atom_response, feed_url, public_path
from app.core.i18n import format_date, join_list
from app.core.urls import public_url
from app.plan import bp, services
from app.plan.models import ActionProgress, Initiative, Plan, ProgressStatus

# Entries in an initiative's feed: the newest of every kind together, as feed readers keep
# what they have seen before.
FEED_LENGTH = 50
# What the home page offers to take part in now, of each kind: the soonest few, then a link to
# the kind's list.
OPEN_NOW_PER_KIND = 3
# The home page names its actions' states in this order, the most advanced first.
STATUS_ORDER = (
    ProgressStatus.DONE,
    ProgressStatus.CONTINUING,
    ProgressStatus.IN_PROGRESS,
    ProgressStatus.NOT_STARTED,
)


@bp.route("/")
def index() -> ResponseReturnValue:
    plan = services.current_plan()
    if plan is None:
        return render_template("plan/empty.html"), 503
    # Called by the template only when its cached copy of the table is missing or stale. The
    # page is kept whole for anonymous visitors as its fragments are (per language and plan
    # revision, what is open now at most a period old): drawing its frame on every visit was
    # a third of its time at national scale.
    return kept_page(
        fragment_key("home-page", plan.id, plan.revision),
        partial(
            render_template,
            "plan/index.html",
            plan=plan,
            load_table=partial(_table, plan),
            load_open_now=partial(activity.open_now, OPEN_NOW_PER_KIND),
        ),
    )


def _table(plan: Plan) -> dict[str, Any]:
    categories = services.load_table(plan)
    initiatives = [i for c in categories for r in c.recommendations for i in r.initiatives]
    return {
        "categories": categories,
        "counts": activity.headline_counts(),
        "statuses": _action_statuses(initiatives, services.latest_progress(())),
        "initiative_count": len(initiatives),
    }


def _action_statuses(
    initiatives: list[Initiative], progress: dict[int, ActionProgress]
) -> dict[int, list[tuple[ProgressStatus, int]]]:
    """{initiative id: [(status, how many of its actions are in it now)]}, the most advanced
    first; actions with no progress recorded are left out."""
    result = {}
    for initiative in initiatives:
        counts = Counter(progress[a.id].status for a in initiative.actions if a.id in progress)
        result[initiative.id] = [(s, counts[s]) for s in STATUS_ORDER if counts[s]]
    return result


@bp.route("/initiatives/<int:number>")
def initiative(number: int) -> ResponseReturnValue:
    plan = services.current_plan() or abort(404)
    item = services.get_initiative(plan, number) or abort(404)
    # The rest of the page is loaded only when the template's cached copy is missing or stale;
    # the whole page is kept for anonymous visitors, keyed as that copy is.
    return kept_page(
        fragment_key("initiative-page", plan.id, plan.revision, number),
        partial(
            render_template,
            "plan/initiative.html",
            plan=plan,
            initiative=item,
            load_page=partial(_initiative_page, plan, number),
        ),
    )


def _initiative_page(plan: Plan, number: int) -> dict[str, Any]:
    item = services.get_initiative_with_actions(plan, number) or abort(404)
    return {
        "initiative": item,
        "figures": {
            key: values.get(item.id, {}) for key, values in activity.figures_by_initiative().items()
        },
        "records": {kind.key: kind.records(item.id, 20) for kind in activity.kinds()},
    }


@bp.route("/initiatives/<int:number>/feed.atom")
def initiative_feed(number: int) -> ResponseReturnValue:
    """All the initiative's activity, of every kind, so that a resident can follow it."""
    plan = services.current_plan() or abort(404)
    item = services.get_initiative(plan, number) or abort(404)
    entries = [
        AtomEntry(
            url=public_path(dated.record.url),
            title=_("%(label)s: %(text)s", label=dated.kind.label, text=dated.record.title),
            updated=dated.updated,
            summary=join_list(
                part
                for part in (
                    format_date(dated.record.day) if dated.record.day else "",
                    dated.record.status,
                )
                if part
            ),
            category=(dated.kind.key, str(dated.kind.label)),
        )
        for dated in activity.newest_records(item.id, FEED_LENGTH)
    ]
    return atom_response(
        title=f"{_('Initiative %(number)s', number=number)}: {item.tr('title')}",
        self_url=feed_url("plan.initiative_feed", number=number),
        page_url=public_url("plan.initiative", number=number),
        entries=entries,
    )
