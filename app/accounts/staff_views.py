"""Admin routes for accounts: list, create and edit users (guarded in __init__.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import admin_bp, services
from app.accounts.forms import UserFilterForm, UserForm
from app.accounts.models import User
from app.core.forms import choices, show_error
from app.core.permissions import Role
from app.extensions import db
from app.plan.services import department_choices


def _user_form(**kwargs: object) -> UserForm:
    form = UserForm(**kwargs)
    form.department_id.choices = choices([(0, _("— none —")), *department_choices()])
    return form


@admin_bp.route("/")
def list_users() -> ResponseReturnValue:
    filters = UserFilterForm(request.args)
    # An unknown role (a hand-edited address) is shown as the form's own error, unfiltered.
    valid = filters.validate()
    stmt = sa.select(User).order_by(User.role, User.email)
    if valid and filters.q.data:
        pattern = f"%{filters.q.data.strip().lower()}%"
        stmt = stmt.where(sa.or_(User.email.ilike(pattern), User.display_name.ilike(pattern)))
    if valid and filters.role.data:
        stmt = stmt.where(User.role == Role(filters.role.data))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("accounts/admin/users.html", page=page, filters=filters)


@admin_bp.route("/new", methods=["GET", "POST"])
def create_user() -> ResponseReturnValue:
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                email=form.email.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                department_id=form.department_id.data or None,
            )
        except services.AccountError as error:
            show_error(form, error, "email")
        else:
            flash(
                _(
                    "The account has been created and an invitation e-mailed to %(email)s.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("accounts_admin.list_users"))
    return render_template("accounts/admin/user_form.html", form=form, user=None)


@admin_bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(
        obj=user,
        data=None
        if request.method == "POST"
        else {"role": user.role.value, "department_id": user.department_id or 0},
    )
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                email=form.email.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                department_id=form.department_id.data or None,
                active=form.active.data,
            )
        except services.AccountError as error:
            show_error(form, error, "email")
        else:
            flash(_("The account has been saved."), "success")
            return redirect(url_for("accounts_admin.list_users"))
    return render_template("accounts/admin/user_form.html", form=form, user=user)
