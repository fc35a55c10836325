"""Roles and the checks every module's permissions build on (DESIGN.md §2).

Staff and admin blueprints call `guard_blueprint` once, so every route they ever gain is
protected before its view runs; the URL-map test in tests/core proves it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.enums import LabelledEnum

F = TypeVar("F", bound=Callable[..., Any])


class Role(LabelledEnum):
    CITIZEN = "citizen", _l("Citizen")
    STAFF = "staff", _l("Staff")
    REVIEWER = "reviewer", _l("Reviewer")
    ADMIN = "admin", _l("Administrator")


STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})


def has_role(user: Any, *roles: Role) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in roles


def is_staff(user: Any) -> bool:
    return has_role(user, *STAFF_ROLES)


def is_admin(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def has_duty(user: Any, duty: str) -> bool:
    """Coordinator duties belong to staff of the department named in settings."""
    if is_admin(user):
        return True
    if not has_role(user, Role.STAFF) or user.department is None:
        return False
    return user.department.code == current_app.config["COORDINATOR_DEPARTMENTS"].get(duty)


def _deny() -> None:
    if not current_user.is_authenticated:
        # Flask-Login answers with a redirect to the login page (or 401 for the API).
        from app.extensions import login_manager

        abort(login_manager.unauthorized())
    abort(403)


def require(check: Callable[[Any], bool]) -> Callable[[], None]:
    """A before_request hook that lets a request through only when check(current_user)."""

    def hook() -> None:
        if not check(current_user):
            _deny()

    return hook


def guard_blueprint(bp: Blueprint, check: Callable[[Any], bool]) -> Blueprint:
    bp.before_request(require(check))
    return bp


def permission_required(check: Callable[[Any], bool]) -> Callable[[F], F]:
    """For single routes on public blueprints that need an account or a role."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                _deny()
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def is_authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))
