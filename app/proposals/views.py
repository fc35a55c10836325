"""Public routes (calls, adopted projects, figures) and the group's own pages (drafts, submission,
the stage timeline, progress reports and the group's evaluation). Nothing public carries the
representative's name, address or contact details."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.forms import choices, show_error
from app.core.uploads import serve_upload
from app.extensions import db
from app.plan import services as plan_services
from app.plan.services import initiative_from_query
from app.proposals import bp, services
from app.proposals.forms import (
    BUDGET_ROWS,
    EvaluationForm,
    ProposalForm,
    ReportForm,
    SubmitForm,
    WithdrawForm,
)
from app.proposals.models import (
    ELIGIBILITY_LABELS,
    EXCLUSION_LABELS,
    Proposal,
    ProposalCall,
    ReportKind,
    Stage,
)
from app.proposals.permissions import can_edit, owns


def _public_call(call_id: int) -> ProposalCall:
    call = db.session.get(ProposalCall, call_id)
    if call is None or not call.published:
        abort(404)
    return call


def _own(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not owns(current_user, proposal):
        abort(404)
    return proposal


@bp.route("/")
def index() -> ResponseReturnValue:
    initiative = initiative_from_query()
    now = clock.now()
    calls = services.public_calls()
    if initiative is not None:
        calls = [c for c in calls if c.initiative_id == initiative.id]
    return render_template(
        "proposals/index.html",
        open_calls=[c for c in calls if c.closes_at >= now],
        past_calls=[c for c in calls if c.closes_at < now],
        projects=services.projects(limit=10),
        totals=services.totals(),
        initiative=initiative,
        now=now,
    )


@bp.route("/calls/<int:call_id>")
def call(call_id: int) -> ResponseReturnValue:
    item = _public_call(call_id)
    decided = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.call_id == item.id, Proposal.decided_at.is_not(None))
        .order_by(Proposal.number)
    ).all()
    return render_template(
        "proposals/call.html",
        call=item,
        adopted=[p for p in decided if p.is_project],
        rejected=[p for p in decided if p.stage is Stage.REJECTED],
        eligibility_labels=ELIGIBILITY_LABELS,
        exclusion_labels=EXCLUSION_LABELS,
        now=clock.now(),
    )


PROJECTS_PER_PAGE = 50


@bp.route("/projects")
def projects() -> ResponseReturnValue:
    page = db.paginate(services.projects_query(), per_page=PROJECTS_PER_PAGE, error_out=False)
    return render_template("proposals/projects.html", projects=page.items, page=page)


@bp.route("/projects/<int:proposal_id>")
def project(proposal_id: int) -> ResponseReturnValue:
    item = db.session.get(Proposal, proposal_id)
    if item is None or not item.is_project:
        abort(404)
    criteria, total, reviewers = services.score_summary(item)
    return render_template(
        "proposals/project.html",
        proposal=item,
        criteria=criteria,
        total=total,
        reviewers=reviewers,
    )


# The group's pages ------------------------------------------------------------------------


def _prepare(form: ProposalForm, call: ProposalCall) -> None:
    if call.themes:
        form.theme_id.choices = choices(
            [(0, _("Choose a theme")), *((t.id, t.tr("title")) for t in call.themes)]
        )
        del form.department_id
    else:
        del form.theme_id
        form.department_id.choices = choices(
            [(0, _("Choose a division")), *plan_services.department_choices()]
        )
    while len(form.budget.entries) < BUDGET_ROWS:
        form.budget.append_entry()


def _budget(form: ProposalForm) -> list[services.BudgetEntry]:
    return [
        services.BudgetEntry(row.item.data, row.amount.data, row.city_share.data, number)
        for number, row in enumerate(form.budget, start=1)
        if row.item.data
    ]


def _values(form: ProposalForm) -> dict[str, Any]:
    names = [
        "group_name",
        "representative",
        "members",
        "founded_on",
        "address",
        "phone",
        "email",
        "activity_record",
        "title",
        "summary",
        "problem",
        "plan",
        "schedule",
        "group_role",
        "city_role",
        "eligibility",
        "declarations",
    ]
    values = {name: form[name].data for name in names}
    if "theme_id" in form:
        values["theme_id"] = form.theme_id.data or None
    else:
        values["department_id"] = form.department_id.data or None
    return values


def _edit(call: ProposalCall, proposal: Proposal | None) -> ResponseReturnValue:
    if not call.accepts_drafts(clock.now()):
        flash(_("This call is closed."), "error")
        return redirect(url_for("proposals.call", call_id=call.id))
    form = ProposalForm(obj=proposal)
    if not form.is_submitted() and proposal is None:
        form.email.data = current_user.email
    if not form.is_submitted() and proposal is not None:
        # The model keeps `budget_lines`, which the form's `budget` rows cannot read by name:
        # without this, going back from the confirmation page would empty the budget.
        while form.budget.entries:
            form.budget.pop_entry()
        for line in proposal.budget_lines:
            form.budget.append_entry(
                {"item": line.item, "amount": line.amount, "city_share": line.city_share}
            )
    _prepare(form, call)
    valid = form.validate_on_submit()
    if form.is_submitted():
        # The service's own rules (budget, theme or division) beside the fields' errors: one
        # submit reports everything; save_draft applies them again.
        for error in services.draft_errors(call, _budget(form), _values(form)):
            show_error(form, error)
            valid = False
    if valid:
        upload = form.attachment.data if getattr(form.attachment.data, "filename", "") else None
        try:
            saved = services.save_draft(
                current_user, call, proposal, _budget(form), attachment=upload, **_values(form)
            )
        except services.ProposalError as error:
            show_error(form, error)
        else:
            flash(_("Your draft has been saved. Nothing is sent until you submit it."), "success")
            if request.form.get("action") == "check":
                return redirect(url_for("proposals.submit", proposal_id=saved.id))
            return redirect(url_for("proposals.mine", proposal_id=saved.id))
    return render_template(
        "proposals/form.html",
        call=call,
        form=form,
        proposal=proposal,
        max_contribution=call.max_contribution,
        submittable=call.is_open(clock.now()),
    )


@bp.route("/calls/<int:call_id>/new", methods=["GET", "POST"])
@login_required
def new(call_id: int) -> ResponseReturnValue:
    return _edit(_public_call(call_id), None)


@bp.route("/mine/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    if not can_edit(current_user, proposal):
        flash(_("A submitted proposal can no longer be changed."), "error")
        return redirect(url_for("proposals.mine", proposal_id=proposal.id))
    return _edit(proposal.call, proposal)


@bp.route("/mine")
@login_required
def my_proposals() -> ResponseReturnValue:
    items = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.user_id == current_user.id)
        .options(selectinload(Proposal.call))
        .order_by(Proposal.id.desc())
    ).all()
    return render_template("proposals/mine_list.html", proposals=items)


@bp.route("/mine/<int:proposal_id>")
@login_required
def mine(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    return render_template(
        "proposals/mine.html",
        proposal=proposal,
        call=proposal.call,
        missing=services.missing_declarations(proposal),
        withdraw_form=WithdrawForm(),
        report_form=ReportForm(),
        evaluation_form=EvaluationForm(),
        now=clock.now(),
    )


def _act(proposal_id: int, action: Any, success: str) -> ResponseReturnValue:
    try:
        action()
    except services.ProposalError as error:
        flash(str(error), "error")
    else:
        flash(success, "success")
    return redirect(url_for("proposals.mine", proposal_id=proposal_id))


@bp.route("/mine/<int:proposal_id>/submit", methods=["GET", "POST"])
@login_required
def submit(proposal_id: int) -> ResponseReturnValue:
    """Draft → confirmation (確認画面) → submitted with its receipt number. Submitting cannot be
    undone, so the group sees the whole proposal as the city will receive it first; a post
    that did not come from that page (no `confirmed`) only shows it."""
    proposal = _own(proposal_id)
    if not proposal.editable:
        return redirect(url_for("proposals.mine", proposal_id=proposal.id))
    form = SubmitForm()
    if form.validate_on_submit() and form.confirmed.data:
        try:
            services.submit(current_user, proposal.id)
        except services.ProposalError as error:
            flash(str(error), "error")
            return redirect(url_for("proposals.mine", proposal_id=proposal.id))
        return redirect(url_for("proposals.receipt", proposal_id=proposal.id))
    return render_template(
        "proposals/confirm.html",
        proposal=proposal,
        call=proposal.call,
        form=SubmitForm(formdata=None, confirmed="y"),
        missing=services.missing_declarations(proposal),
        eligibility_labels=ELIGIBILITY_LABELS,
        exclusion_labels=EXCLUSION_LABELS,
        now=clock.now(),
    )


@bp.route("/mine/<int:proposal_id>/receipt")
@login_required
def receipt(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    if proposal.receipt_number is None:
        return redirect(url_for("proposals.mine", proposal_id=proposal.id))
    return render_template("proposals/receipt.html", proposal=proposal, call=proposal.call)


@bp.route("/mine/<int:proposal_id>/consult", methods=["POST"])
@login_required
def consult(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    return _act(
        proposal.id,
        lambda: services.request_consultation(current_user, proposal.id),
        _("The Citizen Collaboration Division will contact you about your draft."),
    )


@bp.route("/mine/<int:proposal_id>/withdraw", methods=["POST"])
@login_required
def withdraw(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for withdrawing."), "error")
        return redirect(url_for("proposals.mine", proposal_id=proposal.id))
    return _act(
        proposal.id,
        lambda: services.withdraw(current_user, proposal.id, form.reason.data),
        _("Your proposal has been withdrawn. It is kept on record."),
    )


@bp.route("/mine/<int:proposal_id>/reports", methods=["POST"])
@login_required
def report(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Write the report before sending it."), "error")
        return redirect(url_for("proposals.mine", proposal_id=proposal.id))
    return _act(
        proposal.id,
        lambda: services.add_report(current_user, proposal, ReportKind.PROGRESS, form.text.data),
        _("Your progress report has been published on the project's page."),
    )


@bp.route("/mine/<int:proposal_id>/evaluation", methods=["POST"])
@login_required
def evaluation(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    form = EvaluationForm()
    if not form.validate_on_submit():
        flash(_("Write the evaluation before sending it."), "error")
        return redirect(url_for("proposals.mine", proposal_id=proposal.id))
    return _act(
        proposal.id,
        lambda: services.evaluate(current_user, proposal, "group", form.text.data),
        _("Your evaluation has been recorded."),
    )


@bp.route("/mine/<int:proposal_id>/attachment")
@login_required
def attachment(proposal_id: int) -> ResponseReturnValue:
    proposal = _own(proposal_id)
    if proposal.attachment is None:
        abort(404)
    return serve_upload(proposal.attachment)
