"""Paginated answers link their neighbours in a Link header (RFC 8288) built from
PUBLIC_BASE_URL; only answers with data are publicly cacheable, errors are not; the
unfiltered figures are kept whole between the figures' refreshes."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import request
from requests.utils import parse_header_links

from app.api import views
from app.core.i18n import LANGUAGE_COOKIE
from app.extensions import cache, db
from app.plan.models import Plan


def _links(response):
    """rel → (address, page) from the Link header, read by requests' parser."""
    links = {}
    for link in parse_header_links(response.headers["Link"]):
        query = parse_qs(urlsplit(link["url"]).query)
        links[link["rel"]] = (link["url"], int(query["page"][0]), int(query["per_page"][0]))
    return links


@pytest.fixture
def five_cases(add_case):
    return [add_case(date(2024, month, 1)) for month in range(4, 9)]


def test_link_header_names_first_prev_next_last(client, five_cases):
    middle = client.get("/api/v1/public-comments?per_page=2&page=2")
    assert middle.status_code == 200
    links = _links(middle)
    assert {rel: page for rel, (_url, page, _per) in links.items()} == {
        "first": 1,
        "prev": 1,
        "next": 3,
        "last": 3,
    }
    assert all(per == 2 for _url, _page, per in links.values())
    assert all(
        url.startswith("http://localhost/api/v1/public-comments?") for url, *_ in links.values()
    )
    assert middle.get_json()["next"] == links["next"][0]

    first = _links(client.get("/api/v1/public-comments?per_page=2"))
    assert set(first) == {"first", "next", "last"}
    last = _links(client.get("/api/v1/public-comments?per_page=2&page=3"))
    assert set(last) == {"first", "prev", "last"} and last["prev"][1] == 2
    # An empty list still has one page to point at.
    empty = _links(client.get("/api/v1/proposals"))
    assert {rel: page for rel, (_url, page, _per) in empty.items()} == {"first": 1, "last": 1}


def test_link_header_from_public_base_url_not_the_host(app, client, five_cases):
    app.config["PUBLIC_BASE_URL"] = "https://sankaku.city.example/"
    response = client.get("/api/v1/public-comments?per_page=2", base_url="http://evil.example")
    for url, *_ in _links(response).values():
        assert url.startswith("https://sankaku.city.example/api/v1/public-comments?")
    assert response.get_json()["items"][0]["url"].startswith("https://sankaku.city.example/")


@pytest.mark.parametrize(
    "url, status",
    [
        ("/api/v1/public-comments?page=x", 400),
        ("/api/v1/figures?ward=nowhere", 400),
        ("/api/v1/public-comments/99999", 404),
        ("/api/v1/no-such-list", 404),
    ],
)
def test_error_answers_are_not_publicly_cacheable(client, plan, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "no-store" in response.headers["Cache-Control"]


def test_data_answers_are_publicly_cacheable_and_revalidate(client, five_cases):
    response = client.get("/api/v1/public-comments")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(
        "/api/v1/public-comments", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "public, max-age=60"


def test_unfiltered_figures_are_built_once_per_period_and_language(
    app, another_app, plan, monkeypatch
):
    """With the cache on, /api/v1/figures without a query is built once per plan revision and
    language and served whole after (app/core/cache.py kept_page), as /reports is; a filtered
    answer is built each time, and an edit to the table (its revision) shows at once."""
    built: list[str] = []
    figures_json = views._figures_json

    def counted(flt, current):
        built.append(request.args.get("year", ""))
        return figures_json(flt, current)

    monkeypatch.setattr(views, "_figures_json", counted)
    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    with cached.app_context():
        cache.clear()
    first = cached.test_client().get("/api/v1/figures")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert len(first.json["initiatives"]) == 22
    again = cached.test_client().get("/api/v1/figures")
    assert again.status_code == 200 and again.data == first.data
    assert built == [""]  # served whole, not built again
    assert (
        cached.test_client()
        .get("/api/v1/figures", headers={"If-None-Match": first.headers["ETag"]})
        .status_code
        == 304
    )

    english = cached.test_client()
    english.set_cookie(LANGUAGE_COOKIE, "en")
    labels = [kind["label"] for kind in english.get("/api/v1/figures").json["kinds"]]
    assert labels != [kind["label"] for kind in first.json["kinds"]]  # its own entry
    assert built == ["", ""]

    filtered = cached.test_client().get("/api/v1/figures?year=2024")
    assert filtered.status_code == 200 and filtered.json["filter"]["year"] == [2024]
    assert cached.test_client().get("/api/v1/figures?year=2024").status_code == 200
    assert built == ["", "", "2024", "2024"]  # with a query: built each time

    with app.app_context():
        db.session.execute(sa.update(Plan).values(revision=Plan.revision + 1))
        db.session.commit()
    assert cached.test_client().get("/api/v1/figures").status_code == 200
    assert built == ["", "", "2024", "2024", ""]  # the table was edited: built again
