"""Sessions that end (issue 16): the secret key, logins that logout, a password change or a
reset end on every browser, remember cookies that rotate, nothing personal left behind."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from app import create_app
from app.accounts.models import LoginSession, User
from app.config import DEVELOPMENT_SECRET_KEY
from app.core.audit import AuditEntry
from app.core.mail import OutboxMessage
from app.extensions import db
from tests.conftest import PASSWORD, app_config, csrf_from, submit

STRONG_KEY = "a-strong-secret-key-for-these-tests-only-0123456789"
REMEMBER = "remember_token"
NEW_PASSWORD = "kumamoto castle stone walls"


def test_production_refuses_to_start_without_a_strong_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SANKAKU_DEVELOPMENT", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app()
    for weak in ("short", DEVELOPMENT_SECRET_KEY):
        monkeypatch.setenv("SECRET_KEY", weak)
        with pytest.raises(RuntimeError, match="at least 32 characters"):
            create_app()
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    assert create_app().config["SECRET_KEY"] == STRONG_KEY
    # Development on one's own machine (make run) keeps the development key.
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("SANKAKU_DEVELOPMENT", "1")
    assert create_app().config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY


def test_a_remember_cookie_forged_with_the_development_key_opens_nothing(
    app, another_app, database_url, tmp_path, make_user, plan
):
    admin = make_user("admin")
    production = another_app({**app_config(database_url, tmp_path), "SECRET_KEY": STRONG_KEY})
    development = create_app({**app_config(database_url, tmp_path), "SECRET_KEY": "x"})
    development.config["SECRET_KEY"] = DEVELOPMENT_SECRET_KEY
    with development.app_context():
        forged = encode_cookie(str(admin.id))
    with production.app_context():
        # Signed with the right key, a user id is still no login token.
        guessed = encode_cookie(str(admin.id))
    for cookie in (forged, guessed):
        client = production.test_client()
        client.set_cookie(REMEMBER, cookie)
        response = client.get("/admin/users/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def _copies(client):
    """What someone who copied this browser's cookies would hold."""
    return {
        name: client.get_cookie(name).value
        for name in ("session", REMEMBER)
        if client.get_cookie(name) is not None
    }


def _replayed(app, cookies, name):
    client = app.test_client()
    client.set_cookie(name, cookies[name])
    return client.get("/profile")


def _assert_ended(app, cookies):
    assert set(cookies) == {"session", REMEMBER}
    for name in cookies:
        response = _replayed(app, cookies, name)
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith("/login"), name


