"""Staff routes (guarded in __init__.py): divisions run their cases, 広聴課 reviews them.

Each view loads its objects, checks the module's permissions, then acts through services.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.dispositions import active_dispositions
from app.core.forms import choices, show_error
from app.core.i18n import jst_to_utc, to_jst
from app.extensions import db
from app.plan.models import Initiative
from app.plan.services import department_choices, ward_choices
from app.public_comment import services, staff_bp
from app.public_comment.forms import (
    AssignGroupForm,
    CaseForm,
    MaterialForm,
    MergeGroupForm,
    NoteForm,
    PaperCommentForm,
    ReasonForm,
    RedactForm,
    ResultsForm,
    SectionForm,
    SummaryForm,
    prepare_comment_form,
    section_choices,
)
from app.public_comment.grouping import diff_segments
from app.public_comment.models import (
    PUBLIC_COMMENT_INITIATIVE,
    CaseStatus,
    Channel,
    Comment,
    CommentCase,
    CommentCluster,
    CommentGroup,
    DraftSection,
    GroupingJob,
    OpinionSummary,
    SubmitterCategory,
)
from app.public_comment.permissions import can_choose_department, can_manage, can_review


def _case_or_404(case_id: int) -> CommentCase:
    case = db.session.get(CommentCase, case_id)
    if case is None:
        abort(404)
    if not can_manage(current_user, case):
        abort(403)
    return case


@staff_bp.route("/")
def index() -> ResponseReturnValue:
    stmt = (
        sa.select(CommentCase)
        .order_by(CommentCase.opens_at.desc())
        .options(selectinload(CommentCase.department), selectinload(CommentCase.initiative))
    )
    if not can_review(current_user):
        stmt = stmt.where(CommentCase.department_id == current_user.department_id)
    cases = db.session.scalars(stmt).all()
    queue = []
    if can_review(current_user):
        queue = [c for c in cases if c.status in (CaseStatus.IN_REVIEW, CaseStatus.RESULTS_REVIEW)]
    return render_template(
        "public_comment/staff/index.html", cases=cases, queue=queue, now=clock.now()
    )


def _case_form(case: CommentCase | None) -> CaseForm:
    data = None
    if case is not None and request.method == "GET":
        data = {
            "opens_on": to_jst(case.opens_at).date(),
            "opens_time": to_jst(case.opens_at).time(),
            "closes_on": to_jst(case.closes_at).date(),
            "closes_time": to_jst(case.closes_at).time(),
            "ward_id": case.ward_id or 0,
        }
    form = CaseForm(obj=case, data=data)
    if case is None and request.method == "GET":
        form.department_id.data = current_user.department_id
        form.initiative_id.data = db.session.scalar(
            sa.select(Initiative.id).where(Initiative.number == PUBLIC_COMMENT_INITIATIVE)
        )
    departments = department_choices()
    if not can_choose_department(current_user):
        departments = [d for d in departments if d[0] == current_user.department_id]
    form.department_id.choices = choices(departments)
    form.initiative_id.choices = choices(
        (i.id, f"{i.number}. {i.tr('title')}")
        for i in db.session.scalars(sa.select(Initiative).order_by(Initiative.number))
    )
    form.ward_id.choices = choices([(0, _("City-wide")), *ward_choices()])
    return form


def _case_fields(form: CaseForm) -> dict[str, Any]:
    opens_at = jst_to_utc(form.opens_on.data, form.opens_time.data.replace(second=0))
    closes_at = jst_to_utc(form.closes_on.data, form.closes_time.data.replace(second=0))
    return {
        "title": form.title.data,
        "title_en": form.title_en.data or "",
        "summary": form.summary.data,
        "purpose": form.purpose.data or "",
        "legal_basis": form.legal_basis.data or "",
        "who_may_comment": form.who_may_comment.data,
        "channels": form.channels.data,
        "postal_address": form.postal_address.data or "",
        "fax": form.fax.data or "",
        "email": form.email.data or "",
        "opens_at": opens_at,
        "closes_at": closes_at,
        "short_period_reason": form.short_period_reason.data or "",
        "initiative_id": form.initiative_id.data,
        "department_id": form.department_id.data,
        "ward_id": form.ward_id.data or None,
    }


@staff_bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    if current_user.department_id is None and not can_choose_department(current_user):
        abort(403)
    form = _case_form(None)
    if form.validate_on_submit():
        try:
            case = services.create_case(current_user, **_case_fields(form))
        except services.PublicCommentError as error:
            show_error(form, error)
        else:
            flash(
                _("The draft case has been saved. Add the draft's sections and materials."),
                "success",
            )
            return redirect(url_for("public_comment_staff.case", case_id=case.id))
    return render_template("public_comment/staff/case_form.html", form=form, case=None)


@staff_bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    form = _case_form(case)
    if form.validate_on_submit():
        try:
            services.update_case(current_user, case, **_case_fields(form))
        except services.PublicCommentError as error:
            show_error(form, error)
        else:
            flash(_("The case has been saved."), "success")
            return redirect(url_for("public_comment_staff.case", case_id=case.id))
    return render_template("public_comment/staff/case_form.html", form=form, case=case)


def _render_case(case: CommentCase, status: int = 200, **forms: Any) -> ResponseReturnValue:
    comments = db.session.scalars(
        sa.select(Comment)
        .where(Comment.case_id == case.id)
        .order_by(Comment.receipt_number)
        .options(selectinload(Comment.summaries))
    ).all()
    summaries = db.session.scalars(
        sa.select(OpinionSummary)
        .where(OpinionSummary.case_id == case.id)
        .order_by(OpinionSummary.position)
        .options(selectinload(OpinionSummary.comments))
    ).all()
    defaults = {
        "section_form": SectionForm(prefix="section"),
        "material_form": MaterialForm(prefix="material"),
        "note_form": NoteForm(prefix="review"),
        "results_form": ResultsForm(prefix="results", obj=case),
        "abandon_form": ReasonForm(prefix="abandon"),
    }
    defaults.update(forms)
    return render_template(
        "public_comment/staff/case.html",
        case=case,
        phase=case.phase_at(clock.now()),
        comments=comments,
        summaries=summaries,
        coverage=services.coverage(case.id),
        can_review=can_review(current_user),
        **defaults,
    ), status


@staff_bp.route("/<int:case_id>")
def case(case_id: int) -> ResponseReturnValue:
    return _render_case(_case_or_404(case_id))


@staff_bp.route("/<int:case_id>/sections", methods=["POST"])
def add_section(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    form = SectionForm(prefix="section")
    if form.validate_on_submit():
        try:
            services.add_section(current_user, case, form.heading.data, form.body.data)
        except services.PublicCommentError as error:
            flash(str(error), "error")
        return redirect(url_for("public_comment_staff.case", case_id=case.id) + "#sections")
    return _render_case(case, 400, section_form=form)


@staff_bp.route("/sections/<int:section_id>", methods=["GET", "POST"])
def edit_section(section_id: int) -> ResponseReturnValue:
    section = db.session.get(DraftSection, section_id) or abort(404)
    case = _case_or_404(section.case_id)
    form = SectionForm(obj=section)
    if form.validate_on_submit():
        try:
            services.update_section(current_user, section, form.heading.data, form.body.data)
        except services.PublicCommentError as error:
            show_error(form, error)
        else:
            return redirect(url_for("public_comment_staff.case", case_id=case.id) + "#sections")
    return render_template("public_comment/staff/section_form.html", form=form, case=case)


@staff_bp.route("/<int:case_id>/materials", methods=["POST"])
def add_material(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    form = MaterialForm(prefix="material")
    if form.validate_on_submit():
        try:
            services.add_material(
                current_user, case, form.title.data, form.file.data, form.url.data or ""
            )
        except services.PublicCommentError as error:
            show_error(form, error)
        else:
            flash(_("The material has been added."), "success")
            return redirect(url_for("public_comment_staff.case", case_id=case.id) + "#materials")
    return _render_case(case, 400, material_form=form)


@staff_bp.route("/<int:case_id>/submit", methods=["POST"])
def submit_for_review(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    if NoteForm(prefix="review").validate_on_submit():
        try:
            services.submit_for_review(current_user, case)
            flash(_("The case has been sent to the Public Hearing Division for review."), "success")
        except services.PublicCommentError as error:
            flash(str(error), "error")
    return redirect(url_for("public_comment_staff.case", case_id=case.id))


@staff_bp.route("/<int:case_id>/review", methods=["POST"])
def review(case_id: int) -> ResponseReturnValue:
    """広聴課 approves or returns the schedule and materials, or the results."""
    case = _case_or_404(case_id)
    if not can_review(current_user):
        abort(403)
    form = NoteForm(prefix="review")
    if form.validate_on_submit():
        decision = request.form.get("decision")
        actions = {
            ("approve", CaseStatus.IN_REVIEW): services.approve_case,
            ("return", CaseStatus.IN_REVIEW): services.return_case,
            ("approve", CaseStatus.RESULTS_REVIEW): services.approve_results,
            ("return", CaseStatus.RESULTS_REVIEW): services.return_results,
        }
        act = actions.get((decision, case.status))
        if act is None:
            abort(400)
        try:
            act(current_user, case, form.note.data or "")
        except services.PublicCommentError as error:
            show_error(form, error)
            return _render_case(case, 400, note_form=form)
        flash(_("Your decision has been recorded."), "success")
    return redirect(url_for("public_comment_staff.case", case_id=case.id))


def _paper_form(case: CommentCase) -> PaperCommentForm:
    return prepare_comment_form(PaperCommentForm(), case)


@staff_bp.route("/<int:case_id>/comments/new", methods=["GET", "POST"])
def enter_comment(case_id: int) -> ResponseReturnValue:
    """Comments that arrived by post, fax, e-mail or in person."""
    case = _case_or_404(case_id)
    form = _paper_form(case)
    if form.validate_on_submit():
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
        # A date received counts as received during that day (Japan time).
        received_at = jst_to_utc(form.received_on.data, time(12, 0))
        try:
            stored, _created = services.submit_comment(
                case.id,
                data,
                form.submission_token.data,
                channel=Channel(form.channel.data),
                entered_by=current_user,
                received_at=received_at,
                late_reason=form.late_reason.data or "",
            )
        except services.PublicCommentError as error:
            show_error(form, error)
        else:
            flash(_("Comment %(code)s has been entered.", code=stored.receipt_code), "success")
            return redirect(url_for("public_comment_staff.case", case_id=case.id) + "#comments")
    return render_template("public_comment/staff/paper_form.html", form=form, case=case)


@staff_bp.route("/comments/<int:comment_id>", methods=["GET", "POST"])
def comment(comment_id: int) -> ResponseReturnValue:
    stored = db.session.get(Comment, comment_id) or abort(404)
    case = _case_or_404(stored.case_id)
    redact_form = RedactForm(
        prefix="redact",
        data=None
        if request.method == "POST"
        else {
            "redacted_body": stored.redacted_body or stored.body,
            "reason": stored.redaction_reason,
        },
    )
    scope_form = ReasonForm(
        prefix="scope",
        data=None if request.method == "POST" else {"reason": stored.out_of_scope_reason},
    )
    try:
        if "redact-reason" in request.form and redact_form.validate_on_submit():
            services.redact_comment(
                current_user, stored, redact_form.redacted_body.data, redact_form.reason.data
            )
            flash(_("The redaction has been saved."), "success")
            return redirect(url_for("public_comment_staff.comment", comment_id=stored.id))
        if "scope-reason" in request.form and scope_form.validate_on_submit():
            services.set_out_of_scope(current_user, stored, scope_form.reason.data)
            flash(_("The comment has been marked out of scope."), "success")
            return redirect(url_for("public_comment_staff.comment", comment_id=stored.id))
    except services.PublicCommentError as error:
        show_error(redact_form, error)
    return render_template(
        "public_comment/staff/comment.html",
        comment=stored,
        case=case,
        redact_form=redact_form,
        scope_form=scope_form,
    )


def _summary_form(case: CommentCase, summary: OpinionSummary | None) -> SummaryForm:
    data = None
    if summary is not None and request.method == "GET":
        data = {
            "comment_ids": [c.id for c in summary.comments],
            "section_id": summary.section_id or 0,
        }
    elif summary is None and request.method == "GET":
        data = {"comment_ids": request.args.getlist("comment", type=int)}
    form = SummaryForm(obj=summary, data=data)
    form.disposition_id.choices = choices((d.id, d.tr("name")) for d in active_dispositions())
    form.section_id.choices = section_choices(case)
    comments = db.session.scalars(
        sa.select(Comment).where(Comment.case_id == case.id).order_by(Comment.receipt_number)
    ).all()
    form.comment_ids.choices = choices(
        (c.id, f"{c.receipt_code}: {c.public_body[:80]}") for c in comments
    )
    return form


@staff_bp.route("/<int:case_id>/summaries/new", methods=["GET", "POST"])
@staff_bp.route("/<int:case_id>/summaries/<int:summary_id>", methods=["GET", "POST"])
def summary(case_id: int, summary_id: int | None = None) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    existing = None
    if summary_id is not None:
        existing = db.session.get(OpinionSummary, summary_id)
        if existing is None or existing.case_id != case.id:
            abort(404)
    form = _summary_form(case, existing)
    if form.validate_on_submit():
        try:
            services.save_summary(
                current_user,
                case,
                existing,
                text=form.summary.data,
                city_view=form.city_view.data,
                disposition_id=form.disposition_id.data,
                section_id=form.section_id.data or None,
                comment_ids=form.comment_ids.data or [],
            )
        except services.PublicCommentError as error:
            show_error(form, error)
        else:
            flash(_("The summary has been saved."), "success")
            return redirect(url_for("public_comment_staff.case", case_id=case.id) + "#summaries")
    return render_template(
        "public_comment/staff/summary_form.html", form=form, case=case, summary=existing
    )


@staff_bp.route("/<int:case_id>/results", methods=["POST"])
def submit_results(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    form = ResultsForm(prefix="results")
    if form.validate_on_submit():
        try:
            services.submit_results(current_user, case, form.changes.data, form.decision_date.data)
        except services.PublicCommentError as error:
            show_error(form, error)
            return _render_case(case, 400, results_form=form)
        flash(
            _("The results have been sent to the Public Hearing Division for approval."), "success"
        )
        return redirect(url_for("public_comment_staff.case", case_id=case.id))
    return _render_case(case, 400, results_form=form)


@staff_bp.route("/<int:case_id>/abandon", methods=["POST"])
def abandon(case_id: int) -> ResponseReturnValue:
    case = _case_or_404(case_id)
    form = ReasonForm(prefix="abandon")
    if form.validate_on_submit():
        try:
            services.abandon_case(current_user, case, form.reason.data)
        except services.PublicCommentError as error:
            show_error(form, error)
            return _render_case(case, 400, abandon_form=form)
        flash(_("The case has been abandoned; this is published."), "success")
        return redirect(url_for("public_comment_staff.case", case_id=case.id))
    return _render_case(case, 400, abandon_form=form)


@staff_bp.route("/<int:case_id>/groups", methods=["GET", "POST"])
def groups(case_id: int) -> ResponseReturnValue:
    """Groups of identical and near-identical comments, largest first."""
    case = _case_or_404(case_id)
    form = NoteForm(prefix="groups")
    total = (
        db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.case_id == case.id))
        or 0
    )
    if form.validate_on_submit():
        if total > current_app.config["GROUPING_SYNC_LIMIT"]:
            # Large cases would hold a web worker too long: `flask public-comments work`
            # (cron) runs them, about 30 s for 100,000 comments, and this page shows progress.
            services.request_grouping(current_user, case.id)
            flash(
                _(
                    "Grouping %(count)s comments has been queued; this page shows its progress.",
                    count=total,
                ),
                "success",
            )
        else:
            found = services.group_comments(case.id, actor=current_user)
            flash(_("Found %(count)s groups.", count=found), "success")
        return redirect(url_for("public_comment_staff.groups", case_id=case.id))
    found = db.session.scalars(
        sa.select(CommentGroup)
        .where(CommentGroup.case_id == case.id)
        .order_by(CommentGroup.size.desc(), CommentGroup.id)
        .options(selectinload(CommentGroup.representative))
    ).all()
    grouped = sum(g.size for g in found)
    clusters = db.session.scalars(
        sa.select(CommentCluster)
        .where(CommentCluster.case_id == case.id)
        .order_by(CommentCluster.size.desc(), CommentCluster.id)
    ).all()
    job = db.session.scalar(
        sa.select(GroupingJob).where(GroupingJob.case_id == case.id).order_by(GroupingJob.id.desc())
    )
    return render_template(
        "public_comment/staff/groups.html",
        case=case,
        groups=found,
        form=form,
        total=total,
        grouped=grouped,
        sections=services.comments_per_section(case.id),
        clusters=clusters,
        job=job,
        to_check=services.paraphrases_to_check(case.id),
    )


def _assign_form(case: CommentCase) -> tuple[list[OpinionSummary], AssignGroupForm]:
    """The case's summaries, and the form that answers a whole group or topic with one."""
    summaries = db.session.scalars(
        sa.select(OpinionSummary)
        .where(OpinionSummary.case_id == case.id)
        .order_by(OpinionSummary.position)
    ).all()
    form = AssignGroupForm(prefix="assign")
    form.summary_id.choices = choices(
        (s.id, f"#{s.position + 1} {s.summary[:60]}") for s in summaries
    )
    return list(summaries), form


