"""Public account routes: register, log in and out, reset a password, profile."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from app.accounts import bp, services
from app.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from app.accounts.models import User
from app.core.forms import show_error
from app.core.i18n import current_language
from app.core.security import configured_limit
from app.core.urls import safe_next_url
from app.extensions import limiter

_login_limit = configured_limit("LOGIN_RATE_LIMIT")
_signup_limit = configured_limit("SIGNUP_RATE_LIMIT")


def begin_login(user: User, remember: bool) -> None:
    """Log `user` in on this browser. What the browser session held before (receipts of a
    guest who used this library PC, the CSRF secret, flashes) is dropped first, so the new
    user starts from nothing and a token seen before the login is worthless after it."""
    token = services.start_login(user, remember=remember)
    session.clear()
    user.login_token = token
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("plan.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(
                _(
                    "The e-mail address or the password is not correct, or the address has "
                    "not been confirmed yet."
                )
            )
        else:
            begin_login(user, remember=bool(form.remember.data))
            flash(_("You are logged in."), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("plan.index"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        services.end_login(current_user, current_user.get_id())
    # Everything this browser session held goes with the login (receipts included).
    session.clear()
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("plan.index"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> ResponseReturnValue:
    if FlaskForm().validate_on_submit():
        services.log_out_everywhere(current_user)
        session.clear()
        logout_user()
        flash(_("You are logged out on every device."), "success")
    return redirect(url_for("plan.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            services.register_citizen(
                form.email.data, form.display_name.data, form.password.data, current_language()
            )
        except services.AccountError as error:
            show_error(form, error, "email")
        else:
            # The same page whether the address was new, already had an account (its owner is
            # mailed instead) or is waiting for confirmation: it says nothing about accounts.
            return render_template("accounts/register_sent.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/register/confirm/<token>")
def confirm_email(token: str) -> ResponseReturnValue:
    user = services.confirm_email(token)
    if user is None:
        return render_template("accounts/confirm_invalid.html"), 400
    flash(_("Your e-mail address has been confirmed. Please log in."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def request_reset() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account, so accounts stay private.
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    if services.user_for_reset_token(token) is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except services.AccountError as error:
            show_error(form, error, "password")
        else:
            if user is not None:
                session.clear()
                logout_user()
                flash(_("Your password has been set. Please log in."), "success")
                return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    form = ProfileForm(obj=current_user, prefix="profile")
    password_form = ChangePasswordForm(prefix="password")
    if "profile-display_name" in request.form and form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.language.data)
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    if "password-password" in request.form and password_form.validate_on_submit():
        try:
            services.change_password(
                current_user, password_form.current_password.data, password_form.password.data
            )
        except services.AccountError as error:
            show_error(password_form, error, "current_password")
        else:
            # Every login ended with the change, this browser's too: it gets a new one.
            begin_login(current_user._get_current_object(), remember=_remembered())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=form, password_form=password_form, logout_form=FlaskForm()
    )


def _remembered() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
