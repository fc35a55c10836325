"""The one-language check the browser tests run (tests/e2e/ui_language.py), on known texts."""

import pytest

from tests.e2e.ui_language import slips_in


@pytest.mark.parametrize(
    "text",
    [
        "文字列をUTF-8で表したもののSHA-256ハッシュ値",
        "受付番号 PC-2024-000123",
        "staff@example.jp 宛てにお送りしました",
        "https://example.jp/x をご覧ください",
        "PDF、CSV、XLSX",
    ],
)
def test_japanese_page_allows_addresses_codes_and_the_citys_abbreviations(text):
    assert slips_in([text], "ja") == []


@pytest.mark.parametrize("text", ["Reviewer 1", "role: staff", "Budget: 予算", "login"])
def test_japanese_page_finds_english_words(text):
    assert slips_in([text], "ja") == [text]


def test_english_page_finds_catalogue_japanese_but_not_content():
    # 「受付日時」 is the Japanese catalogue's; a department's name or a case title is content.
    assert slips_in(["Status: 受付日時"], "en") == ["Status: 受付日時"]
    assert slips_in(["市民協働課", "案件 2020-06-01", "日本語"], "en") == []
