"""Forms a keyboard alone can fix (issue 18): the public comment form and the consultation
registration form, sent empty, then mended through the error summary's links and completed to
their receipt with Tab, Shift+Tab, Space, Enter and typing only (no mouse, no fill())."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.consultations.factories import scheduled
from tests.councils.conftest import create_call as create_council_call
from tests.e2e.conftest import check_a11y, login, visit
from tests.proposals.conftest import create_call as create_proposal_call

ACTIVE = "() => document.activeElement ? document.activeElement.id : null"


def _active_matches(page, selector: str) -> bool:
    return page.evaluate(
        "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page, selector: str, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab) until the focused element matches `selector`."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if _active_matches(page, selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} never took the focus with {key}")


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
                    return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        selector,
    )


def mend_through_the_summary(page, answers: dict[str, str | None]) -> list[str]:
    """Follow each link of the error summary with Enter; each must focus its control, with the
    control's label (or legend) in view; then answer it (typing, or Space for a box)."""
    links = page.locator("#error-summary a")
    targets = [
        href[1:] for href in links.evaluate_all("(as) => as.map(a => a.getAttribute('href'))")
    ]
    assert targets
    for index, target in enumerate(targets):
        # Back from the previous control to this link, as a keyboard user would.
        tab_to(page, f"#error-summary li:nth-child({index + 1}) a", backwards=index > 0)
        page.keyboard.press("Enter")
        assert page.evaluate(ACTIVE) == target, f"the link to #{target} did not focus it"
        label = page.evaluate(
            """(id) => { const c = document.getElementById(id);
                         const box = c.type === 'radio' || c.type === 'checkbox';
                         const group = c.closest('fieldset');
                         if (box && group && group.querySelector('legend')) return 'legend';
                         return 'label'; }""",
            target,
        )
        heading = (
            f"fieldset:has(#{target}) > legend" if label == "legend" else f"label[for='{target}']"
        )
        assert _in_view(page, heading), f"the label of #{target} is out of view"
        assert _in_view(page, f"#{target}")
        answer = answers[target]
        if answer is None:
            page.keyboard.press("Space")
        else:
            page.keyboard.type(answer)
    return targets


