from datetime import UTC, date, datetime

import pytest

from app.core import i18n


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 10, 3), "令和6年"),
        (date(2019, 5, 1), "令和元年"),
        (date(2019, 4, 30), "平成31年"),
        (date(1989, 1, 8), "平成元年"),
        (date(1989, 1, 7), "昭和64年"),
    ],
)
def test_era_year(day, expected):
    assert i18n.era_year(day) == expected


@pytest.fixture
def app(app):
    # Formatting reads the request's language, so each check opens its own request context.
    return app


def test_japanese_date_as_the_city_writes_it(app):
    with app.test_request_context("/?lang=ja"):
        assert i18n.format_date(date(2024, 10, 3)) == "令和6年(2024年)10月3日(木)"
        assert i18n.format_date(date(2024, 10, 3), weekday=False) == "令和6年(2024年)10月3日"


def test_english_date(app):
    with app.test_request_context("/?lang=en"):
        assert i18n.format_date(date(2024, 10, 3), weekday=False) == "3 Oct 2024"
        assert i18n.format_date(date(2024, 10, 3)) == "Thu 3 Oct 2024"


def test_datetimes_are_shown_in_tokyo_time(app):
    # 15:30 UTC on 2 Oct is 00:30 on 3 Oct in Tokyo: the date must move too.
    moment = datetime(2024, 10, 2, 15, 30, tzinfo=UTC)
    with app.test_request_context("/?lang=ja"):
        assert i18n.format_datetime(moment) == "令和6年(2024年)10月3日(木) 00:30"


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2024, 3, 31), 2023), (date(2024, 4, 1), 2024), (date(2025, 1, 15), 2024)],
)
def test_fiscal_year_runs_april_to_march(day, year):
    assert i18n.fiscal_year(day) == year


def test_fiscal_year_of_an_instant_uses_tokyo_time():
    # 31 March 15:00 UTC is already 1 April in Tokyo.
    assert i18n.fiscal_year(datetime(2024, 3, 31, 15, 0, tzinfo=UTC)) == 2024
    assert i18n.fiscal_year(datetime(2024, 3, 31, 14, 59, tzinfo=UTC)) == 2023


def test_fiscal_year_bounds_are_tokyo_midnights():
    start, end = i18n.fiscal_year_bounds(2024)
    assert start == datetime(2024, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2025, 3, 31, 15, 0, tzinfo=UTC)


def test_fiscal_year_labels(app):
    with app.test_request_context("/?lang=ja"):
        assert i18n.format_fiscal_year(2024) == "令和6年度(2024年度)"
        assert i18n.format_fiscal_year(2019) == "令和元年度(2019年度)"
        assert i18n.format_fiscal_year(2011) == "平成23年度(2011年度)"
    with app.test_request_context("/?lang=en"):
        assert i18n.format_fiscal_year(2024) == "FY2024"


def test_language_switch_is_remembered(client, plan):
    response = client.get("/language/en?next=/initiatives/8")
    assert response.status_code == 302
    assert response.headers["Location"] == "/initiatives/8"
    page = client.get("/initiatives/8")
    assert 'lang="en"' in page.text
    assert "Strengthen public hearing systems, including public comment" in page.text
    client.get("/language/ja?next=/")
    page = client.get("/initiatives/8")
    assert 'lang="ja"' in page.text
    assert "パブリックコメントを含む広聴制度の強化" in page.text


def test_language_switch_refuses_offsite_redirects(client, plan):
    response = client.get("/language/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    response = client.get("/language/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_catalogues_have_no_untranslated_or_fuzzy_entries():
    from babel.messages.pofile import read_po

    from app.config import BASE_DIR

    for language in ("ja", "en"):
        path = BASE_DIR / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalogue = read_po(handle)
        missing = [
            m.id
            for m in catalogue
            if m.id and (m.fuzzy or not (all(m.string) if m.pluralizable else m.string))
        ]
        assert missing == [], f"{language}: untranslated or fuzzy: {missing[:10]}"
        assert len(catalogue) > 100


def test_catalogues_cover_every_string_in_the_code(tmp_path):
    """Extract afresh: a string added to the code but not to the catalogues fails here."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    from app.config import BASE_DIR

    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(BASE_DIR / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            str(BASE_DIR / "app"),
        ]
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    for language in ("ja", "en"):
        path = BASE_DIR / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            have = {m.id for m in read_po(handle) if m.id}
        assert wanted - have == set(), f"{language} lacks {sorted(wanted - have)[:10]}"
