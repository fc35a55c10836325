"""Public routes: the list, the feed, a case, commenting with a confirmation step, receipts,
results. Personal data never appears here except on the submitter's own receipt."""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from app.core import clock
from app.core.cache import fragment_key, kept_page, versioned_page
from app.core.feeds import AtomEntry, atom_response, feed_url
from app.core.forms import choices
from app.core.i18n import format_datetime
from app.core.receipts import may_see_receipt, remember_receipt
from app.core.security import configured_limit
from app.core.uploads import serve_upload
from app.core.urls import public_url, query_page
from app.extensions import db, limiter
from app.plan.services import filter_choices
from app.public_comment import bp, services
from app.public_comment.forms import CaseFilterForm, CommentForm, prepare_comment_form
from app.public_comment.models import (
    CaseMaterial,
    Channel,
    Comment,
    CommentCase,
    CommentGroup,
    JobStatus,
    OpinionSummary,
    Phase,
    ReviewAction,
    SubmitterCategory,
)
from app.public_comment.permissions import can_manage

_comment_limit = configured_limit("COMMENT_RATE_LIMIT")


def _case_page() -> tuple[Any, ...]:
    """What a case's page shows besides the case and its draft: many-to-one joined into the
    case's statement. The draft's sections and materials are read only when drawn (`case`)."""
    return (
        joinedload(CommentCase.department),
        joinedload(CommentCase.initiative),
        joinedload(CommentCase.ward),
    )


def _public_case(case_id: int, *options: Any) -> CommentCase:
    """A case visitors may see, with the loader options of what the page shows."""
    case = db.session.scalar(
        sa.select(CommentCase).where(CommentCase.id == case_id).options(*options)
    )
    if case is None:
        abort(404)
    if case.status not in services.PUBLIC_STATUSES and not can_manage(current_user, case):
        abort(404)
    return case


def _filter_form() -> CaseFilterForm:
    form = CaseFilterForm(request.args)
    everything = [(0, _("All"))]
    form.department.choices = choices([*everything, *filter_choices("departments")])
    form.ward.choices = choices([*everything, *filter_choices("wards")])
    # By number, named as the current plan names it: a case under an earlier plan's initiative
    # of the same number is found too (services.CaseFilter).
    form.initiative.choices = choices([*everything, *filter_choices("initiative_numbers")])
    form.validate()
    return form


def _chosen(field: Any) -> int | None:
    """A filter's value, or None for "all" and for anything that did not validate."""
    return None if field.errors or not field.data else int(field.data)


@bp.route("/public-comments")
def index() -> ResponseReturnValue:
    form = _filter_form()
    flt = services.CaseFilter(
        department_id=_chosen(form.department),
        initiative_number=_chosen(form.initiative),
        ward_id=_chosen(form.ward),
        keyword=(form.q.data or "").strip(),
    )
    page = query_page()
    args = {
        "q": flt.keyword,
        "department": flt.department_id,
        "initiative": flt.initiative_number,
        "ward": flt.ward_id,
    }
    args = {name: value for name, value in args.items() if value}
    keyword = hashlib.sha256(flt.keyword.encode()).hexdigest()[:16] if flt.keyword else ""
    # The lists are built once a period per language, filter and page (app/core/cache.py): a
    # case may show as open up to FIGURES_CACHE_SECONDS after it closed; the comment form
    # checks the deadline itself, to the second. The unfiltered first page, where visitors
    # land, is kept whole for anonymous visitors under the same key.
    list_key = fragment_key("case-lists", *args.values(), keyword, page)
    return kept_page(
        list_key,
        partial(
            render_template,
            "public_comment/index.html",
            form=form,
            list_key=list_key,
            load_lists=partial(_lists, flt, page),
            # Links keep the filter, built from it rather than from whatever else the address had.
            filter_args=args,
        ),
    )


