"""The footer and the policies every Japanese municipal site publishes (issue 18's footer):
who answers for the site, the privacy policy, the web accessibility policy."""

import re

import pytest


@pytest.mark.parametrize(
    ("language", "privacy", "accessibility", "contact"),
    [
        ("ja", "個人情報の取扱い", "ウェブアクセシビリティ方針", "熊本市 市民協働課"),
        ("en", "Privacy policy", "Web accessibility policy", "熊本市 市民協働課"),
    ],
)
def test_every_page_has_the_contact_and_the_policies_in_its_footer(
    client, plan, language, privacy, accessibility, contact
):
    for url in ("/", "/public-comments", "/no-such-page"):
        html = client.get(f"{url}?lang={language}").text
        footer = html[html.index('<footer class="site-footer">') :]
        assert contact in footer and "096-328-2111" in footer
        assert f'<a href="/privacy">{privacy}</a>' in footer
        assert f'<a href="/accessibility">{accessibility}</a>' in footer
        # A description for search results on every page.
        assert re.search(r'<meta name="description" content="[^"]{20,}">', html)


def test_the_policy_pages_say_what_the_guideline_asks(app, client, plan):
    privacy = client.get("/privacy")
    assert privacy.status_code == 200
    for words in ("利用目的", "閲覧する者", "保存期間", "クッキー", "個人情報の開示・訂正"):
        assert words in privacy.text
    page = client.get("/accessibility")
    assert page.status_code == 200
    assert "JIS X 8341-3:2016" in page.text and "AA" in page.text
    assert "対象範囲" in page.text and "令和8年(2026年)11月29日策定" in page.text
    app.config["ACCESSIBILITY_POLICY_DATE"] = "2027-04-01"
    assert "令和9年(2027年)4月1日策定" in client.get("/accessibility").text
    english = client.get("/accessibility?lang=en").text
    assert "Policy set on 1 Apr 2027." in english and "Scope" in english
