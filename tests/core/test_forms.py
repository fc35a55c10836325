"""Forms that lose nothing and that a screen reader can fix (issue 18), through the public
comment form: the expired token, plain messages naming the field, the title, radio groups,
no silent truncation, valid autocomplete tokens (app.core.forms, app.core.errors, the macros)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import sqlalchemy as sa

from app.extensions import db
from app.public_comment.models import Comment
from tests.conftest import csrf_from, submit
from tests.public_comment.fixtures import COMMENT


class Elements(HTMLParser):
    """Every start tag of a page as (tag, attributes)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def by_id(self, element_id: str) -> dict[str, str | None] | None:
        return next((a for _t, a in self.found if a.get("id") == element_id), None)

    def named(self, tag: str, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.found if t == tag and a.get("name") == name]


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1)


def _form_url(case_id: int, lang: str = "ja") -> str:
    return f"/public-comments/{case_id}/comment?lang={lang}"


def test_an_expired_token_brings_a_3000_character_comment_back(app, client, make_case):
    case_id = make_case()
    long_comment = (
        "市民参画の機会を増やしてください。" * 176 + "以上、要望です。"
    )  # 3,000 characters
    assert len(long_comment) == 3000
    page = client.get(_form_url(case_id))
    old_token = csrf_from(page.text)
    # The token a page carried hours ago: signed for another session, or simply expired.
    response = client.post(
        _form_url(case_id),
        data={**COMMENT, "body": long_comment, "action": "confirm", "csrf_token": "expired"},
    )
    assert response.status_code == 200
    html = response.text
    assert long_comment in html
    assert "熊本市中央区手取本町1-1" in html and "taro@example.jp" in html
    assert "送信の有効期限が切れました" in html
    assert "入力した内容はそのまま残っています。確認して、もう一度送信してください。" in html
    assert _title(html).startswith("エラー：")
    assert "CSRF" not in html
    fresh = csrf_from(html)
    assert fresh and fresh != "expired"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    # Sent again as it came back, with the fresh token: the confirmation page, then stored.
    data = {**COMMENT, "body": long_comment, "csrf_token": fresh}
    data["submission_token"] = re.search(r'name="submission_token"[^>]*value="([^"]+)"', html)[1]
    confirm = client.post(_form_url(case_id), data={**data, "action": "confirm"})
    assert confirm.status_code == 200 and long_comment in confirm.text
    sent = client.post(_form_url(case_id), data={**data, "action": "send"})
    assert sent.status_code == 302 and "/receipts/" in sent.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.body)) == long_comment
    assert old_token  # the page's first token was not needed to get the text back


def test_an_expired_token_in_a_new_session_keeps_the_text_too(app, make_case):
    """The session cookie itself expired: a browser that comes back with no session at all."""
    case_id = make_case()
    fresh_browser = app.test_client()
    response = fresh_browser.post(
        _form_url(case_id, "en"),
        data={**COMMENT, "body": "長い意見" * 500, "action": "confirm", "csrf_token": "old"},
    )
    assert response.status_code == 200
    assert "長い意見" * 500 in response.text
    assert "The form had expired" in response.text
    assert _title(response.text).startswith("Error: ")


def test_an_action_without_a_page_is_still_refused_with_an_expired_token(
    app, client, auth, make_user
):
    """Only form pages (GET shows them) are shown again; a button that acts on POST alone
    (logging out here) is refused as before and does nothing."""
    user = make_user("citizen")
    auth.login(user.email)
    response = client.post("/logout", data={"csrf_token": "expired"})
    assert response.status_code == 400
    assert "Log out" in client.get("/?lang=en").text  # still logged in


def test_messages_name_the_field_and_the_title_says_error(client, make_case):
    case_id = make_case()
    response = submit(client, _form_url(case_id), {"action": "confirm", "body": "x" * 4001})
    html = response.text
    assert "氏名を入力してください。" in html
    assert "住所を入力してください。" in html
    assert "4000文字以内で入力してください（現在4001文字）。" in html
    assert "このフィールドは必須です" not in html
    assert _title(html).startswith("エラー：")
    # The summary takes the focus and names the field once, not 「氏名：氏名を…」.
    summary = Elements(html).by_id("error-summary")
    assert summary is not None and summary.get("tabindex") == "-1" and "autofocus" in summary
    assert "氏名：氏名" not in html

    english = submit(client, _form_url(case_id, "en"), {"action": "confirm"}).text
    assert "Please fill in “Name”." in english
    assert _title(english).startswith("Error: ")
    assert not _title(client.get(_form_url(case_id, "en")).text).startswith("Error")