def _lists(flt: services.CaseFilter, page: int) -> dict[str, Any]:
    now = clock.now()
    current = services.current_cases(flt, now)
    finished = services.finished_cases(flt, now, page)
    counts = services.comment_counts([c.id for c in [*current, *finished.items]])
    groups: dict[str, list] = {"open": [], "upcoming": [], "finished": []}
    for case in current:
        phase = case.phase_at(now)
        groups["open" if phase == Phase.OPEN else "upcoming"].append(
            (case, counts.get(case.id, 0), phase)
        )
    groups["upcoming"].sort(key=lambda item: item[0].opens_at)
    groups["finished"] = [(c, counts.get(c.id, 0), c.phase_at(now)) for c in finished.items]
    return {"groups": groups, "finished": finished}


@bp.route("/public-comments/feed.atom")
def feed() -> ResponseReturnValue:
    cases = services.latest_cases(50)
    approved = services.approval_times([case.id for case in cases])
    entries = [
        AtomEntry(
            url=public_url("public_comment.case", case_id=case.id),
            title=case.tr("title"),
            updated=case.updated_at,
            # A case is public from its approval, before it opens: dating it by its opening
            # would publish it in the future. Cases made without the review (imported ones)
            # fall back to their opening or last change, whichever came first.
            published=approved.get(case.id, min(case.opens_at, case.updated_at)),
            summary=_(
                "%(opens)s – %(closes)s: %(summary)s",
                opens=format_datetime(case.opens_at),
                closes=format_datetime(case.closes_at),
                summary=case.summary,
            ),
        )
        for case in cases
    ]
    return atom_response(
        title=f"{_('Sankaku')}: {_('Public comment')}",
        self_url=feed_url("public_comment.feed"),
        page_url=public_url("public_comment.index"),
        entries=entries,
    )


@bp.route("/public-comments/<int:case_id>")
def case(case_id: int) -> ResponseReturnValue:
    item = _public_case(case_id, *_case_page())
    now = clock.now()
    # The draft (its sections and materials) cannot change once the case is public
    # (services._require_draft), and a case's every change of status stamps it: drawn once per
    # case and language, until the case changes. A draft its staff preview is drawn each time.
    public = item.status in services.PUBLIC_STATUSES
    phase = item.phase_at(now)
    render = partial(
        render_template,
        "public_comment/case.html",
        case=item,
        phase=phase,
        now=now,
        draft_key=fragment_key("case-draft", item.id, item.updated_at.isoformat())
        if public
        else None,
    )
    if not public:
        return render()
    # Besides the case (stamped by its every change) the page shows its phase and, while it is
    # open, the days left, which change with the city's date: with those in the key it is kept
    # whole for anonymous visitors and revalidated by their browsers (app/core/cache.py), as
    # the results are. It was the dearest public page left to draw (issue 23).
    return versioned_page(
        fragment_key(
            "case-page",
            item.id,
            item.updated_at.timestamp(),
            phase.value,
            clock.today().isoformat() if phase == Phase.OPEN else "",
        ),
        render,
    )


@bp.route("/public-comments/<int:case_id>/materials/<int:material_id>")
def material(case_id: int, material_id: int) -> ResponseReturnValue:
    item = _public_case(case_id)
    found = db.session.get(CaseMaterial, material_id)
    if found is None or found.case_id != item.id:
        abort(404)
    return serve_upload(found.file)


def _comment_form(item: CommentCase) -> CommentForm:
    return prepare_comment_form(CommentForm(), item)


