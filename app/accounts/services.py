"""Every change to accounts goes through here: views, CLI commands and tests call these."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from zxcvbn import zxcvbn

from app.accounts.models import LoginSession, User
from app.core import audit, clock
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.mail import queue_mail
from app.core.permissions import Role
from app.core.urls import public_url
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


class AccountError(DomainError):
    """A request the account rules refuse (core.errors.DomainError)."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The account these credentials open, or None; a failure is audited (with the address
    typed, so that a run of guesses against one account shows in the log)."""
    user = get_user_by_email(email)
    try:
        _hasher().verify(user.password_hash if user else _DUMMY_HASHES[_cheap()], password)
        verified = True
    except (VerificationError, InvalidHashError):
        verified = False
    if user is None or not verified or not user.active or user.email_confirmed_at is None:
        audit.record(None, "login.failed", user, f"failed login for {normalise_email(email)}")
        db.session.commit()
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# Logins: one row per browser, so that each one can be ended ------------------------------
# Their lifetimes run on the one clock (core.clock), like every deadline: a test that moves
# the clock far past a login logs in again, as a person would.


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(user: User, remember: bool = False, reason: str = "login") -> str:
    """Record a new login for `user` and return its token (what the session and remember
    cookies carry); commits. Flask-Login's login_user is called by the view after this."""
    now = clock.now()
    config = current_app.config
    lifetime = (
        timedelta(seconds=config["REMEMBER_COOKIE_DURATION"])
        if remember
        else timedelta(hours=config["LOGIN_HOURS"])
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_token_hash(token),
            remember=remember,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    if reason == "login":
        user.last_login_at = now
        audit.record(user, "login", user, f"logged in {user.email}")
    user.login_token = token
    db.session.commit()
    return token


def load_login(token: str) -> User | None:
    """The user of a live login (one statement: the login joined with its user), or None."""
    now = clock.now()
    login = db.session.scalar(
        sa.select(LoginSession).where(
            LoginSession.token_hash == _token_hash(token),
            LoginSession.expires_at > now,
            sa.or_(LoginSession.ended_at.is_(None), LoginSession.ended_at > now),
        )
    )
    if login is None or not login.user.active:
        return None
    login.user.login_token = token
    return login.user


# A remember cookie that was replaced keeps working this long, for the other requests a
# browser sends at the same moment with the old cookie (tabs restored at start-up).
ROTATION_GRACE = timedelta(seconds=60)


def rotate_login(user: User) -> str | None:
    """A remember cookie was used: replace its login by a new one, so a copied cookie is good
    for one use at most. Returns the new token, or None when another request rotated it."""
    old_hash = _token_hash(user.login_token or "")
    ended = db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == old_hash, LoginSession.ended_at.is_(None))
        .values(ended_at=clock.now() + ROTATION_GRACE, ended_reason="rotated")
    ).rowcount
    if not ended:
        db.session.rollback()
        return None
    return start_login(user, remember=True, reason="rotated")


def end_login(user: User, token: str | None, reason: str = "logout") -> None:
    """Log out: this browser's login ends (its cookies and every copy of them)."""
    if token:
        db.session.execute(
            sa.update(LoginSession)
            .where(LoginSession.token_hash == _token_hash(token))
            .values(ended_at=clock.now(), ended_reason=reason)
        )
    audit.record(user, "logout", user, f"logged out {user.email}")
    db.session.commit()


def end_all_logins(user: User, reason: str) -> int:
    """End every login of `user` on every browser; the caller commits."""
    now = clock.now()
    return db.session.execute(
        sa.update(LoginSession)
        .where(
            LoginSession.user_id == user.id,
            sa.or_(LoginSession.ended_at.is_(None), LoginSession.ended_at > now),
        )
        .values(ended_at=now, ended_reason=reason)
    ).rowcount


def log_out_everywhere(user: User) -> None:
    ended = end_all_logins(user, "everywhere")
    audit.record(user, "logout.everywhere", user, f"ended {ended} logins of {user.email}")
    db.session.commit()


# Registration: the address is confirmed by e-mail before the account can log in ------------


def register_citizen(email: str, display_name: str, password: str, language: str) -> User | None:
    """Make a citizen account and mail a confirmation link. For an address that has an account
    already, nothing is made and its owner is told by mail instead, so the page a visitor sees
    says nothing about which addresses have accounts."""
    email = normalise_email(email)
    check_password_strength(password, email, display_name)
    begin_write()
    existing = get_user_by_email(email)
    if existing is not None and existing.email_confirmed_at is None:
        _queue_confirmation(existing)  # the first link may have been lost or expired
        db.session.commit()
        return None
    if existing is not None:
        _queue_account_mail(
            existing,
            "accounts/mail/already_registered.txt",
            _known_subject,
            login=public_url("accounts.login"),
            reset=public_url("accounts.request_reset"),
        )
        db.session.commit()
        return None
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=Role.CITIZEN,
        language=language,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # The same address registered at the same moment by another request: that one wins.
        db.session.rollback()
        return None
    audit.record(user, "user.register", user, f"registered {user.email}")
    _queue_confirmation(user)
    db.session.commit()
    return user


