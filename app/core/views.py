"""Public routes that belong to no module: the language switch, the site's policies and the
health check."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.core.i18n import LANGUAGE_COOKIE
from app.core.urls import safe_next_url
from app.extensions import db

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/language/<code>", methods=["GET", "POST"])
def set_language(code: str) -> ResponseReturnValue:
    """A plain link for visitors (it only sets the language cookie), a button for a logged-in
    user, whose choice is also stored for their e-mail: a GET never changes stored data."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["LANGUAGES"][0]
    target = safe_next_url(request.args.get("next")) or url_for("plan.index")
    response = redirect(target)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    if request.method == "POST" and current_user.is_authenticated and current_user.language != code:
        current_user.language = code
        db.session.commit()
    return response


@bp.after_app_request
def remember_language(response: Response) -> Response:
    """A link with ?lang= (as in e-mails) switches the language for the following pages too."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        remember_language_choice(response, chosen)
    return response


def remember_language_choice(response: Response, code: str) -> Response:
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return response


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/privacy")
def privacy() -> ResponseReturnValue:
    """個人情報の取扱い: what each procedure collects, why, who sees it, how long it is kept."""
    return render_template("core/privacy.html")


@bp.route("/accessibility")
def accessibility() -> ResponseReturnValue:
    """ウェブアクセシビリティ方針 (総務省「みんなの公共サイト運用ガイドライン」)."""
    return render_template(
        "core/accessibility.html",
        policy_date=date.fromisoformat(current_app.config["ACCESSIBILITY_POLICY_DATE"]),
    )
