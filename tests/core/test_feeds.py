"""Feeds other programs read (issue 19): every Atom feed parses in two independent parsers
(feedparser and the standard library's ElementTree), whatever staff typed into a title; every
feed, Atom and iCalendar, answers a conditional GET with 304 while it is unchanged; one Atom
feed per initiative follows all its activity through the activity registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import feedparser
import pytest
import sqlalchemy as sa

from app.consultations.models import Session
from app.extensions import db
from app.public_comment.models import CommentCase
from tests.conftest import count_statements
from tests.consultations.factories import make_consultation, make_session, make_venue

ATOM = "{http://www.w3.org/2005/Atom}"
MARKUP_TITLE = 'R&D <b>"案"</b>'
BASE = "https://sankaku.example.jp"


@pytest.fixture
def public_base(app):
    app.config["PUBLIC_BASE_URL"] = BASE
    return BASE


def _parse_atom(data: bytes) -> tuple[feedparser.FeedParserDict, ElementTree.Element]:
    """Both parsers, each of which must accept the document as it is."""
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ElementTree.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    return parsed, root


def _only_atom_elements(root: ElementTree.Element) -> None:
    """No markup from a title became an element of the feed."""
    for element in root.iter():
        assert element.tag.startswith(ATOM), element.tag


def _session_for(app, number: int, title: str = "第1回") -> int:
    with app.app_context():
        consultation_id = make_consultation(number=number)
        return make_session(consultation_id, make_venue(), title=title)


# The public comment feed --------------------------------------------------------------------


def test_public_comment_feed_keeps_a_title_with_markup_as_text(client, make_case, public_base):
    make_case(title=MARKUP_TITLE)
    response = client.get("/public-comments/feed.atom", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed, root = _parse_atom(response.data)
    assert [entry.title for entry in parsed.entries] == [MARKUP_TITLE]
    assert root.find(f"{ATOM}entry/{ATOM}title").text == MARKUP_TITLE
    _only_atom_elements(root)
    # Absolute addresses come from PUBLIC_BASE_URL, never from the request's Host header.
    assert parsed.feed.id == f"{BASE}/public-comments/feed.atom"
    assert parsed.entries[0].link.startswith(f"{BASE}/public-comments/")
    assert b"evil.example" not in response.data


def test_public_comment_feed_is_as_new_as_its_newest_entry_and_publishes_nothing_ahead(
    app, client, make_case, frozen
):
    frozen.now = datetime.now(UTC)
    later_closing = make_case(title="後に締め切る案件")
    upcoming = make_case(title="これから始まる案件")
    with app.app_context():
        # The case closing last was changed first; the upcoming one, changed since, opens in
        # ten days. The feed used to take its `updated` from the first entry by closing date.
        case = db.session.get(CommentCase, later_closing)
        case.opens_at, case.closes_at = frozen.now - timedelta(days=5), frozen.now + timedelta(60)
        case.updated_at = frozen.now - timedelta(days=2)
        case = db.session.get(CommentCase, upcoming)
        case.opens_at, case.closes_at = frozen.now + timedelta(days=10), frozen.now + timedelta(40)
        case.updated_at = frozen.now - timedelta(days=1)
        db.session.commit()
    parsed, _root = _parse_atom(client.get("/public-comments/feed.atom").data)
    stamps = {e.title: datetime(*e.updated_parsed[:6], tzinfo=UTC) for e in parsed.entries}
    feed_updated = datetime(*parsed.feed.updated_parsed[:6], tzinfo=UTC)
    assert feed_updated == max(stamps.values())
    assert stamps["これから始まる案件"] > stamps["後に締め切る案件"]
    for entry in parsed.entries:
        published = datetime(*entry.published_parsed[:6], tzinfo=UTC)
        assert published <= frozen.now, entry.title


# The feed of one initiative -----------------------------------------------------------------


def test_initiative_feed_lists_a_case_and_a_session_of_that_initiative(
    app, client, make_case, public_base
):
    make_case(title=MARKUP_TITLE, initiative=6)
    make_case(title="別の取組の案件", initiative=17)
    _session_for(app, 6)
    response = client.get("/initiatives/6/feed.atom", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    parsed, root = _parse_atom(response.data)
    _only_atom_elements(root)
    titles = [entry.title for entry in parsed.entries]
    assert len(titles) == 2
    assert any(MARKUP_TITLE in title for title in titles)
    assert any("テスト懇話会 第1回" in title for title in titles)
    assert not any("別の取組" in title for title in titles)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja"
    assert "取組6" in parsed.feed.title or "取組 6" in parsed.feed.title
    # Newest first, every address on the public base URL.
    stamps = [entry.updated_parsed for entry in parsed.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert parsed.feed.id == f"{BASE}/initiatives/6/feed.atom"
    assert all(entry.id.startswith(f"{BASE}/") for entry in parsed.entries)
    assert b"evil.example" not in response.data
    feed_updated = parsed.feed.updated_parsed
    assert feed_updated == max(stamps)


def test_initiative_feed_in_english(app, client, make_case):
    make_case(initiative=6)
    _session_for(app, 6)
    parsed, root = _parse_atom(client.get("/initiatives/6/feed.atom?lang=en").data)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert parsed.feed.title.startswith("Initiative 6")
    titles = [entry.title for entry in parsed.entries]
    assert any(title.startswith("Consultations: Test workshop") for title in titles), titles
    assert any(title.startswith("Public comment: ") for title in titles), titles


def test_initiative_feed_of_an_unknown_initiative_is_404(client, plan):
    assert client.get("/initiatives/99/feed.atom").status_code == 404


def test_initiative_feed_costs_a_fixed_number_of_statements(app, client, make_case):
    make_case(initiative=6)
    _session_for(app, 6)
    client.get("/initiatives/6/feed.atom")
    with app.app_context(), count_statements() as few:
        client.get("/initiatives/6/feed.atom")
    for n in range(4):
        make_case(initiative=6, title=f"案件{n}")
    with app.app_context():
        consultation_id = make_consultation(number=6, title="もう一つの懇話会")
        for n in range(3):
            make_session(consultation_id, None, title=f"第{n + 2}回")
    with app.app_context(), count_statements() as many:
        parsed, _root = _parse_atom(client.get("/initiatives/6/feed.atom").data)
    assert len(parsed.entries) == 9
    assert len(many) == len(few)


def test_initiative_page_links_its_feed(client, plan):
    for language, label in (("ja", "Atom"), ("en", "Atom")):
        html = client.get(f"/initiatives/6?lang={language}").text
        assert (
            '<link rel="alternate" type="application/atom+xml"' in html
            and 'href="/initiatives/6/feed.atom"' in html
        )
        assert '<a href="/initiatives/6/feed.atom">' in html and label in html


# Conditional GET on every feed --------------------------------------------------------------


def _feed_urls(app, make_case) -> list[str]:
    make_case(initiative=6)
    session_id = _session_for(app, 6)
    return [
        "/public-comments/feed.atom",
        "/public-comments/feed.atom?lang=en",
        "/initiatives/6/feed.atom",
        "/initiatives/6/feed.atom?lang=en",
        "/consultations/feed.ics",
        "/consultations/wards/chuo/feed.ics",
        f"/consultations/sessions/{session_id}/session.ics",
    ]


def test_every_feed_answers_304_while_unchanged(app, client, make_case):
    for url in _feed_urls(app, make_case):
        first = client.get(url)
        assert first.status_code == 200, url
        etag = first.headers.get("ETag")
        assert etag and not etag.startswith("W/"), url  # strong: a hash of the body
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""
        assert again.headers["ETag"] == etag
        modified = first.headers.get("Last-Modified")
        assert modified, url
        since = client.get(url, headers={"If-Modified-Since": modified})
        assert since.status_code == 304, url
        other = client.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.data == first.data, url


def test_a_changed_feed_answers_200_with_a_new_etag(app, client, make_case):
    urls = _feed_urls(app, make_case)
    before = {url: client.get(url).headers["ETag"] for url in urls}
    make_case(initiative=6, title="新しい案件")
    with app.app_context():
        for session in db.session.scalars(sa.select(Session)):
            session.title_ja = "第1回（会場変更）"
        db.session.commit()
    for url in urls:
        response = client.get(url, headers={"If-None-Match": before[url]})
        assert response.status_code == 200, url
        assert response.headers["ETag"] != before[url], url
