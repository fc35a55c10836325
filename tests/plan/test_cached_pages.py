"""With the cache on (app/core/cache.py), the table, an initiative's page and the report are
built once a period: an edit to the table shows at once, figures within the period."""

from __future__ import annotations

import threading
from dataclasses import replace

import cachelib.simple
import pytest
import sqlalchemy as sa
from flask import template_rendered

from app.accounts.models import User
from app.core import activity
from app.core import cache as cache_module
from app.extensions import db
from app.plan.models import Initiative
from app.plan.services import edit_texts
from tests.core.test_figures_cache import wait_for
from tests.kinds import PROGRESS_KIND

TITLE = "新しい参画の手法の研究と活用"
PAGES = ["/", "/initiatives/9", "/reports"]


@pytest.fixture
def counted_kind(app, plan):
    calls = []

    def figures(_flt):
        calls.append(1)
        initiative_id = db.session.scalar(sa.select(Initiative.id).where(Initiative.number == 9))
        return {initiative_id: {"entries": 1000 + len(calls), "years": 0}}

    activity.register(replace(PROGRESS_KIND, key="counted", label="Counted", figures=figures))
    yield calls
    activity.unregister("counted")


def test_an_edit_shows_at_once_and_figures_within_the_period(
    app, another_app, make_user, counted_kind, monkeypatch
):
    clock = [1000.0]
    # One clock for the cache's expiry and for the figures' "fresh until" (app.core.cache).
    monkeypatch.setattr(cachelib.simple, "time", lambda: clock[0])
    monkeypatch.setattr(cache_module, "time", lambda: clock[0])
    client = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60}).test_client()
    admin = make_user("admin")

    for page in PAGES:
        assert TITLE in client.get(page).text
    assert "Counted：1001" in client.get("/").text
    assert "1001" in client.get("/initiatives/9").text
    assert len(counted_kind) == 1  # computed once for the three pages and the second visit

    with app.app_context():
        item = db.session.scalar(sa.select(Initiative).where(Initiative.number == 9))
        edit_texts(db.session.get(User, admin.id), item, title_ja=f"{TITLE}(改)")
    for page in PAGES:
        assert f"{TITLE}(改)" in client.get(page).text, page
    assert "Counted：1001" in client.get("/").text  # the figures are still those of the period
    assert "Research and use new participation methods" in client.get("/?lang=en").text

    # After the period the page is built again at once, with the figures of the last period
    # (served stale), while one thread recomputes them; the next period's page has the new ones.
    clock[0] += 61
    assert "Counted: 1001" in client.get("/").text
    assert wait_for(lambda: len(counted_kind) == 2)
    assert wait_for(lambda: not any(t.name.startswith("recompute ") for t in threading.enumerate()))
    clock[0] += 61
    # The page is kept whole for anonymous visitors (kept_page): the one drawn a period ago is
    # served while a thread draws it again, computing the figures it finds stale afresh, once;
    # the page after it has them.
    assert "Counted: 1001" in client.get("/").text
    assert wait_for(lambda: not any(t.name.startswith("recompute ") for t in threading.enumerate()))
    assert len(counted_kind) == 3
    assert "Counted: 1003" in client.get("/").text


def test_the_report_without_a_query_is_kept_whole_for_anonymous_visitors(
    app, another_app, make_user, counted_kind
):
    client = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60}).test_client()
    drawn: list[str] = []

    def note(_sender, template, **_extra):
        drawn.append(template.name)

    with template_rendered.connected_to(note):
        first = client.get("/reports")
        assert first.status_code == 200 and TITLE in first.text
        again = client.get("/reports")
        assert again.status_code == 200 and again.text == first.text
        assert drawn == ["reports/index.html"]  # the second visit was served whole
        assert client.get("/reports?year=2024").status_code == 200
        assert drawn == ["reports/index.html"] * 2  # with a query: drawn

        # An edit to the table shows at once: the kept page is keyed by the plan's revision.
        admin = make_user("admin")
        with app.app_context():
            item = db.session.scalar(sa.select(Initiative).where(Initiative.number == 9))
            edit_texts(db.session.get(User, admin.id), item, title_ja=f"{TITLE}(改)")
        assert f"{TITLE}(改)" in client.get("/reports").text
        assert drawn == ["reports/index.html"] * 3


@pytest.mark.parametrize(
    ("url", "template", "query"),
    [
        ("/", "plan/index.html", "?lang=ja"),
        ("/initiatives/9", "plan/initiative.html", "?lang=ja"),
        ("/public-comments", "public_comment/index.html", "?q=計画"),
    ],
)
def test_the_landing_pages_are_kept_whole_for_anonymous_visitors(
    app, another_app, make_user, counted_kind, url, template, query
):
    """The home page, an initiative's page and the public comment list's first page are kept
    whole as their fragments are (kept_page): drawn once for anonymous visitors, drawn each
    time with a query and for a signed-in visitor (whose page carries their name)."""
    from tests.conftest import Auth

    client = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60}).test_client()
    drawn: list[str] = []

    def note(_sender, template, **_extra):
        drawn.append(template.name)

    with template_rendered.connected_to(note):
        first = client.get(url)
        assert first.status_code == 200 and TITLE in first.text
        again = client.get(url)
        assert again.status_code == 200 and again.text == first.text
        assert drawn == [template]  # the second visit was served whole
        assert client.get(url + query).status_code == 200
        assert drawn == [template] * 2
        citizen = make_user("citizen")
        assert Auth(client).login(citizen.email).status_code == 302
        drawn.clear()
        assert [client.get(url).status_code for _ in range(2)] == [200, 200]
        assert drawn == [template] * 2
