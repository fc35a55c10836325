"""The application form reports every error in one round (issue 18): the call's essay rule is
checked with the other fields, not after them."""

from __future__ import annotations

from tests.conftest import submit
from tests.core.test_forms import Elements
from tests.councils.test_councils import FORM


def test_every_error_of_the_application_form_comes_in_one_round(client, login_as, make_call):
    call_id = make_call(essay_min_chars=20, essay_max_chars=100)
    login_as("citizen")
    url = f"/councils/calls/{call_id}/apply?lang=ja"
    response = submit(client, url, {**FORM, "name": "", "phone": "", "essay": "短い作文です。"})
    html = response.text
    assert "氏名を入力してください。" in html
    assert "電話番号を入力してください。" in html
    assert "作文は7文字です。20〜100文字で書いてください。" in html
    # The essay's rule and the empty fields, all in the summary of this one response.
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count("<li>") == 3
    assert 'href="#essay"' in summary


def test_the_application_address_has_a_valid_autocomplete_token(client, login_as, make_call):
    call_id = make_call()
    login_as("citizen")
    page = Elements(client.get(f"/councils/calls/{call_id}/apply").text)
    address = page.by_id("address")
    assert address is not None and address.get("autocomplete") == "address-line1"
