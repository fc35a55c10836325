"""The security baseline every module inherits."""

import re

import pytest

from app.core.permissions import Role


def test_security_headers_on_every_page(client, plan):
    for url in ("/", "/login", "/initiatives/1", "/api/v1/initiatives", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_inline_scripts_or_styles(client, plan):
    """The CSP forbids them, so a template that adds one would break in the browser."""
    for url in ("/", "/login", "/register", "/initiatives/8"):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url


def test_production_cookies_are_secure(database_url, tmp_path, monkeypatch, another_app):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = another_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path),
            "SECRET_KEY": "a-production-key-of-more-than-32-characters",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers


def test_forms_without_csrf_token_are_refused(client, make_user, plan):
    user = make_user("citizen")
    response = client.post("/login?lang=ja", data={"email": user.email, "password": "x" * 12})
    # The form comes back with what was typed and a fresh token; nothing it would do happens.
    assert response.status_code == 200
    assert "送信の有効期限が切れました" in response.text and user.email in response.text
    assert client.get("/profile").status_code == 302  # still not logged in


def _fill(rule):
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__
        values[argument] = 1 if "Integer" in converter else "x"
    return rule.build(values, append_unknown=False)[1]


def _guarded_rules(app, prefix):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith(prefix)]


@pytest.mark.parametrize("prefix", ["/staff", "/admin"])
def test_url_map_no_staff_or_admin_endpoint_answers_anonymous(app, client, plan, prefix):
    rules = _guarded_rules(app, prefix)
    if prefix == "/admin":
        assert rules, "the admin area has endpoints"
    for rule in rules:
        url = _fill(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 401, 400), f"{method} {url} answered anonymous"
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], f"{method} {url}"


def _check_denied(app, client, rules, who):
    for rule in rules:
        url = _fill(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            # 400 is CSRF refusing a POST before the view: also never reached.
            assert response.status_code in (403, 400), f"{method} {url} answered {who}"
            if method == "GET":
                assert response.status_code == 403, f"GET {url} answered {who}"


def test_url_map_no_staff_or_admin_endpoint_answers_a_citizen(app, client, login_as):
    login_as("citizen")
    _check_denied(
        app, client, _guarded_rules(app, "/staff") + _guarded_rules(app, "/admin"), "a citizen"
    )


# A reviewer's own landing page lists only the calls they are assigned to (empty here).
REVIEWER_HOMES = {"proposals_review.review_index"}


def test_url_map_no_staff_or_admin_endpoint_answers_a_reviewer(app, client, login_as):
    login_as("reviewer")
    rules = _guarded_rules(app, "/staff") + _guarded_rules(app, "/admin")
    _check_denied(app, client, [r for r in rules if r.endpoint not in REVIEWER_HOMES], "a reviewer")
    for endpoint in REVIEWER_HOMES:
        page = client.get(url_for_endpoint(app, endpoint))
        assert page.status_code == 200 and "/staff/proposals/review/1/" not in page.text


def url_for_endpoint(app, endpoint):
    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    return _fill(rule)


def test_url_map_no_admin_endpoint_answers_staff(app, client, login_as):
    login_as("staff", "kocho")
    _check_denied(app, client, _guarded_rules(app, "/admin"), "staff")


def test_url_map_every_guarded_blueprint_is_under_a_guarded_prefix(app):
    """A staff or admin blueprint mounted elsewhere would escape the walks above."""
    for name, blueprint in app.blueprints.items():
        if name.endswith(("_staff", "_admin")):
            assert (blueprint.url_prefix or "").startswith(("/staff", "/admin")), name


def test_admin_pages_answer_an_admin(app, client, login_as):
    login_as("admin")
    for url in ("/admin/", "/admin/users/", "/admin/audit", "/admin/plan/"):
        assert client.get(url).status_code == 200, url


def test_roles_are_exactly_the_designed_ones():
    assert {r.value for r in Role} == {"citizen", "staff", "reviewer", "admin"}
