"""Citizen self-registration, login, password reset, profile; staff accounts by admins."""

import re

import sqlalchemy as sa

from app.accounts.models import User
from app.core.mail import OutboxMessage
from app.core.permissions import Role
from app.extensions import db
from tests.conftest import PASSWORD, submit

REGISTRATION = {
    "email": "Hanako@Example.jp",
    "display_name": "熊本 花子",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "accept_terms": "y",
}


def _mail_to(app, email):
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        ).all()


def _confirm_link(app, email):
    body = _mail_to(app, email)[-1].body
    return re.search(r"http://localhost(/register/confirm/\S+)", body).group(1)


def test_citizen_registers_confirms_the_address_then_logs_in(app, client, auth, plan):
    response = submit(client, "/register?lang=en", REGISTRATION)
    assert response.status_code == 200
    assert "Check your e-mail" in response.text
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.role == Role.CITIZEN and user.email_confirmed_at is None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
    # Not confirmed yet: the login is refused like a wrong password.
    response = auth.login("hanako@example.jp")
    assert response.status_code == 200
    assert client.get("/profile").status_code == 302
    response = client.get(_confirm_link(app, "hanako@example.jp"))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert auth.login("hanako@example.jp").status_code == 302
    assert "hanako@example.jp" in client.get("/profile").text


