"""Every CSV and XLSX export goes through one writer (app.core.exports): a staff-written text that
a spreadsheet would run as a formula comes out neutralised (OWASP's CSV injection rule), numbers
stay numbers, and CSV answers name their type and charset once."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.consultations.models import Consultation, ConsultationKind, Session, Venue
from app.core.exports import line_count, neutralise, text_width, width_for
from app.councils import services as council_services
from app.extensions import db
from app.plan.models import Action, Category, Department, Initiative, Recommendation
from tests.consultations.factories import scheduled
from tests.councils.conftest import department_id

PAYLOAD = '=HYPERLINK("http://x","y")'
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# Every CSV and XLSX export Sankaku serves, with who may read it (None: anyone).
CSV_EXPORTS = [
    ("/reports/export.csv", None),
    ("/staff/reports/export.csv", "kikaku"),
    ("/consultations/events.csv", None),
    ("/staff/councils/dashboard.csv", "gyosei-keiei"),
]
XLSX_EXPORTS = [
    ("/reports/export.xlsx", None),
    ("/staff/reports/export.xlsx", "kikaku"),
    ("/reports/annual.xlsx?year=2024", None),
]


@pytest.mark.parametrize(
    "value, expected",
    [
        (PAYLOAD, "'" + PAYLOAD),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("案件 =1", "案件 =1"),
        ("", ""),
        (-5, -5),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_neutralise_follows_owasp(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def formula_everywhere(app, plan, make_user):
    """A formula as every staff-written text the exports carry: the response table's names and
    titles, a consultation, its session and venue, a council."""
    ids = scheduled(app)
    with app.app_context():
        council_services.save_council(
            None,
            None,
            department_id=department_id("kikaku"),
            name_ja=PAYLOAD,
            purpose_ja="目的",
            total_seats=10,
            public_seat_target=2,
        )
        for model, fields in [
            (Category, ("name_ja", "name_en")),
            (Recommendation, ("text_ja", "text_en", "policy_ja", "policy_en")),
            (Initiative, ("title_ja", "title_en")),
            (Action, ("text_ja", "text_en")),
            (Department, ("name_ja", "name_en")),
            (ConsultationKind, ("name_ja", "name_en")),
            (Consultation, ("title_ja", "title_en", "purpose_ja", "contact_ja")),
            (Session, ("title_ja", "title_en")),
            (Venue, ("name_ja", "address_ja", "accessibility_ja")),
        ]:
            db.session.execute(sa.update(model).values(dict.fromkeys(fields, PAYLOAD)))
        db.session.commit()
    return ids


def _login_for(client, auth, make_user, department):
    if department is not None:
        auth.login(make_user("staff", department).email)


@pytest.mark.parametrize("url, department", CSV_EXPORTS)
def test_formula_comes_out_neutralised_in_every_csv_export(
    client, auth, make_user, formula_everywhere, url, department
):
    _login_for(client, auth, make_user, department)
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + PAYLOAD in cells, url
    assert not [c for c in cells if c.startswith(DANGEROUS)], url


@pytest.mark.parametrize("url, department", XLSX_EXPORTS)
def test_formula_comes_out_a_string_in_every_xlsx_export(
    client, auth, make_user, formula_everywhere, url, department
):
    _login_for(client, auth, make_user, department)
    response = client.get(url)
    assert response.status_code == 200, url
    workbook = load_workbook(io.BytesIO(response.data))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], url
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert any(t.startswith("'" + PAYLOAD) for t in texts), url
    assert not [t for t in texts if t.startswith(DANGEROUS)], url
    # Figures are still numbers a spreadsheet can add up.
    assert any(c.data_type == "n" for c in cells) or "annual" in url


@pytest.mark.parametrize("url, department", CSV_EXPORTS)
def test_csv_content_type_names_its_charset_once(client, auth, make_user, plan, url, department):
    scheduled(client.application)
    _login_for(client, auth, make_user, department)
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_report_csv_header_reads_in_the_page_language_and_json_keeps_machine_keys(client, plan):
    def header(lang):
        data = client.get(f"/reports/export.csv?lang={lang}").data.decode("utf-8-sig")
        return next(csv.reader(io.StringIO(data)))

    ja, en = header("ja"), header("en")
    assert ja[:4] == ["区分", "答申番号", "取組番号", "取組内容"]
    assert en[:4] == ["Category", "Recommendation no.", "Initiative no.", "Initiative"]
    assert "public_comment.people" not in ja and len(ja) == len(en)
    rows = client.get("/reports/export.json?lang=ja").get_json()["rows"]
    assert {"category", "initiative", "public_comment.people"} <= set(rows[0])


@pytest.mark.parametrize(
    "value, width, lines",
    [
        ("", 10, 1),
        ("広報課\n市民協働課", 30, 2),  # each of a value's own lines counts
        ("各区まちづくり推進課", 22, 2),
        ("パブリックコメント：案件数", 7, 7),  # two kanji a line in a narrow column, not 2.85
        ("あ" * 18, 40, 1),  # 18 kanji a line in a column 40 wide, as Excel shows them
        ("あ" * 19, 40, 2),
        ("Hello world foo bar", 11, 3),  # English wraps between words
        ("a" * 50, 11, 6),  # a word wider than the cell breaks where it must
    ],
)
def test_xlsx_line_count_wraps_as_a_spreadsheet_does(value, width, lines):
    assert line_count(value, width) == lines


@pytest.mark.parametrize(
    "text", ["各区まちづくり推進課", "区分", "1300000", "Citizen Collaboration"]
)
def test_a_column_fitted_to_a_text_holds_it_on_one_line(text):
    assert line_count(text, width_for(text_width(text))) == 1