@bp.route("/public-comments/<int:case_id>/comment", methods=["GET", "POST"])
@limiter.limit(_comment_limit, methods=["POST"])
def comment(case_id: int) -> ResponseReturnValue:
    """Form → confirmation (確認画面) → stored with a receipt number, as Japanese forms do."""
    # No loader options: posting is the busiest request, and building a statement's options
    # costs more than the one small query each page step that needs sections or labels makes.
    item = _public_case(case_id)
    # Judged at the time the request reached the site, so a send queued at the deadline counts.
    received = clock.received_at()
    phase = item.phase_at(received)
    if phase != Phase.OPEN:
        return render_template("public_comment/closed.html", case=item, phase=phase), 403
    form = _comment_form(item)
    action = request.form.get("action", "confirm")
    if request.method == "POST" and action != "edit" and form.validate_on_submit():
        if action == "confirm":
            return render_template("public_comment/confirm.html", case=item, form=form)
        data = services.CommentInput(
            submitter_category=SubmitterCategory(form.submitter_category.data),
            name=form.name.data,
            address=form.address.data,
            body=form.body.data,
            email=form.email.data or "",
            phone=form.phone.data or "",
            organisation=form.organisation.data or "",
            representative=form.representative.data or "",
            section_id=form.section_id.data or None,
        )
        try:
            stored, _created = services.submit_comment(
                item.id,
                data,
                form.submission_token.data,
                user=current_user if current_user.is_authenticated else None,
                received_at=received,
            )
        except services.WindowClosedError as error:
            return render_template(
                "public_comment/closed.html",
                case=item,
                phase=item.phase_at(clock.now()),
                message=str(error),
            ), 403
        # The ids as known at commit: reading them off the committed objects would load the
        # comment and the case again (three statements on the busiest request of the site).
        stored_id = sa.inspect(stored).identity[0]
        remember_receipt("public_comment", stored_id)
        return redirect(url_for("public_comment.receipt", case_id=case_id, comment_id=stored_id))
    return render_template("public_comment/comment_form.html", case=item, form=form)


@bp.route("/public-comments/<int:case_id>/receipts/<int:comment_id>")
def receipt(case_id: int, comment_id: int) -> ResponseReturnValue:
    """The submitter's own receipt: shown only in the browser session that submitted it, or to
    the account that submitted it."""
    stored = db.session.get(Comment, comment_id)
    if stored is None or stored.case_id != case_id:
        abort(404)
    if not may_see_receipt("public_comment", comment_id, stored.user_id):
        abort(404)
    return render_template("public_comment/receipt.html", case=stored.case, comment=stored)


@bp.route("/public-comments/<int:case_id>/results")
def results(case_id: int) -> ResponseReturnValue:
    item = _public_case(case_id, joinedload(CommentCase.department))
    if item.status.value not in ("published", "abandoned"):
        abort(404)
    # Published results change seldom; every change to them touches the case (updated_at),
    # so the fragment is rebuilt at once, and a browser's copy revalidated (app/core/cache.py).
    page = query_page()
    results_key = fragment_key("results", item.id, item.updated_at.timestamp(), page)
    return versioned_page(
        results_key,
        partial(
            render_template,
            "public_comment/results.html",
            case=item,
            results_key=results_key,
            load_results=partial(_results, item, page),
        ),
    )


def _results(item: CommentCase, page: int) -> dict[str, Any]:
    summaries = db.session.scalars(
        sa.select(OpinionSummary)
        .where(OpinionSummary.case_id == item.id)
        .order_by(OpinionSummary.position, OpinionSummary.id)
        .options(selectinload(OpinionSummary.section))
    ).all()
    # Groups labelled as campaigns are published once, with the number of comments.
    campaigns = {
        g.id: g
        for g in db.session.scalars(
            sa.select(CommentGroup).where(
                CommentGroup.case_id == item.id, CommentGroup.is_campaign.is_(True)
            )
        )
    }
    return {
        "summaries": summaries,
        "comments": services.published_comments(item.id, page),
        "figures": services.results_figures(item.id),
        "campaigns": campaigns,
    }


@bp.route("/public-comments/mine")
@login_required
def mine() -> ResponseReturnValue:
    rows = db.session.scalars(
        sa.select(Comment)
        .where(Comment.user_id == current_user.id)
        .order_by(Comment.received_at.desc())
        .options(selectinload(Comment.case))
    ).all()
    return render_template("public_comment/mine.html", comments=rows)


@bp.app_template_global()
def phase_label(phase: str) -> str:
    return Phase(phase).label


@bp.app_template_global()
def channel_label(channel: str) -> str:
    return Channel(channel).label


@bp.app_template_global()
def submitter_label(category: str) -> str:
    return SubmitterCategory(category).label


@bp.app_template_global()
def review_label(action: str) -> str:
    return ReviewAction(action).label


@bp.app_template_global()
def job_label(status: str) -> str:
    return JobStatus(status).label