def _log_in_remembered(client, email):
    response = submit(client, "/login", {"email": email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_copied_cookies_open_nothing_after_logout(app, client, auth, make_user, plan):
    user = make_user("citizen")
    _log_in_remembered(client, user.email)
    cookies = _copies(client)
    # Before the logout each copy opens the account (so the test below means something).
    assert _replayed(app, cookies, "session").status_code == 200
    auth.logout()
    _assert_ended(app, cookies)


def test_copied_cookies_open_nothing_after_a_password_change(app, client, make_user, plan):
    user = make_user("citizen")
    _log_in_remembered(client, user.email)
    cookies = _copies(client)
    response = submit(
        client,
        "/profile",
        {
            "password-current_password": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    # This browser stays logged in, with a new login; every copy of the old one is dead.
    assert client.get("/profile").status_code == 200
    _assert_ended(app, cookies)
    with app.app_context():
        mail = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == user.email)
        ).all()
        assert [m.subject for m in mail] == ["さんかくのパスワードが変更されました"]
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["user.create", "login", "password.change", "login"]


def test_copied_cookies_open_nothing_after_a_reset(app, client, make_user, plan):
    user = make_user("citizen")
    _log_in_remembered(client, user.email)
    cookies = _copies(client)
    other = app.test_client()
    submit(other, "/password/reset", {"email": user.email})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
    link = re.search(r"http://localhost(/password/reset/\S+)", body).group(1)
    response = submit(other, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    _assert_ended(app, cookies)
    assert client.get("/profile").status_code == 302
    with app.app_context():
        assert db.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action == "password.reset")
        )


def test_logging_out_everywhere_ends_every_browser(app, make_user, plan):
    user = make_user("citizen")
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        _log_in_remembered(browser, user.email)
    cookies = _copies(browsers[1])
    page = browsers[0].get("/profile")
    response = browsers[0].post("/logout/everywhere", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    _assert_ended(app, cookies)
    assert browsers[1].get("/profile").status_code == 302


def test_a_remember_cookie_is_replaced_each_time_it_is_used(app, client, make_user, plan):
    user = make_user("citizen")
    _log_in_remembered(client, user.email)
    first = client.get_cookie(REMEMBER).value
    later = app.test_client()  # the browser the next day: no session cookie, the same cookie
    later.set_cookie(REMEMBER, first)
    assert later.get("/profile").status_code == 200
    second = later.get_cookie(REMEMBER).value
    assert second != first
    with app.app_context():
        rotated = db.session.scalars(
            sa.select(LoginSession.ended_reason).order_by(LoginSession.id)
        ).all()
        assert rotated == ["rotated", None]
    again = app.test_client()
    again.set_cookie(REMEMBER, second)
    assert again.get("/profile").status_code == 200


def test_an_expired_login_ends(app, client, auth, make_user, plan):
    user = make_user("citizen")
    app.config["LOGIN_HOURS"] = 0
    assert auth.login(user.email).status_code == 302
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_logins_and_failures_are_audited(app, client, auth, make_user, plan):
    user = make_user("citizen")
    auth.login(user.email, "not the password at all")
    auth.login("nobody@example.jp", "not the password at all")
    auth.login(user.email)
    auth.logout()
    with app.app_context():
        entries = db.session.execute(
            sa.select(AuditEntry.action, AuditEntry.summary, AuditEntry.object_id)
            .where(AuditEntry.action != "user.create")
            .order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["login.failed", "login.failed", "login", "logout"]
    assert "nobody@example.jp" in entries[1].summary and entries[1].object_id == ""
    assert entries[0].object_id == str(user.id)


def test_receipts_and_the_csrf_secret_do_not_survive_a_login(app, client, auth, make_user, plan):
    user = make_user("citizen")
    with client.session_transaction() as session:
        session["receipts:registration"] = [1, 2]
    before = csrf_from(client.get("/login").text)
    auth.login(user.email)
    with client.session_transaction() as session:
        assert "receipts:registration" not in session
        session["receipts:registration"] = [3]
    after = csrf_from(client.get("/profile").text)
    assert after != before
    # The old token no longer sends a form: it comes back with what was typed, unsaved.
    response = client.post("/profile", data={"csrf_token": before, "profile-display_name": "x"})
    assert 'name="profile-display_name"' in response.text and 'value="x"' in response.text
    with app.app_context():
        assert db.session.get(User, user.id).display_name != "x"
    auth.logout()
    with client.session_transaction() as session:
        assert "receipts:registration" not in session


def test_responses_to_a_logged_in_user_are_not_stored(client, auth, make_user, plan):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    user = make_user("citizen")
    auth.login(user.email)
    for url in ("/", "/profile", "/initiatives/8"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_the_language_link_stores_nothing_and_the_button_does(app, client, auth, make_user, plan):
    user = make_user("citizen")
    auth.login(user.email)
    response = client.get("/language/en")
    assert response.status_code == 302 and "lang=en" in response.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.get(User, user.id).language is None
    page = client.get("/")
    assert 'action="/language/' in page.text  # a logged-in user gets a button
    client.post("/language/en", data={"csrf_token": csrf_from(page.text)})
    with app.app_context():
        assert db.session.get(User, user.id).language == "en"
    assert client.post("/language/ja").status_code == 400  # no CSRF token


def test_a_role_change_is_audited_and_ends_the_users_logins(app, client, login_as, make_user):
    staff = make_user("staff", "kocho")
    browser = app.test_client()
    assert (
        submit(browser, "/login", {"email": staff.email, "password": PASSWORD}).status_code == 302
    )
    assert browser.get("/profile").status_code == 200
    login_as("admin")
    response = submit(
        client,
        f"/admin/users/{staff.id}",
        {
            "email": staff.email,
            "display_name": staff.display_name,
            "role": "citizen",
            "department_id": "0",
            "active": "y",
        },
    )
    assert response.status_code == 302
    # The former staff member's open browser is logged out at once.
    response = browser.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.role"))
        assert entry.before["role"] == "staff" and entry.after["role"] == "citizen"
