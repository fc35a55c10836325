"""The accessibility test-results page (issue 18): built from the browser suite's own axe-core
run (data/accessibility-results.json, written by `make a11y-results`), in both languages."""

import json
import re

import pytest

from app.config import BASE_DIR

RESULTS = {
    "tested_on": "2026-11-29",
    "tool": "axe-core 4.12.1",
    "pages": [
        {"page": "/", "language": "en", "width": 1280, "checks": 2, "violations": 0},
        {"page": "/", "language": "ja", "width": 390, "checks": 1, "violations": 0},
        {"page": "/", "language": "ja", "width": 1280, "checks": 3, "violations": 0},
        {
            "page": "/consultations/sessions/<session_id>",
            "language": "ja",
            "width": 1280,
            "checks": 1,
            "violations": 2,
        },
    ],
}


@pytest.fixture
def results_file(app, tmp_path):
    path = tmp_path / "accessibility-results.json"
    path.write_text(json.dumps(RESULTS), encoding="utf-8")
    app.config["ACCESSIBILITY_RESULTS_FILE"] = str(path)
    return path


def _rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]
    ]


def test_the_results_page_in_japanese(client, plan, results_file):
    response = client.get("/accessibility/results?lang=ja")
    assert response.status_code == 200
    html = response.text
    assert "<h1>ウェブアクセシビリティ試験結果</h1>" in html
    assert "JIS X 8341-3:2016" in html and "目標とする適合レベル" in html
    assert "令和8年(2026年)11月29日" in html  # the date as the city writes it
    assert "axe-core 4.12.1" in html
    assert "2ページ中1ページで問題が見つかりました" in html
    assert _rows(html) == [
        "/ 英語：幅1280ピクセル 日本語：幅390 / 1280ピクセル 適合",
        "/consultations/sessions/&lt;session_id&gt; 日本語：幅1280ピクセル 不適合（違反2件）",
    ]
    # The page says an automated test is not a statement of conformance.
    assert "対応度（準拠、一部準拠、配慮）の表明ではありません" in html


def test_the_results_page_in_english(client, plan, results_file):
    html = client.get("/accessibility/results?lang=en").text
    assert "<h1>Accessibility test results</h1>" in html
    assert "29 Nov 2026" in html
    assert "Problems found on 1 of 2 pages" in html
    assert _rows(html) == [
        "/ English at 1280 px Japanese at 390 / 1280 px Conforms",
        "/consultations/sessions/&lt;session_id&gt; Japanese at 1280 px "
        "Does not conform (2 violations)",
    ]


def test_all_pages_passing(client, plan, results_file):
    passing = {**RESULTS, "pages": RESULTS["pages"][:3]}
    results_file.write_text(json.dumps(passing), encoding="utf-8")
    html = client.get("/accessibility/results?lang=ja").text
    assert "試験したすべてのページで問題は見つかりませんでした" in html
    assert "不適合" not in html


@pytest.mark.parametrize("content", [None, "not json", '{"pages": []}', '{"tested_on": "x"}'])
def test_missing_or_unreadable_results_say_so(app, client, plan, tmp_path, content):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    app.config["ACCESSIBILITY_RESULTS_FILE"] = str(path)
    response = client.get("/accessibility/results?lang=ja")
    assert response.status_code == 200
    assert "試験結果はまだ公開されていません。" in response.text


def test_the_policy_links_to_the_results(client, plan):
    for language, name in (
        ("ja", "ウェブアクセシビリティ試験結果"),
        ("en", "Accessibility test results"),
    ):
        html = client.get(f"/accessibility?lang={language}").text
        assert f'<a href="/accessibility/results">{name}</a>' in html


def test_the_committed_results_are_the_suites_own():
    """The committed file was written by `make a11y-results` (tests/e2e/page_checks.py) over
    the browser suite: both languages, both widths, the main public pages, no violation."""
    results = json.loads((BASE_DIR / "data" / "accessibility-results.json").read_text())
    rows = results["pages"]
    assert results["tool"].startswith("axe-core ")
    assert {row["language"] for row in rows} == {"ja", "en"}
    assert {390, 1280} <= {row["width"] for row in rows}
    pages = {row["page"] for row in rows}
    for page in ("/", "/reports", "/public-comments", "/consultations/", "/accessibility"):
        assert page in pages
    assert all(row["violations"] == 0 for row in rows)