def test_every_error_link_lands_on_a_control_and_radios_are_marked(client, make_case):
    case_id = make_case()
    html = submit(client, _form_url(case_id, "en"), {"action": "confirm"}).text
    page = Elements(html)
    links = re.findall(
        r'<li><a href="#([^"]+)">', html.split('id="error-summary"')[1].split("</div>")[0]
    )
    assert "submitter_category-0" in links
    for target in links:
        element = page.by_id(target)
        assert element is not None, f"#{target} leads nowhere"
        assert element is not None and next(t for t, a in page.found if a is element) in (
            "input",
            "select",
            "textarea",
        )
    radios = page.named("input", "submitter_category")
    assert len(radios) >= 2
    for radio in radios:
        assert radio.get("aria-invalid") == "true"
        assert "submitter_category-error" in (radio.get("aria-describedby") or "").split()
    assert page.by_id("submitter_category-error") is not None
    # Every invalid control is described by its message.
    for _tag, attrs in page.found:
        if attrs.get("aria-invalid") == "true":
            described = (attrs.get("aria-describedby") or "").split()
            assert any(page.by_id(d) is not None and d.endswith("-error") for d in described)


def test_no_input_cuts_what_is_typed_and_text_areas_get_a_counter(client, make_case):
    case_id = make_case()
    html = client.get(_form_url(case_id)).text
    assert "maxlength" not in html
    body = Elements(html).by_id("body")
    assert body is not None
    assert body.get("data-count-max") == "4000"
    assert body.get("data-count-left") == "残り%(count)s文字"
    assert body.get("data-count-over") == "%(count)s文字超過"
    assert 'src="/static/js/forms.js"' in html


def test_the_one_line_address_has_a_valid_autocomplete_token(client, make_case):
    case_id = make_case()
    address = Elements(client.get(_form_url(case_id)).text).by_id("address")
    assert address is not None
    # street-address is for a multi-line control (HTML's autofill table; the Nu checker's error).
    assert address.get("autocomplete") == "address-line1"


def test_a_good_token_refused_for_its_referrer_registers_nothing(app, client, plan):
    """Over HTTPS a POST without a referrer is refused even with a good token: shown again, the
    form is never accepted (the registration view acts on validate_on_submit alone)."""
    from app.consultations.models import Registration
    from tests.consultations.factories import scheduled

    ids = scheduled(app)
    url = f"/consultations/sessions/{ids.session_id}/register?lang=en"
    page = client.get(url, base_url="https://localhost")
    token = csrf_from(page.text)
    response = client.post(
        url,
        base_url="https://localhost",
        data={
            "csrf_token": token,
            "name": "Referrer Less",
            "email": "r@example.jp",
            "party_size": "1",
        },
    )
    assert response.status_code == 200
    assert "The form had expired" in response.text
    assert 'value="Referrer Less"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_the_quick_select_writes_wtforms_own_markup(app):
    """app.core.forms renders selects with a quicker option writer: byte for byte the markup of
    WTForms' own widget, for plain, selected, empty, escaped and attributed options."""
    from wtforms import Form as PlainForm
    from wtforms import SelectField, SelectMultipleField
    from wtforms.fields.choices import SelectChoice
    from wtforms.widgets import Select

    from app.core.forms import Form, choices

    plain = choices([("", "すべて"), ("a&b", "<区>"), ("1", '"一"'), ("2", "")])
    attributed = [*plain, SelectChoice("x", "属性付き", render_kw={"disabled": True})]

    class Ours(Form):
        one = SelectField(choices=plain)
        many = SelectMultipleField(choices=attributed)

    class Theirs(PlainForm):
        one = SelectField(choices=plain, widget=Select())
        many = SelectMultipleField(choices=attributed, widget=Select(multiple=True))

    with app.test_request_context():
        ours = Ours(meta={"csrf": False}, data={"one": "a&b", "many": ["1", "2"]})
        theirs = Theirs(data={"one": "a&b", "many": ["1", "2"]})
        for name in ("one", "many"):
            assert str(ours[name]()) == str(theirs[name]()), name
        assert '<option selected value="a&amp;b">&lt;区&gt;</option>' in str(ours["one"]())
        assert type(ours["one"].widget) is not Select  # the quick one was used
