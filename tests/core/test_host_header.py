"""Absolute addresses come from PUBLIC_BASE_URL alone: a request that names another host (in
Host or X-Forwarded-Host) finds that host nowhere in the answer, so a shared cache or a feed
reader cannot be handed links to a site of the requester's choosing."""

from datetime import date

import pytest

from app.core import activity
from app.extensions import db
from tests.consultations.factories import scheduled
from tests.councils.conftest import department_id

EVIL = "evil.example"
HEADERS = {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "Referer": f"http://{EVIL}/"}


def _answers_without_evil(client, url):
    response = client.get(url, base_url=f"http://{EVIL}", headers=HEADERS)
    found = [f"{name}: {value}" for name, value in response.headers if EVIL in value]
    if EVIL.encode() in response.data:
        found.append("body")
    return response.status_code, found


@pytest.fixture
def some_of_everything(app, plan, add_case):
    """A case, a session, a council: enough for every list to hold a link, and ids to visit."""
    from app.councils import services as council_services

    case_id = add_case(date(2024, 6, 1), comments=1)
    ids = scheduled(app)
    with app.app_context():
        council_id = council_services.save_council(
            None,
            None,
            department_id=department_id("kikaku"),
            name_ja="テスト審議会",
            purpose_ja="目的",
            total_seats=10,
            public_seat_target=2,
        ).id
        db.session.commit()
    return {"case": case_id, "session": ids.session_id, "council": council_id}


def test_no_evil_host_in_any_public_answer(app, client, some_of_everything):
    ids = some_of_everything
    urls = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
    )
    assert "/public-comments/feed.atom" in urls
    # The API's lists are one rule over the registry's collections (issue 20): each of them.
    collections = [c.path for kind in activity.kinds() for c in kind.api]
    assert "/sessions" in collections
    urls += [f"/api/v1{path}" for path in collections]
    urls += [
        f"/public-comments/{ids['case']}",
        f"/consultations/sessions/{ids['session']}",
        f"/consultations/sessions/{ids['session']}/session.ics",
        f"/councils/{ids['council']}",
        "/plan/initiatives/8",
        "/consultations/wards/chuo/feed.ics",
        f"/api/v1/public-comments/{ids['case']}",
        # Lists with a next page, answers in error.
        "/api/v1/public-comments?per_page=1&page=1",
        "/api/v1/sessions?per_page=1",
        "/api/v1/councils?per_page=1",
        "/api/v1/public-comments/99999",
        "/api/v1/sessions?page=x",
        "/no-such-page",
        "/reports/export.csv",
    ]
    leaks = {}
    statuses = {}
    for url in urls:
        status, found = _answers_without_evil(client, url)
        statuses[url] = status
        if found:
            leaks[url] = found
    assert leaks == {}
    # The visit reached the pages themselves, not only error pages.
    assert statuses["/api/v1/public-comments?per_page=1&page=1"] == 200
    assert statuses[f"/consultations/sessions/{ids['session']}"] == 200
    assert not [url for url, status in statuses.items() if status >= 500]