def test_a_broken_confirmation_link_says_so(app, client, plan):
    submit(client, "/register", REGISTRATION)
    link = _confirm_link(app, "hanako@example.jp")
    assert client.get(link[:-3] + "xyz").status_code == 400
    app.config["CONFIRM_EMAIL_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 400 and "リンク" in response.text


def test_registration_errors_keep_what_was_typed(app, client, plan):
    data = {**REGISTRATION, "confirm": "different password", "accept_terms": ""}
    response = submit(client, "/register?lang=en", data)
    assert response.status_code == 200
    html = response.text
    assert "The passwords do not match." in html
    assert "Please agree to the privacy notice." in html
    assert 'value="熊本 花子"' in html and 'value="Hanako@Example.jp"' in html
    assert 'id="error-summary"' in html and 'href="#confirm"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_registering_a_known_address_answers_as_an_unknown_one_and_mails_its_owner(
    app, make_user, plan
):
    make_user("citizen", email="hanako@example.jp")
    pages = []
    for email in ("hanako@example.jp", "someone.new@example.jp"):
        response = submit(app.test_client(), "/register?lang=en", {**REGISTRATION, "email": email})
        assert response.status_code == 200
        pages.append(response.text.replace(email, "EMAIL"))
    # The CSRF token differs from page to page; nothing else may.
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", pages[0]) == strip.sub("", pages[1])
    owner_mail = _mail_to(app, "hanako@example.jp")
    assert len(owner_mail) == 1
    assert "already has an account" in owner_mail[0].body or "既に" in owner_mail[0].body
    assert "/register/confirm/" not in owner_mail[0].body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_short_and_common_passwords_are_refused(app, client, plan):
    for password, message in (
        ("short", "Use at least 12 characters."),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop12", "too easy to guess"),
        ("hanako@example.jp!", "too easy to guess"),  # the address itself
    ):
        data = {**REGISTRATION, "password": password, "confirm": password}
        response = submit(client, "/register?lang=en", data)
        assert response.status_code == 200
        assert message in response.text, password
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_the_honeypot_field_stops_robots(app, client, plan):
    page = client.get("/register").text
    assert 'class="hp"' in page and 'name="website"' in page
    response = submit(client, "/register", {**REGISTRATION, "website": "http://spam.example"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_account_registration_is_rate_limited(app, client, plan):
    statuses = []
    for number in range(6):
        data = {**REGISTRATION, "email": f"person{number}@example.jp"}
        statuses.append(submit(client, "/register", data).status_code)
    assert statuses == [200] * 5 + [429]


def test_control_characters_are_removed_from_names(app, client, plan):
    # A NUL byte is refused at the edge (400); other control characters are removed.
    nul = submit(client, "/register", {**REGISTRATION, "display_name": "熊本\x00 花子"})
    assert nul.status_code == 400
    submit(client, "/register", {**REGISTRATION, "display_name": "熊本\x1b 花子\x07"})
    with app.app_context():
        assert db.session.scalar(sa.select(User.display_name)) == "熊本 花子"


def test_login_and_logout(client, auth, make_user, plan):
    user = make_user("citizen")
    response = auth.login(user.email)
    assert response.status_code == 302
    assert user.display_name in client.get("/").text
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, auth, make_user, plan):
    user = make_user("citizen")
    response = auth.login(user.email, "wrong password!")
    assert response.status_code == 200
    assert "メールアドレスまたはパスワード" in response.text
    response = auth.login("nobody@example.jp", "wrong password!")
    assert "メールアドレスまたはパスワード" in response.text


def test_deactivated_accounts_cannot_log_in(app, auth, make_user, plan):
    user = make_user("staff", "kocho")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert auth.login(user.email).status_code == 200


def test_login_is_rate_limited(client, auth, make_user, plan):
    user = make_user("citizen")
    statuses = [auth.login(user.email, "wrong password!").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_login_redirects_only_to_local_pages(client, make_user, plan):
    user = make_user("citizen")
    response = submit(
        client,
        "/login?next=https://evil.example/",
        {"email": user.email, "password": PASSWORD},
        page="/login",
    )
    assert response.headers["Location"] == "/"
    client.get("/")


def _reset_link(app, email):
    with app.app_context():
        message = db.session.scalar(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id.desc())
        )
        assert message is not None, "no mail queued"
        return re.search(r"http://localhost(/password/reset/\S+)", message.body).group(1)


def test_password_reset_by_emailed_single_use_token(app, client, auth, make_user, plan):
    user = make_user("citizen")
    response = submit(client, "/password/reset", {"email": user.email})
    assert response.status_code == 200
    link = _reset_link(app, user.email)
    new = "a brand new password for kumamoto"
    response = submit(client, link, {"password": new, "confirm": new})
    assert response.status_code == 302
    assert auth.login(user.email, new).status_code == 302
    auth.logout()
    # The same link does not work twice.
    assert client.get(link).status_code == 400


def test_password_reset_token_expires(app, client, make_user, plan):
    user = make_user("citizen")
    submit(client, "/password/reset", {"email": user.email})
    link = _reset_link(app, user.email)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(link).status_code == 400


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(app, client, plan):
    response = submit(client, "/password/reset?lang=en", {"email": "nobody@example.jp"})
    assert "If nobody@example.jp belongs to an account" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_profile_and_password_change(app, client, auth, make_user, plan):
    user = make_user("citizen")
    auth.login(user.email)
    response = submit(
        client, "/profile", {"profile-display_name": "新しい名前", "profile-language": "en"}
    )
    assert response.status_code == 302
    response = submit(
        client,
        "/profile?lang=en",
        {
            "password-current_password": "not it",
            "password-password": "another password 1",
            "password-confirm": "another password 1",
        },
        page="/profile",
    )
    assert "The current password is not correct." in response.text
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.display_name == "新しい名前" and stored.language == "en"


def test_admin_creates_staff_who_gets_an_invitation(app, client, login_as):
    login_as("admin")
    with app.app_context():
        from app.plan.models import Department

        kocho = db.session.scalar(sa.select(Department.id).where(Department.code == "kocho"))
    response = submit(
        client,
        "/admin/users/new",
        {
            "email": "new.staff@city.kumamoto.jp",
            "display_name": "新任 職員",
            "role": "staff",
            "department_id": str(kocho),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new.staff@city.kumamoto.jp"))
        assert user.role == Role.STAFF and user.department.code == "kocho"
    link = _reset_link(app, "new.staff@city.kumamoto.jp")
    assert client.get(link).status_code == 200


def test_staff_without_department_is_refused(app, client, login_as):
    login_as("admin")
    response = submit(
        client,
        "/admin/users/new?lang=en",
        {"email": "x@city.kumamoto.jp", "display_name": "X", "role": "staff", "department_id": "0"},
    )
    assert "Staff accounts need a department." in response.text


def test_per_ward_departments_expand_to_one_per_ward(client, login_as):
    login_as("admin")
    html = client.get("/admin/users/new").text
    for ward in ("中央区", "東区", "西区", "南区", "北区"):
        assert f"{ward}役所" in html
    assert ">各区役所<" not in html


def test_cli_creates_staff(app, runner, plan):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@city.kumamoto.jp",
            "--name",
            "CLI 職員",
            "--role",
            "staff",
            "--department",
            "ku-yakusho-kita",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "cli@city.kumamoto.jp"))
        assert user.department.name_ja == "北区役所"
    result = runner.invoke(
        args=["users", "create", "--email", "y@x.jp", "--name", "Y", "--department", "ku-yakusho"]
    )
    assert result.exit_code != 0 and "no such department" in result.output


def test_admin_cannot_remove_own_admin_role(app, client, login_as):
    admin = login_as("admin")
    response = submit(
        client,
        f"/admin/users/{admin.id}?lang=en",
        {
            "email": admin.email,
            "display_name": "A",
            "role": "citizen",
            "department_id": "0",
            "active": "y",
        },
    )
    assert "You cannot remove your own administrator access." in response.text
