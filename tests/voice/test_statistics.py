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