def _queue_confirmation(user: User) -> None:
    _queue_account_mail(
        user,
        "accounts/mail/confirm.txt",
        _confirm_subject,
        link=public_url("accounts.confirm_email", token=_confirm_serializer().dumps(user.id)),
        hours=current_app.config["CONFIRM_EMAIL_MAX_AGE"] // 3600,
    )


def _confirm_subject() -> str:
    return _("Confirm your e-mail address for Sankaku")


def _known_subject() -> str:
    return _("Your Sankaku account")


def _changed_subject() -> str:
    return _("Your Sankaku password has been changed")


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def confirm_email(token: str) -> User | None:
    """Confirm the address a link was sent to; None for a broken or expired link."""
    try:
        user_id = _confirm_serializer().loads(
            token, max_age=current_app.config["CONFIRM_EMAIL_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = clock.now()
        audit.record(user, "user.confirm", user, f"confirmed {user.email}")
        db.session.commit()
    return user


def _queue_account_mail(user: User, template: str, subject: Any, **context: Any) -> None:
    """A mail to an account's owner, in the owner's language."""
    with force_locale(user.language or "ja"):
        body = render_template(template, user=user, **context)
        queue_mail(user.email, subject(), body)


# At least this long; common and guessable passwords are refused whatever their length.
MIN_PASSWORD_LENGTH = 12
# zxcvbn's score 3: more than 10^8 guesses, also counting dictionaries of common passwords,
# names, keyboard walks, repeats and dates (NIST SP 800-63B asks for a check against such
# lists).
MIN_PASSWORD_SCORE = 3


def check_password_strength(password: str, *personal: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH), "password"
        )
    # The address and name themselves, and their parts, are as guessable as a common word.
    inputs = [*personal, *(part for value in personal for part in value.replace("@", " ").split())]
    if zxcvbn(password[:100], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(
            _(
                "This password is too easy to guess: it is a common password or follows a "
                "simple pattern. A few unrelated words make a strong one."
            ),
            "password",
        )


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
        # Without a password the account can only be entered through the invitation link,
        # which also confirms the address (the mail reached it).
        password_hash=hash_password(password) if password else "!",
        email_confirmed_at=clock.now() if password else None,
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
        action = "user.role" if before["role"] != after["role"] else "user.update"
        audit.record(actor, action, user, f"updated {user.email}", before, after)
    if changes.get("active") is False or before["role"] != after["role"]:
        # Access changes now, not when the user next logs in.
        end_all_logins(user, "access changed")
    db.session.commit()
    return user


def update_profile(user: User, display_name: str, language: str) -> None:
    user.display_name = display_name.strip()
    user.language = language
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password; every login ends (the view starts a new one for this browser) and
    the owner is told by mail, in case it was not them."""
    try:
        _hasher().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError(_("The current password is not correct."), "current_password") from None
    check_password_strength(new, user.email, user.display_name)
    _set_password(user, new, "password.change")
    db.session.commit()


def _set_password(user: User, password: str, action: str) -> None:
    user.password_hash = hash_password(password)
    ended = end_all_logins(user, action)
    audit.record(user, action, user, f"{action} for {user.email}; ended {ended} logins")
    _queue_account_mail(
        user,
        "accounts/mail/password_changed.txt",
        _changed_subject,
        link=public_url("accounts.request_reset"),
    )


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
    check_password_strength(password, user.email, user.display_name)
    _set_password(user, password, "password.reset")
    # The link reached the address, so the address is confirmed (staff invitations too).
    user.email_confirmed_at = user.email_confirmed_at or clock.now()
    db.session.commit()
    return user


def _queue_password_mail(user: User, invitation: bool) -> None:
    token = make_reset_token(user)
    link = public_url("accounts.reset_password", token=token)
    with force_locale(user.language or "ja"):
        template = "accounts/mail/invitation.txt" if invitation else "accounts/mail/reset.txt"
        subject = _("Set your Sankaku password") if invitation else _("Reset your Sankaku password")
        minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
        body = render_template(template, user=user, link=link, minutes=minutes)
    queue_mail(user.email, subject, body)