@staff_bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
def comment_group(group_id: int) -> ResponseReturnValue:
    found = db.session.get(CommentGroup, group_id) or abort(404)
    case = _case_or_404(found.case_id)
    summaries, assign_form = _assign_form(case)
    campaign_form = NoteForm(prefix="campaign")
    merge_form = MergeGroupForm(prefix="merge")
    others = db.session.scalars(
        sa.select(CommentGroup)
        .where(CommentGroup.case_id == case.id, CommentGroup.id != found.id)
        .order_by(CommentGroup.size.desc())
        .options(selectinload(CommentGroup.representative))
    ).all()
    merge_form.group_id.choices = choices(
        (g.id, f"{g.size}: {g.representative.body[:50]}") for g in others
    )
    try:
        if "merge-group_id" in request.form and merge_form.validate_on_submit():
            other = db.session.get(CommentGroup, merge_form.group_id.data) or abort(404)
            services.merge_groups(current_user, found, other)
            return redirect(url_for("public_comment_staff.comment_group", group_id=found.id))
        if "split-comment_id" in request.form and campaign_form.validate_on_submit():
            member = _member_or_400(found, "split-comment_id")
            services.split_from_group(current_user, member)
            flash(_("%(code)s was taken out of the group.", code=member.receipt_code), "success")
            if db.session.get(CommentGroup, group_id) is None:
                return redirect(url_for("public_comment_staff.groups", case_id=case.id))
            return redirect(url_for("public_comment_staff.comment_group", group_id=found.id))
        if "confirm-comment_id" in request.form and campaign_form.validate_on_submit():
            member = _member_or_400(found, "confirm-comment_id")
            services.confirm_in_group(current_user, member)
            flash(
                _("%(code)s is confirmed as part of the group.", code=member.receipt_code),
                "success",
            )
            return redirect(url_for("public_comment_staff.comment_group", group_id=found.id))
        if "assign-summary_id" in request.form and assign_form.validate_on_submit():
            summary = db.session.get(OpinionSummary, assign_form.summary_id.data)
            added = services.assign_group(current_user, found, summary)
            flash(_("%(count)s comments are now answered by the summary.", count=added), "success")
            return redirect(url_for("public_comment_staff.comment_group", group_id=found.id))
        if "campaign-note" in request.form and campaign_form.validate_on_submit():
            services.set_campaign(current_user, found, not found.is_campaign)
            return redirect(url_for("public_comment_staff.comment_group", group_id=found.id))
    except services.PublicCommentError as error:
        flash(str(error), "error")
    members = db.session.scalars(
        sa.select(Comment).where(Comment.group_id == found.id).order_by(Comment.receipt_number)
    ).all()
    representative = found.representative.body
    return render_template(
        "public_comment/staff/group.html",
        case=case,
        group=found,
        members=members,
        decisions=services.member_decisions(found.id),
        diffs={m.id: diff_segments(representative, m.body) for m in members},
        assign_form=assign_form,
        campaign_form=campaign_form,
        summaries=summaries,
        merge_form=merge_form,
        others=others,
    )


