"""Staff routes: 市民協働課 runs calls and the review; a division sees and answers only the
proposals addressed to it; the review committee scores under /staff/proposals/review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.consultations.forms import SessionForm
from app.core import clock
from app.core.forms import choices, show_error
from app.core.i18n import form_to_utc, utc_to_form
from app.core.permissions import Role
from app.core.uploads import serve_upload
from app.extensions import db
from app.plan import services as plan_services
from app.proposals import review_bp, services, staff_bp
from app.proposals.forms import (
    AgreementForm,
    CallForm,
    CompleteForm,
    ConfirmForm,
    DecisionForm,
    EvaluationForm,
    ForwardForm,
    NoteForm,
    OpinionForm,
    OptionalNoteForm,
    ReportForm,
    ReviewerForm,
    ThemeForm,
    format_criteria,
    score_form,
)
from app.proposals.models import (
    ROUND_STAGE,
    UNDER_REVIEW_STAGES,
    Proposal,
    ProposalCall,
    ProposalReviewer,
    ReportKind,
    Round,
    Stage,
    default_criteria,
)
from app.proposals.permissions import can_review, can_see, runs_scheme


def _require_scheme() -> None:
    if not runs_scheme(current_user):
        abort(403)


def _call(call_id: int) -> ProposalCall:
    return db.session.get(ProposalCall, call_id) or abort(404)


def _proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id) or abort(404)
    if not can_see(current_user, proposal):
        abort(404)  # not 403: a division does not learn of proposals addressed elsewhere
    return proposal


def _departments() -> list[Any]:
    return choices(plan_services.department_choices())


STAFF_PER_PAGE = 50


@staff_bp.route("/")
def index() -> ResponseReturnValue:
    scheme = runs_scheme(current_user)
    stmt = (
        sa.select(Proposal)
        .where(Proposal.stage != Stage.DRAFT)
        .options(selectinload(Proposal.call), selectinload(Proposal.department))
        .order_by(Proposal.id.desc())
    )
    if not scheme:
        stmt = stmt.where(
            Proposal.department_id == current_user.department_id,
            Proposal.stage.not_in([Stage.CONSULTING]),
        )
    calls = (
        db.session.scalars(sa.select(ProposalCall).order_by(ProposalCall.closes_at.desc())).all()
        if scheme
        else []
    )
    page = db.paginate(stmt, per_page=STAFF_PER_PAGE, error_out=False)
    return render_template(
        "proposals/staff/index.html", proposals=page.items, page=page, calls=calls, scheme=scheme
    )


def _call_form(form: CallForm, item: ProposalCall | None) -> ResponseReturnValue | None:
    form.department_id.choices = _departments()
    form.initiative_id.choices = choices(plan_services.initiative_choices())
    if not form.is_submitted():
        if item is not None:
            for name in (
                "opens_at",
                "closes_at",
                "consultation_opens_at",
                "consultation_closes_at",
            ):
                form[name].data = utc_to_form(getattr(item, name))
            form.criteria_text.data = format_criteria(item.criteria)
        else:
            form.criteria_text.data = format_criteria(default_criteria())
            form.initiative_id.data = services.collaboration_initiative_id()
            if current_user.department_id:
                form.department_id.data = current_user.department_id
    if not form.validate_on_submit():
        return None
    values = {
        "title_ja": form.title_ja.data,
        "title_en": form.title_en.data or "",
        "summary_ja": form.summary_ja.data,
        "summary_en": form.summary_en.data or "",
        "call_type": form.call_type.data,
        "opens_at": form_to_utc(form.opens_at.data),
        "closes_at": form_to_utc(form.closes_at.data),
        "consultation_opens_at": form_to_utc(form.consultation_opens_at.data),
        "consultation_closes_at": form_to_utc(form.consultation_closes_at.data),
        "max_contribution": form.max_contribution.data,
        "department_id": form.department_id.data,
        "initiative_id": form.initiative_id.data,
        "criteria": form.parsed_criteria,
    }
    try:
        saved = services.save_call(current_user, item, **values)
    except services.ProposalError as error:
        field = {
            "closes_date": "closes_at",
            "consultation_closes_date": "consultation_closes_at",
            "criteria": "criteria_text",
        }
        error.field = field.get(error.field or "", error.field)
        show_error(form, error)
        return None
    flash(_("The call has been saved."), "success")
    return redirect(url_for("proposals_staff.call", call_id=saved.id))


@staff_bp.route("/calls/new", methods=["GET", "POST"])
def new_call() -> ResponseReturnValue:
    _require_scheme()
    form = CallForm()
    done = _call_form(form, None)
    return done or render_template("proposals/staff/call_form.html", form=form, call=None)


@staff_bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
def edit_call(call_id: int) -> ResponseReturnValue:
    _require_scheme()
    item = _call(call_id)
    form = CallForm(obj=item)
    done = _call_form(form, item)
    return done or render_template("proposals/staff/call_form.html", form=form, call=item)


@staff_bp.route("/calls/<int:call_id>")
def call(call_id: int) -> ResponseReturnValue:
    _require_scheme()
    return _call_page(_call(call_id))


def _call_page(item: ProposalCall, session_form: SessionForm | None = None) -> str:
    """The staff page of a call; `session_form` is the presentation form sent back with its
    errors beside its fields."""
    theme_form = ThemeForm()
    theme_form.department_id.choices = _departments()
    reviewer_form = ReviewerForm()
    reviewers = db.session.scalars(
        sa.select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.id)
    )
    reviewer_form.reviewer_id.choices = choices((u.id, u.display_name) for u in reviewers)
    if session_form is None:
        session_form = SessionForm(formdata=None)
        session_form.offer_choices()
    assigned = db.session.scalars(
        sa.select(ProposalReviewer)
        .where(ProposalReviewer.call_id == item.id)
        .options(selectinload(ProposalReviewer.reviewer))
    ).all()
    return render_template(
        "proposals/staff/call.html",
        call=item,
        theme_form=theme_form,
        reviewer_form=reviewer_form,
        session_form=session_form,
        confirm=ConfirmForm(),
        assigned=assigned,
        document=services.ranking(item, Round.DOCUMENT),
        final=services.ranking(item, Round.FINAL),
    )


@staff_bp.route("/calls/<int:call_id>/publish", methods=["POST"])
def publish_call(call_id: int) -> ResponseReturnValue:
    _require_scheme()
    services.publish_call(current_user, _call(call_id))
    flash(_("The call is published."), "success")
    return redirect(url_for("proposals_staff.call", call_id=call_id))


@staff_bp.route("/calls/<int:call_id>/themes", methods=["POST"])
def add_theme(call_id: int) -> ResponseReturnValue:
    _require_scheme()
    item = _call(call_id)
    form = ThemeForm()
    form.department_id.choices = _departments()
    if form.validate_on_submit():
        services.add_theme(
            current_user,
            item,
            department_id=form.department_id.data,
            title_ja=form.title_ja.data,
            title_en=form.title_en.data or "",
            description_ja=form.description_ja.data or "",
            description_en=form.description_en.data or "",
        )
        flash(_("The theme has been added."), "success")
    else:
        flash(_("Give the theme a Japanese title."), "error")
    return redirect(url_for("proposals_staff.call", call_id=item.id))


@staff_bp.route("/calls/<int:call_id>/reviewers", methods=["POST"])
def add_reviewer(call_id: int) -> ResponseReturnValue:
    _require_scheme()
    item = _call(call_id)
    reviewer = db.session.get(User, request.form.get("reviewer_id", type=int) or 0)
    if reviewer is None or reviewer.role != Role.REVIEWER:
        flash(_("Choose a reviewer."), "error")
    else:
        services.assign_reviewer(current_user, item, reviewer)
        flash(_("The reviewer has been assigned."), "success")
    return redirect(url_for("proposals_staff.call", call_id=item.id))


@staff_bp.route("/calls/<int:call_id>/presentation", methods=["POST"])
def presentation(call_id: int) -> ResponseReturnValue:
    _require_scheme()
    item = _call(call_id)
    form = SessionForm()
    form.offer_choices()
    if not form.validate_on_submit():
        return _call_page(item, form)
    try:
        services.schedule_presentation(current_user, item, **form.session_values())
    except services.ProposalError as error:
        db.session.rollback()
        show_error(form, error)
        return _call_page(_call(call_id), form)
    flash(_("The public presentation is scheduled and open for registration."), "success")
    return redirect(url_for("proposals_staff.call", call_id=item.id))


def _proposal_page(item: Proposal, posted: Any = None) -> str:
    """The staff page of a proposal; `posted` is a step's form sent back with its errors beside
    its fields and what was typed, in place of the blank one."""
    forms = {
        "note": NoteForm(formdata=None),
        "forward": ForwardForm(formdata=None),
        "opinion": OpinionForm(formdata=None),
        "decision": DecisionForm(formdata=None),
        "final": OptionalNoteForm(formdata=None),
        "agreement": AgreementForm(formdata=None, budget=item.city_share),
        "midterm": ReportForm(formdata=None),
        "complete": CompleteForm(formdata=None),
        "evaluation": EvaluationForm(formdata=None),
    }
    for key, form in forms.items():
        if posted is not None and type(form) is type(posted):
            forms[key] = posted
    blockers = (
        services.adoption_blockers(item, clock.now()) if item.stage is Stage.FINAL_REVIEW else []
    )
    return render_template(
        "proposals/staff/proposal.html",
        proposal=item,
        call=item.call,
        scheme=runs_scheme(current_user),
        forms=forms,
        blockers=blockers,
        document=services.scores_for(item, Round.DOCUMENT),
        final=services.scores_for(item, Round.FINAL),
        Stage=Stage,
    )


@staff_bp.route("/<int:proposal_id>")
def proposal(proposal_id: int) -> ResponseReturnValue:
    return _proposal_page(_proposal(proposal_id))


def _step(
    proposal_id: int,
    form_class: type,
    act: Callable[[Proposal, Any], None],
    success: str,
    scheme_only: bool = True,
) -> ResponseReturnValue:
    item = _proposal(proposal_id)
    if scheme_only and not runs_scheme(current_user):
        abort(403)
    form = form_class()
    if not form.validate_on_submit():
        return _proposal_page(item, form)
    try:
        act(item, form)
    except services.ProposalError as error:
        db.session.rollback()
        show_error(form, error)
        item = _proposal(proposal_id)
        return _proposal_page(item, form)
    flash(success, "success")
    return redirect(url_for("proposals_staff.proposal", proposal_id=item.id))


@staff_bp.route("/<int:proposal_id>/note", methods=["POST"])
def note(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        NoteForm,
        lambda p, f: services.record_consultation_note(current_user, p, f.note.data),
        _("The note has been recorded; the group sees it."),
    )


@staff_bp.route("/<int:proposal_id>/forward", methods=["POST"])
def forward(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        ForwardForm,
        lambda p, f: services.forward_to_division(
            current_user, p, f.eligible.data == "yes", f.note.data or ""
        ),
        _("The proposal has moved on."),
    )


@staff_bp.route("/<int:proposal_id>/opinion", methods=["POST"])
def opinion(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        OpinionForm,
        lambda p, f: services.record_division_opinion(
            current_user, p, f.feasible.data == "yes", f.opinion.data
        ),
        _("The division's opinion has been recorded."),
        scheme_only=False,
    )


@staff_bp.route("/<int:proposal_id>/document", methods=["POST"])
def document(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        DecisionForm,
        lambda p, f: services.document_result(
            current_user, p, f.outcome.data == "yes", f.reason.data or ""
        ),
        _("The result of the document review has been recorded."),
    )


@staff_bp.route("/<int:proposal_id>/final", methods=["POST"])
def final(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        OptionalNoteForm,
        lambda p, f: services.open_final_review(current_user, p),
        _("The final review is open to the committee."),
    )


@staff_bp.route("/<int:proposal_id>/decide", methods=["POST"])
def decide(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        DecisionForm,
        lambda p, f: services.decide(current_user, p, f.outcome.data == "yes", f.reason.data or ""),
        _("The decision has been recorded and published."),
    )


@staff_bp.route("/<int:proposal_id>/agreement", methods=["POST"])
def agreement(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        AgreementForm,
        lambda p, f: services.conclude_agreement(
            current_user, p, f.agreed_on.data, f.roles.data, f.budget.data
        ),
        _("The agreement has been recorded; the project is under way."),
    )


@staff_bp.route("/<int:proposal_id>/midterm", methods=["POST"])
def midterm(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        ReportForm,
        lambda p, f: services.add_report(current_user, p, ReportKind.MIDTERM, f.text.data),
        _("The mid-term review has been published."),
        scheme_only=False,
    )


@staff_bp.route("/<int:proposal_id>/complete", methods=["POST"])
def complete(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        CompleteForm,
        lambda p, f: services.complete(current_user, p, f.completed_on.data),
        _("The project is recorded as completed."),
        scheme_only=False,
    )


@staff_bp.route("/<int:proposal_id>/evaluation", methods=["POST"])
def evaluation(proposal_id: int) -> ResponseReturnValue:
    return _step(
        proposal_id,
        EvaluationForm,
        lambda p, f: services.evaluate(current_user, p, "division", f.text.data),
        _("The division's evaluation has been recorded."),
        scheme_only=False,
    )


@staff_bp.route("/<int:proposal_id>/attachment")
def attachment(proposal_id: int) -> ResponseReturnValue:
    item = _proposal(proposal_id)
    if item.attachment is None:
        abort(404)
    return serve_upload(item.attachment)


# The review committee -------------------------------------------------------------------


@review_bp.route("/")
def review_index() -> ResponseReturnValue:
    calls = db.session.scalars(
        sa.select(ProposalCall)
        .join(ProposalReviewer, ProposalReviewer.call_id == ProposalCall.id)
        .where(ProposalReviewer.reviewer_id == current_user.id)
        .order_by(ProposalCall.closes_at.desc())
    ).all()
    proposals = db.session.scalars(
        sa.select(Proposal)
        .where(
            Proposal.call_id.in_([c.id for c in calls]),
            Proposal.stage.in_([Stage.DOCUMENT_REVIEW, Stage.FINAL_REVIEW]),
        )
        .order_by(Proposal.call_id, Proposal.number)
    ).all()
    return render_template("proposals/review/index.html", calls=calls, proposals=proposals)


@review_bp.route("/<int:proposal_id>/<round_>", methods=["GET", "POST"])
def score(proposal_id: int, round_: str) -> ResponseReturnValue:
    item = db.session.get(Proposal, proposal_id) or abort(403)
    try:
        stage_round = Round(round_)
    except ValueError:
        abort(404)
    if not can_review(current_user, item.call_id):
        abort(403)  # as for councils: reviewers see only the calls they are assigned to
    if item.stage not in UNDER_REVIEW_STAGES | {Stage.ADOPTED, Stage.REJECTED}:
        abort(404)
    names = item.call.criterion_names()
    form = score_form(names)
    mine = services.own_score(current_user, item, stage_round)
    if mine is None and form.validate_on_submit():
        points = [f.data for f in form.criteria_fields]
        if not form.conflict.data and any(p is None for p in points):
            for f in form.criteria_fields:
                if f.data is None:
                    f.errors = [*f.errors, _("Give a score from 0 to 5.")]
        else:
            try:
                services.record_score(
                    current_user,
                    item,
                    stage_round,
                    [p or 0 for p in points],
                    conflict=bool(form.conflict.data),
                    comment=form.comment.data or "",
                )
            except services.ProposalError as error:
                flash(str(error), "error")
            else:
                flash(_("Your scores have been recorded."), "success")
                return redirect(
                    url_for("proposals_review.score", proposal_id=item.id, round_=round_)
                )
    return render_template(
        "proposals/review/score.html",
        proposal=item,
        round=stage_round,
        form=form,
        mine=mine,
        names=names,
        others=_others_seen_by(mine, item, stage_round),
        open_round=item.stage is ROUND_STAGE[stage_round],
    )


def _others_seen_by(mine: Any, item: Proposal, stage_round: Round) -> list[Any]:
    """Others' scores only once this reviewer has scored: seeing them first would anchor the
    judgement. A reviewer who declared a conflict scored nothing, so while the round is open
    they see none either (they could pass them on to the group or to the other reviewers)."""
    if mine is None or (mine.conflict and item.stage is ROUND_STAGE[stage_round]):
        return []
    return services.scores_for(item, stage_round)
