"""Bad input never answers 500 (issue 16): every GET rule of the URL map is driven with bad path
values and bad query parameters, logged in as an administrator and anonymously, on the demo city.
An error page is served after a database error, and even when its template fails."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, Request
from flask.testing import FlaskClient
from jinja2 import TemplateError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule

from app.core.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from tests.conftest import PLAN_FILE, Auth

HUGE = str(2**63)  # past SQLite's integer
BEYOND_INTEGER = str(2**31)  # past PostgreSQL's `integer`, the type of every id
OVERLONG = "x" * 3000

BAD_PATH_VALUES = {
    "int": [HUGE, BEYOND_INTEGER, "-1", "0", "abc", "1.5", "%00", "1%00", "9" * 5000],
    "default": [HUGE, "-1", "%00", "a%00b", "%C0%AF", OVERLONG],
}

BAD_QUERY_VALUES = [
    HUGE,
    BEYOND_INTEGER,
    "-1",
    "0",
    "abc",
    "\x00",
    "9999-12",
    "0001-01",
    "9999-12-31",
    "0001-01-01",
    OVERLONG,
    "//evil.example/",
]

# The names views read from the query string, and the usual ones besides. Each rule is sent
# all of them at once, then each one it reads (recorded below) alone, so that one parameter
# refused cannot hide another that would fail.
QUERY_PARAMETERS = [
    "page",
    "per_page",
    "initiative",
    "year",
    "month",
    "date",
    "view",
    "ward",
    "department",
    "venue",
    "role",
    "kind",
    "status",
    "q",
    "lang",
    "next",
    "sort",
    "actor",
    "action",
    "since",
    "until",
    "comment",
    "fmt",
    # url_for's own arguments: a page that passed its query string to url_for would break.
    "endpoint",
    "_scheme",
    "_external",
    "_anchor",
]

# A value each string argument accepts, for the query-parameter sweep (ids are 1).
GOOD_STRING_ARGS = {"code": "chuo", "fmt": "csv", "round_": "1", "token": "token"}

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


class _RecordingArgs(ImmutableMultiDict):
    """The query string, noting which names the view looked up."""

    read: set[str] = set()

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key: Any, type: Any = None) -> Any:
        self.read.add(key)
        return super().getlist(key, type)

    def __contains__(self, key: Any) -> bool:
        self.read.add(key)
        return super().__contains__(key)


class _RecordingRequest(Request):
    parameter_storage_class = _RecordingArgs


def _get_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint != "static"
        ),
        key=lambda rule: rule.rule,
    )


def _arguments(rule: Rule) -> list[tuple[str, str]]:
    return [(m.group(1) or "default", m.group(2)) for m in _ARGUMENT.finditer(rule.rule)]


def _fill(rule: Rule, bad_name: str | None = None, bad_value: str = "") -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "default", match.group(2)
        if name == bad_name:
            return bad_value
        return "1" if converter == "int" else GOOD_STRING_ARGS.get(name, "1")

    return _ARGUMENT.sub(value, rule.rule)


def _server_error(client: FlaskClient, url: str, query: Any = None) -> str | None:
    """What went wrong, if the answer is a server error; None for any other answer."""
    try:
        response = client.get(url, query_string=query)
    except Exception as exc:  # the test app propagates what a view raised
        return f"raised {type(exc).__name__}: {str(exc)[:160]}"
    return f"answered {response.status_code}" if response.status_code >= 500 else None


def _sweep(app: Flask, client: FlaskClient) -> list[str]:
    app.request_class = _RecordingRequest
    failures = []
    for rule in _get_rules(app):
        parameters = QUERY_PARAMETERS
        for converter, name in _arguments(rule):
            for bad in BAD_PATH_VALUES.get(converter, BAD_PATH_VALUES["default"]):
                url = _fill(rule, name, bad)
                if problem := _server_error(client, url):
                    failures.append(f"{url[:120]} {problem}")
        url = _fill(rule)
        _RecordingArgs.read = set()
        if problem := _server_error(client, url, {p: "1" for p in parameters}):
            failures.append(f"{url} all=1 {problem}")
        for bad in BAD_QUERY_VALUES:
            if problem := _server_error(client, url, {p: bad for p in parameters}):
                failures.append(f"{url} all={bad[:20]!r} {problem}")
        # Alone, each parameter the view read (lang is read by every page, in one function).
        for parameter in sorted(_RecordingArgs.read & set(parameters) - {"lang"}):
            for bad in BAD_QUERY_VALUES:
                if problem := _server_error(client, url, {parameter: bad}):
                    failures.append(f"{url} {parameter}={bad[:20]!r} {problem}")
    return failures


@pytest.fixture
def city(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        load_demo(str(PLAN_FILE))
    yield app


def test_bad_path_values_and_query_parameters_never_answer_500_anonymously(city, client):
    failures = _sweep(city, client)
    assert not failures, "\n".join(failures)


def test_bad_path_values_and_query_parameters_never_answer_500_to_an_administrator(city, client):
    assert Auth(client).login("admin@demo.sankaku.jp", DEMO_PASSWORD).status_code == 302
    assert client.get("/admin/users/").status_code == 200
    failures = _sweep(city, client)
    assert client.get("/admin/users/").status_code == 200, "the sweep logged the admin out"
    assert not failures, "\n".join(failures)


def test_an_unknown_role_filter_is_not_a_server_error(app, client, login_as):
    login_as("admin")
    assert _server_error(client, "/admin/users/", {"role": "abc"}) is None
    response = client.get("/admin/users/?role=abc&lang=en")
    assert response.status_code == 200 and "from the options." in response.text


def test_a_filter_value_of_the_wrong_type_gets_the_options_advice_in_the_page_language(
    app, client, plan
):
    """?ward=x cannot even be read as a ward's number: WTForms' "could not coerce" (untranslated
    machine Japanese) becomes the advice every other bad choice gets."""
    english = client.get("/voice/?ward=x&lang=en")
    assert english.status_code == 200
    assert "Please choose “Ward” from the options." in english.text
    assert "coerce" not in english.text
    japanese = client.get("/reports?year=abc&lang=ja")
    assert japanese.status_code == 200
    assert "年度は選択肢から選んでください。" in japanese.text
    assert "型変換" not in japanese.text


def test_a_far_month_or_a_huge_id_is_refused_with_the_error_page(app, client, plan):
    response = client.get("/consultations/calendar?month=9999-12&lang=en")
    assert response.status_code == 400
    assert "The address has a value this page cannot use" in response.text
    assert client.get("/consultations/calendar?month=0001-01").status_code == 400
    assert client.get("/consultations/calendar?month=2026-04").status_code == 200
    assert client.get(f"/public-comments/{2**31}").status_code == 404
    assert client.get("/public-comments?page=" + HUGE).status_code == 400
    assert client.get("/initiatives/0").status_code == 404


def test_nul_bytes_are_refused_at_the_edge(app, client, plan):
    assert client.get("/public-comments?q=%00").status_code == 400
    assert client.get("/consultations/wards/%00/feed.ics").status_code == 400
    response = client.post("/login", data={"email": "a\x00@example.jp", "password": "x"})
    assert response.status_code == 400


def test_the_error_page_is_served_after_a_database_error(app, client, plan):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/failed-statement")
    def failed_statement():
        # A view that swallowed a database error (the transaction is aborted on PostgreSQL)
        # and then failed for another reason.
        with contextlib.suppress(sa.exc.DBAPIError):
            db.session.execute(sa.text("SELECT * FROM no_such_table"))
        raise RuntimeError("after a failed statement")

    response = client.get("/failed-statement?lang=en")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text


def test_an_error_page_is_served_even_when_its_template_fails(app, client, plan, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    def broken(*args: Any, **kwargs: Any) -> str:
        raise TemplateError("the error template is broken")

    monkeypatch.setattr("app.core.errors.render_template", broken)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "ページを表示できませんでした" in response.text
    assert "The page could not be shown" in response.text
    assert client.get("/boom").status_code == 500