def _member_or_400(found: CommentGroup, field: str) -> Comment:
    """The group's member named in the form (a stale page may name one taken out since)."""
    member_id = request.form.get(field, type=int)
    member = db.session.get(Comment, member_id) if member_id is not None else None
    if member is None or member.group_id != found.id:
        abort(400)
    return member


@staff_bp.route("/clusters/<int:cluster_id>", methods=["GET", "POST"])
def comment_cluster(cluster_id: int) -> ResponseReturnValue:
    found = db.session.get(CommentCluster, cluster_id) or abort(404)
    case = _case_or_404(found.case_id)
    summaries, assign_form = _assign_form(case)
    if assign_form.validate_on_submit():
        summary = db.session.get(OpinionSummary, assign_form.summary_id.data)
        try:
            added = services.assign_cluster(current_user, found, summary)
        except services.PublicCommentError as error:
            flash(str(error), "error")
        else:
            flash(_("%(count)s comments are now answered by the summary.", count=added), "success")
        return redirect(url_for("public_comment_staff.comment_cluster", cluster_id=found.id))
    members = db.session.scalars(
        sa.select(Comment).where(Comment.cluster_id == found.id).order_by(Comment.receipt_number)
    ).all()
    return render_template(
        "public_comment/staff/cluster.html",
        case=case,
        cluster=found,
        members=members,
        assign_form=assign_form,
        summaries=summaries,
    )
