"""The statistics page and the annual report (市民の声年報): counts by kind, channel, division
and response for a fiscal year, as HTML with charts, CSV and XLSX, at a fixed cost in
statements whatever the number of voices."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, time

import pytest
from openpyxl import load_workbook

from tests.conftest import count_statements
from tests.voice.conftest import SENDER, department_id
from tests.voice.test_activity import add_voice, answered, jst


@pytest.fixture
def year(app, plan, frozen):
    """FY2026 seen from June 2026: four voices in it (one received twice) and one the year
    before."""
    from app.voice.models import ResponseKind, VoiceChannel, VoiceKind, VoiceStatus

    frozen.set_jst(date(2026, 6, 1), time(9, 0))
    with app.app_context():
        first = add_voice(
            **answered(date(2026, 4, 10), response_kind=ResponseKind.REFLECTED),
            received_at=jst(date(2026, 4, 3)),
            due_on=date(2026, 4, 17),
            kind=VoiceKind.PROPOSAL,
            department_id=department_id("kikaku"),
        )
        add_voice(
            **answered(date(2026, 5, 30)),
            channel=VoiceChannel.PHONE,
            department_id=department_id("kikaku"),
        )
        add_voice(channel=VoiceChannel.LETTER, kind=VoiceKind.COMPLAINT)
        add_voice(status=VoiceStatus.DUPLICATE, duplicate_of_id=first)
        add_voice(received_at=jst(date(2026, 3, 20)), fiscal_year=2025)
    return 2026


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_statistics_count_the_year_by_kind_channel_division_and_response(client, year):
    page = client.get(f"/voice/statistics?year={year}&lang=en")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<svg" in text and 'role="img"' in text  # the charts, with the tables beside
    for label, number in [
        ("Proposal", 1),
        ("Request", 1),
        ("Complaint", 1),
        ("Telephone call", 1),
        ("Letter", 1),
        ("Web form", 1),
        ("Reflected in the city's work", 1),
        ("Not yet answered", 1),
    ]:
        assert f'<th scope="row">{label}</th><td class="number">{number}</td>' in text, label
    assert '<th scope="row">Total</th><td class="number">3</td>' in text
    for marker in [*SENDER.values(), "MARKER", "V2026-"]:
        assert marker not in text


def test_the_year_filter(client, year):
    last = html.unescape(client.get("/voice/statistics?year=2025&lang=en").text)
    assert '<th scope="row">Request</th><td class="number">1</td>' in last
    assert '<th scope="row">Total</th><td class="number">1</td>' in last
    # A year that is not a choice is told beside the field; the current year is shown.
    wrong = client.get("/voice/statistics?year=1800&lang=en")
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.text
    assert "令和8年度" not in wrong.text and "Statistics of the citizens' voice FY2026" in (
        html.unescape(wrong.text)
    )
    assert client.get("/voice/statistics?year=abc").status_code == 200
    assert client.get("/voice/report/1800").status_code == 404
    assert client.get("/voice/report/2031.csv").status_code == 404


def test_the_annual_report_as_html_csv_and_xlsx(client, year):
    page = client.get(f"/voice/report/{year}?lang=en")
    assert page.status_code == 200
    assert "Citizens' voice annual report FY2026" in html.unescape(page.text)

    response = client.get(f"/voice/report/{year}.csv?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = rows_of(response)
    assert rows[0] == ["Section", "What is counted", "Value"]
    table = {(section, item): value for section, item, value in rows[1:]}
    assert table[("Summary", "Voices received")] == "3"
    assert table[("Summary", "Voices answered")] == "2"
    assert table[("Summary", "Answered on time")] == "1"  # 30 May is after 15 May
    assert table[("Summary", "Median days to answer")] == "18"  # 7 and 29 days
    assert table[("Summary", "Voices reflected")] == "1"
    assert table[("Voices received per month", "Apr 2026")] == "1"
    assert table[("Voices received per month", "May 2026")] == "2"
    assert table[("Voices received per month", "Mar 2027")] == "0"
    assert table[("By channel", "Telephone call")] == "1"
    assert table[("By division", "Planning Division")] == "2" or any(
        section == "By division" and value == "2" for section, _item, value in rows[1:]
    )

    response = client.get(f"/voice/report/{year}.xlsx?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('fy2026.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "Citizens' voice annual report FY2026"
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0] == ["Section", "What is counted", "Value"]
    assert ["Summary", "Voices received", 3] in values
    assert ["By kind", "Complaint", 1] in values
    assert sheet.print_title_rows == "$2:$2"
    for marker in [*SENDER.values(), "MARKER"]:
        assert marker not in response.data.decode("utf-8-sig", errors="ignore")


def test_japanese_report(client, year):
    page = client.get(f"/voice/report/{year}?lang=ja")
    assert page.status_code == 200
    assert "令和8年度(2026年度)" in page.text


@pytest.mark.parametrize(
    "path", ["/voice/statistics?year=2026", "/voice/report/2026", "/voice/report/2026.xlsx"]
)
def test_statement_count_is_fixed_for_1_or_30_voices(app, client, plan, frozen, path):
    from app.voice.models import VoiceChannel, VoiceKind

    frozen.set_jst(date(2026, 6, 1), time(9, 0))
    with app.app_context():
        add_voice()
    client.get(path)
    with app.app_context(), count_statements() as one:
        assert client.get(path).status_code == 200
    with app.app_context():
        kinds, channels = list(VoiceKind), list(VoiceChannel)
        codes = ["kikaku", "somu", "koho", "kocho", "shimin-kyodo"]
        for number in range(29):
            add_voice(
                **(answered(date(2026, 5, 2 + number % 20)) if number % 2 else {}),
                kind=kinds[number % len(kinds)],
                channel=channels[number % len(channels)],
                department_id=department_id(codes[number % len(codes)]),
            )
    with app.app_context(), count_statements() as thirty:
        assert client.get(path).status_code == 200
    assert len(thirty) == len(one)


def test_the_statistics_page_is_kept_whole_per_year_and_version_of_its_figures(
    app, another_app, year
):
    """With the figures cached, a year's page is kept whole for anonymous visitors (drawn once)
    and answered 304 while its figures stay the same; figures computed again (the cron's
    warming) give it a new version, drawn at once. A year that is not a choice, or a query with
    more in it, is drawn each time, so made-up addresses fill nothing."""
    from flask import template_rendered

    from app.core.cache import store
    from app.voice.models import VoiceChannel
    from app.voice.statistics import compute_year, year_key

    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    client = cached.test_client()
    drawn: list[str] = []

    def note(_sender, template, **_extra):
        drawn.append(template.name)

    def letters(page) -> str:
        return html.unescape(page.text).split('<th scope="row">手紙</th>')[1].split("</td>")[0]

    with template_rendered.connected_to(note, cached):
        first = client.get(f"/voice/statistics?year={year}")  # computes and caches the figures
        assert first.status_code == 200 and letters(first).endswith(">1")
        kept = client.get(f"/voice/statistics?year={year}")
        assert kept.status_code == 200
        tag = kept.headers["ETag"]
        assert kept.headers["Cache-Control"] == "no-cache"
        assert client.get(f"/voice/statistics?year={year}").text == kept.text
        assert drawn.count("voice/statistics.html") == 2  # the third was kept whole
        same = client.get(f"/voice/statistics?year={year}", headers={"If-None-Match": tag})
        assert same.status_code == 304 and same.data == b""
        # A year's page has no version before its figures are computed: drawn, with no tag.
        assert "ETag" not in client.get("/voice/statistics?year=2025").headers
        other = client.get("/voice/statistics?year=2025", headers={"If-None-Match": tag})
        assert other.status_code == 200 and other.headers["ETag"] != tag

        drawn.clear()
        for path in ("/voice/statistics?year=1800", f"/voice/statistics?year={year}&x=1"):
            assert client.get(path).status_code == 200
            assert client.get(path).status_code == 200
        assert drawn.count("voice/statistics.html") == 4

        with app.app_context():
            add_voice(channel=VoiceChannel.LETTER)
        # Cached figures are a period old at most: the page does not change before they do.
        assert letters(client.get(f"/voice/statistics?year={year}")).endswith(">1")
        with cached.app_context():
            store(year_key(year), compute_year(year))
        changed = client.get(f"/voice/statistics?year={year}", headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["ETag"] != tag
        assert letters(changed).endswith(">2")
