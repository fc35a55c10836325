"""The foundation's pages in a real browser: accessible in both languages, usable on a phone."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import check_a11y, visit

PAGES = [
    "/",
    "/initiatives/8",
    "/login",
    "/register",
    "/password/reset",
    "/privacy",
    "/accessibility",
]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_public_pages_pass_axe(page, plan, language):
    for path in PAGES:
        visit(page, path, language)
    assert page.locator("h1").count() == 1


@pytest.mark.parametrize("language", ["ja", "en"])
def test_form_errors_pass_axe_and_are_announced(page, plan, language):
    visit(page, "/register", language)
    page.get_by_role("button", name=re.compile("登録|Create the account")).click()
    summary = page.locator("#error-summary")
    # Announced (an alert inside it) and focused, so a keyboard user starts from the list. The
    # focus is set by forms.js once it has run: waited for, not read at once (on a loaded
    # machine the page can be there before its script).
    expect(summary.locator("[role=alert]")).to_have_count(1)
    expect(summary).to_be_focused()
    assert page.locator("[aria-invalid=true]").count() >= 3
    check_a11y(page)


def _last_link(app, path):
    from app.core.mail import OutboxMessage
    from app.extensions import db

    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body).order_by(OutboxMessage.id.desc()))
    return re.search(rf"http://localhost({path}\S+)", body).group(1)


def test_citizen_registers_confirms_logs_out_and_resets_password(page, app, plan):
    visit(page, "/register", "en")
    page.get_by_label("E-mail address").fill("haruka@example.jp")
    page.get_by_label("Display name").fill("市民 はるか")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check_a11y(page)
    # The address is confirmed from the mail, then the citizen logs in.
    # The link confirms the address and sends to the login form.
    visit(page, _last_link(app, "/register/confirm/"), "en", expect_path="/login")
    expect(page.get_by_text("Your e-mail address has been confirmed.")).to_be_visible()
    page.get_by_label("E-mail address").fill("haruka@example.jp")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="市民 はるか").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    visit(page, "/password/reset", "en")
    page.get_by_label("E-mail address").fill("haruka@example.jp")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check_a11y(page)
    visit(page, _last_link(app, "/password/reset/"), "en")
    page.get_by_label("New password", exact=True).fill("another long password for the castle")
    page.get_by_label("New password (again)").fill("another long password for the castle")
    page.get_by_role("button", name="Set the password").click()
    page.get_by_label("E-mail address").fill("haruka@example.jp")
    page.get_by_label("Password", exact=True).fill("another long password for the castle")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="市民 はるか")).to_be_visible()
    # A logged-in user switches the language with a button (a POST), which is remembered.
    page.get_by_role("button", name="日本語").click()
    assert page.locator("html").get_attribute("lang") == "ja"
    page.goto("/profile")
    expect(page.get_by_role("heading", name="アカウント", exact=True)).to_be_visible()
    check_a11y(page)


def test_language_switch_in_the_browser(page, plan):
    visit(page, "/initiatives/8", "ja")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Initiative 8" in page.locator("h1").inner_text()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"  # remembered


def test_table_reads_as_cards_on_a_phone(browser, live_server, plan):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto("/?lang=ja")
    check_a11y(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a phone"
    context.close()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_policy_pages_on_a_phone(browser, live_server, plan, language):
    """The footer's policies read on a 390 px phone: no sideways scroll, axe-clean."""
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 800})
    page = context.new_page()
    for path in ("/privacy", "/accessibility"):
        visit(page, path, language)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        page.get_by_role("contentinfo").get_by_role(
            "link", name=re.compile("アクセシビリティ|accessibility")
        ).click()
        assert page.url.split("?")[0].endswith("/accessibility")
    context.close()


def test_admin_pages_pass_axe(page, plan, make_user):
    admin = make_user("admin")
    visit(page, "/login", "ja")
    page.get_by_label("メールアドレス").fill(admin.email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    for path in (
        "/admin/",
        "/admin/plan/",
        "/admin/users/",
        "/admin/users/new",
        "/admin/audit",
        "/admin/dispositions",
    ):
        for language in ("ja", "en"):
            visit(page, path, language)
