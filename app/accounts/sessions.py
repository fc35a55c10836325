"""How a browser's login is carried from request to request (Flask-Login's hooks).

The login itself (a LoginSession row) is made and ended by services; this module replaces a
used remember cookie by a new one.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, session
from flask_login import current_user, user_loaded_from_cookie

from app.accounts import bp, services
from app.accounts.models import User


@user_loaded_from_cookie.connect
def replace_remember_cookie(sender: Flask, user: User, **_extra: Any) -> None:
    """A remember cookie opened a new browser session: its login is ended and a new one
    given, so a copied cookie works once at most (and then not for its owner, who notices)."""
    token = services.rotate_login(user)
    if token is not None:
        session["_user_id"] = token
        session["_remember"] = "set"


@bp.before_app_request
def load_login_first() -> None:
    """Restore a login from its remember cookie before the view runs, so that replacing the
    cookie (which commits) never commits half of a view's work."""
    if (
        "_user_id" not in session
        and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    ):
        current_user._get_current_object()