@pytest.mark.parametrize("width", [390, 1280])
def test_public_comment_form_by_keyboard_alone(page, make_case, width):
    page.set_viewport_size({"width": width, "height": 800})
    case_id = make_case()
    visit(page, f"/public-comments/{case_id}/comment", "ja")
    tab_to(page, "form button[value=confirm]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_visible()
    # forms.js moves the focus once it has run: waited for, not read at once.
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith("エラー：")
    check_a11y(page)
    targets = mend_through_the_summary(
        page,
        {
            "submitter_category-0": None,
            "name": "鍵盤 花子",
            "address": "熊本市中央区手取本町1-1",
            "email": "keyboard@example.jp",
            "body": "キーボードだけで意見を書きました。",
            "consent": None,
        },
    )
    assert targets[0] == "submitter_category-0"
    # The counter under the comment says how much room is left (after typing pauses).
    expect(page.locator("#body-count")).to_have_text(re.compile(r"^残り\d+文字$"))
    tab_to(page, "form button[value=confirm]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("キーボードだけで意見を書きました。")).to_be_visible()
    check_a11y(page)
    tab_to(page, "form button[value=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"PC{case_id}-00001")).to_be_visible()
    check_a11y(page)


def test_public_comment_errors_in_english_pass_axe(page, make_case):
    case_id = make_case()
    visit(page, f"/public-comments/{case_id}/comment", "en")
    tab_to(page, "form button[value=confirm]")
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith("Error: ")
    expect(page.locator("#error-summary")).to_contain_text("Please fill in “Name”.")
    check_a11y(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_consultation_registration_by_keyboard_alone(page, app, plan, language):
    ids = scheduled(app)
    visit(page, f"/consultations/sessions/{ids.session_id}/register", language)
    tab_to(page, "form[method=post] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith("エラー：" if language == "ja" else "Error: ")
    check_a11y(page)
    targets = mend_through_the_summary(
        page, {"name": "鍵盤 一郎", "email": "ichiro.keyboard@example.jp"}
    )
    assert targets == ["name", "email"]
    tab_to(page, "form[method=post] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/consultations/registrations/\d+"))
    expect(page.locator("h1")).to_have_text(
        "お申し込みを受け付けました" if language == "ja" else "Registration received"
    )
    check_a11y(page)


def test_an_expired_session_brings_the_comment_back_in_the_browser(page, make_case):
    """The session cookie (and with it the form's token) is gone when the comment is sent: the
    form comes back with everything typed, says why, and goes through on the next send."""
    case_id = make_case()
    visit(page, f"/public-comments/{case_id}/comment", "ja")
    comment = "長い意見を書いているうちに時間が過ぎました。" * 100
    page.locator("#submitter_category-0").check()
    page.locator("#name").fill("時間 切子")
    page.locator("#address").fill("熊本市北区植木町1")
    page.locator("#email").fill("expired@example.jp")
    page.locator("#body").fill(comment)
    page.locator("#consent").check()
    page.context.clear_cookies()
    page.get_by_role("button", name=re.compile("確認")).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("送信の有効期限が切れました")
    assert page.title().startswith("エラー：")
    assert page.locator("#body").input_value() == comment
    assert page.locator("#submitter_category-0").is_checked()
    check_a11y(page)
    page.get_by_role("button", name=re.compile("確認")).click()
    expect(page.get_by_role("button", name=re.compile("送信"))).to_be_visible()
    page.get_by_role("button", name=re.compile("送信")).click()
    expect(page.get_by_text(f"PC{case_id}-00001")).to_be_visible()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_refused_application_and_proposal_forms_pass_axe(page, app, plan, make_user, language):
    council_call = create_council_call(app)
    proposal_call = create_proposal_call(app)
    login(page, make_user("citizen").email, language)
    for path in (
        f"/councils/calls/{council_call}/apply",
        f"/proposals/calls/{proposal_call}/new",
    ):
        visit(page, path, language)
        page.locator("main form[method=post] button[type=submit]").first.click()
        expect(page.locator("#error-summary")).to_be_focused()
        assert page.title().startswith("エラー：" if language == "ja" else "Error: ")
        check_a11y(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_refused_staff_forms_with_choice_groups_pass_axe(
    page, app, plan, make_case, make_user, language
):

    ids = scheduled(app)
    case_id = make_case()
    login(page, make_user("staff", "kikaku").email, language)
    for path in (
        f"/staff/consultations/sessions/{ids.session_id}/edit",
        "/staff/public-comments/new",
        f"/staff/public-comments/{case_id}/comments/new",
        f"/staff/public-comments/{case_id}/summaries/new",
    ):
        visit(page, path, language)
        # Emptied and sent, so that the page shows its errors (a refused form is a page too).
        page.evaluate(
            """() => document.querySelectorAll('main form[method=post] input[type=text],'
                 + 'main form[method=post] input[type=date], main form[method=post] textarea')
                 .forEach(e => { e.value = ''; })"""
        )
        page.locator("main form[method=post] button[type=submit]").first.click()
        page.wait_for_load_state()
        check_a11y(page)


def test_an_application_sent_after_the_session_ended_survives_the_login(page, app, plan, make_user):
    """Logged out by time while writing: the send leads to the login page, and after logging in
    the application form is filled again with what was typed (kept in the tab, not the server)."""
    call_id = create_council_call(app)
    citizen = make_user("citizen")
    login(page, citizen.email, "ja")
    visit(page, f"/councils/calls/{call_id}/apply", "ja")
    motivation = "市民の声を審議会に届けたいと考え、応募します。" * 20
    page.locator("#name").fill("期限 切子")
    page.locator("#motivation").fill(motivation)
    page.locator("#residency").select_option("lives")
    page.context.clear_cookies()
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.locator("#email").fill(citizen.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(re.compile(rf"/councils/calls/{call_id}/apply"))
    expect(page.locator("#draft-restored")).to_be_visible()
    assert page.locator("#motivation").input_value() == motivation
    assert page.locator("#name").input_value() == "期限 切子"
    assert page.locator("#residency").input_value() == "lives"
    check_a11y(page)
    # The copy is used once: opened again, the form starts empty.
    visit(page, f"/councils/calls/{call_id}/apply", "ja")
    assert page.locator("#motivation").input_value() == ""
