"""Every change to accounts goes through here: views, CLI commands and tests call these."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.accounts.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.mail import queue_mail
from app.core.permissions import Role
from app.extensions import db

# Argon2id: memory-hard, the current OWASP recommendation for password storage. The test
# suite asks for the cheapest parameters (PASSWORD_HASH_CHEAP) so that it stays fast.
_HASHERS = {
    False: PasswordHasher(),
    True: PasswordHasher.from_parameters(profiles.CHEAPEST),
}
# Verifying against this keeps the time of a failed login the same for unknown addresses.
_DUMMY_HASHES = {cheap: hasher.hash("not-a-real-password") for cheap, hasher in _HASHERS.items()}


def _cheap() -> bool:
    return bool(current_app.config.get("PASSWORD_HASH_CHEAP"))


def _hasher() -> PasswordHasher:
    return _HASHERS[_cheap()]


USER_FIELDS = ["email", "display_name", "role", "department_id", "active"]


class AccountError(ValueError):
    """A problem the user can fix; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    user = get_user_by_email(email)
    try:
        _hasher().verify(user.password_hash if user else _DUMMY_HASHES[_cheap()], password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def register_citizen(email: str, display_name: str, password: str, language: str) -> User:
    if get_user_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."), "email")
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=Role.CITIZEN,
        language=language,
    )
    db.session.add(user)
    db.session.commit()
    return user


def create_user(
    actor: User | None,
    email: str,
    display_name: str,
    role: Role,
    department_id: int | None = None,
    password: str | None = None,
    send_invitation: bool = True,
) -> User:
    """Make a staff, reviewer, admin or citizen account (admin UI and `flask users create`)."""
    if get_user_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."), "email")
    if role == Role.STAFF and department_id is None:
        raise AccountError(_("Staff accounts need a department."), "department_id")
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        role=role,
        department_id=department_id,
        # Without a password the account can only be entered through the invitation link.
        password_hash=hash_password(password) if password else "!",
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.create",
        user,
        f"created {role.value} {user.email}",
        after=audit.snapshot(user, USER_FIELDS),
    )
    if send_invitation and not password:
        _queue_password_mail(user, invitation=True)
    db.session.commit()
    return user


def update_user(actor: User, user: User, **changes: Any) -> User:
    before = audit.snapshot(user, USER_FIELDS)
    if "email" in changes:
        email = normalise_email(changes["email"])
        other = get_user_by_email(email)
        if other is not None and other.id != user.id:
            raise AccountError(_("An account with this e-mail address already exists."), "email")
        changes["email"] = email
    if changes.get("role", user.role) == Role.STAFF and not changes.get(
        "department_id", user.department_id
    ):
        raise AccountError(_("Staff accounts need a department."), "department_id")
    if user.id == actor.id and (
        changes.get("role", Role.ADMIN) != Role.ADMIN or changes.get("active") is False
    ):
        raise AccountError(_("You cannot remove your own administrator access."), "role")
    for name, value in changes.items():
        setattr(user, name, value)
    after = audit.snapshot(user, USER_FIELDS)
    if before != after:
        audit.record(actor, "user.update", user, f"updated {user.email}", before, after)
    db.session.commit()
    return user


def update_profile(user: User, display_name: str, language: str) -> None:
    user.display_name = display_name.strip()
    user.language = language
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    try:
        _hasher().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError(_("The current password is not correct."), "current_password") from None
    user.password_hash = hash_password(new)
    db.session.commit()


# Password reset ---------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    # The token is bound to the current hash, so it stops working once the password changes:
    # that is what makes it single-use.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset mail if the address has an account; say nothing either way."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    _queue_password_mail(user, invitation=False)
    db.session.commit()


def reset_password(token: str, password: str) -> User | None:
    user = user_for_reset_token(token)
    if user is None:
        return None
    user.password_hash = hash_password(password)
    db.session.commit()
    return user


def _queue_password_mail(user: User, invitation: bool) -> None:
    token = make_reset_token(user)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "accounts.reset_password", token=token
    )
    with force_locale(user.language or "ja"):
        template = "accounts/mail/invitation.txt" if invitation else "accounts/mail/reset.txt"
        subject = _("Set your Sankaku password") if invitation else _("Reset your Sankaku password")
        minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
        body = render_template(template, user=user, link=link, minutes=minutes)
    queue_mail(user.email, subject, body)
