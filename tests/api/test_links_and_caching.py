"""Paginated answers link their neighbours in a Link header (RFC 8288) built from
PUBLIC_BASE_URL; only answers with data are publicly cacheable, errors are not."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.utils import parse_header_links


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
