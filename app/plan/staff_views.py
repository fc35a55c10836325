"""Admin routes for the table: edit texts, move initiatives, record action progress."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.core.forms import choices
from app.extensions import db
from app.plan import admin_bp, services
from app.plan.forms import ActionForm, InitiativeForm, ProgressForm, RecommendationForm
from app.plan.models import Action, Category, Initiative, ProgressStatus, Recommendation


@admin_bp.route("/")
def index() -> ResponseReturnValue:
    plan = services.current_plan() or abort(404)
    return render_template("plan/admin/index.html", plan=plan, categories=services.load_table(plan))


@admin_bp.route("/recommendations/<int:rec_id>", methods=["GET", "POST"])
def edit_recommendation(rec_id: int) -> ResponseReturnValue:
    recommendation = db.session.get(Recommendation, rec_id) or abort(404)
    form = RecommendationForm(obj=recommendation)
    if form.validate_on_submit():
        services.edit_texts(
            current_user,
            recommendation,
            text_ja=form.text_ja.data,
            text_en=form.text_en.data,
            policy_ja=form.policy_ja.data,
            policy_en=form.policy_en.data,
        )
        flash(_("The recommendation has been saved."), "success")
        return redirect(url_for("plan_admin.index"))
    return render_template(
        "plan/admin/recommendation_form.html", form=form, recommendation=recommendation
    )


@admin_bp.route("/initiatives/<int:initiative_id>", methods=["GET", "POST"])
def edit_initiative(initiative_id: int) -> ResponseReturnValue:
    initiative = db.session.get(Initiative, initiative_id) or abort(404)
    form = InitiativeForm(obj=initiative)
    recommendations = db.session.scalars(
        sa.select(Recommendation)
        .join(Category)
        .where(Category.plan_id == initiative.plan_id)
        .order_by(Category.position, Recommendation.position)
        .options(selectinload(Recommendation.category))
    ).all()
    form.recommendation_id.choices = choices(
        (r.id, f"{r.category.tr('name')} {r.circled_number} {r.tr('text')[:40]}")
        for r in recommendations
    )
    if form.validate_on_submit():
        target = next(r for r in recommendations if r.id == form.recommendation_id.data)
        services.edit_texts(
            current_user, initiative, title_ja=form.title_ja.data, title_en=form.title_en.data
        )
        if target.id != initiative.recommendation_id:
            services.move_initiative(current_user, initiative, target)
        flash(_("Initiative %(number)s has been saved.", number=initiative.number), "success")
        return redirect(url_for("plan_admin.index"))
    return render_template("plan/admin/initiative_form.html", form=form, initiative=initiative)


@admin_bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
def edit_action(action_id: int) -> ResponseReturnValue:
    action = db.session.get(Action, action_id) or abort(404)
    form = ActionForm(obj=action, prefix="action")
    progress_form = ProgressForm(prefix="progress")
    return render_template(
        "plan/admin/action_form.html", form=form, progress_form=progress_form, action=action
    )


@admin_bp.route("/actions/<int:action_id>/text", methods=["POST"])
def save_action(action_id: int) -> ResponseReturnValue:
    action = db.session.get(Action, action_id) or abort(404)
    form = ActionForm(prefix="action")
    if form.validate_on_submit():
        services.edit_texts(
            current_user, action, text_ja=form.text_ja.data, text_en=form.text_en.data
        )
        flash(_("The action has been saved."), "success")
        return redirect(url_for("plan_admin.edit_action", action_id=action.id))
    return render_template(
        "plan/admin/action_form.html",
        form=form,
        progress_form=ProgressForm(prefix="progress"),
        action=action,
    ), 400


@admin_bp.route("/actions/<int:action_id>/progress", methods=["POST"])
def add_progress(action_id: int) -> ResponseReturnValue:
    action = db.session.get(Action, action_id) or abort(404)
    progress_form = ProgressForm(prefix="progress")
    if progress_form.validate_on_submit():
        services.record_progress(
            current_user,
            action,
            progress_form.fiscal_year.data,
            ProgressStatus(progress_form.status.data),
            progress_form.note.data or "",
            progress_form.recorded_on.data,
        )
        flash(_("The progress has been recorded."), "success")
        return redirect(url_for("plan_admin.edit_action", action_id=action.id))
    return render_template(
        "plan/admin/action_form.html",
        form=ActionForm(obj=action, prefix="action"),
        progress_form=progress_form,
        action=action,
    ), 400
