"""A kind's manifest is the only thing to write (issue 20, DESIGN.md §3): registering the test
kind (tests/kinds.py, as a domain module's activity.py would) is all each test here does, and
the kind appears on the home table, its initiative's page, the reports, the API (its counts,
figures and its own list), the OpenAPI document, the open-data page and catalogue, and the demo."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema_rs
import pytest

from app.core import activity
from tests.api.test_openapi_snapshot import SNAPSHOT, breaks
from tests.kinds import DEMO_RUNS, PROGRESS_KIND
from tests.plan.test_pages import _add_progress


@pytest.fixture
def progress_kind():
    activity.register(PROGRESS_KIND)
    yield PROGRESS_KIND
    activity.unregister(PROGRESS_KIND.key)


@pytest.fixture
def progress(app, plan, make_user, progress_kind):
    _add_progress(app, make_user, {8: 2, 17: 1})


def test_the_kind_is_on_the_table_its_initiative_and_the_reports(client, progress):
    home = client.get("/?lang=en").text
    assert "Progress entries: 2" in home and "Progress entries: 1" in home
    page = client.get("/initiatives/8?lang=en").text
    assert "Progress entries" in page and "n1" in page  # its figures and its newest records
    reports = client.get("/reports?lang=en").text
    assert "Progress entries" in reports and "Entries" in reports


def test_the_kind_is_in_the_api_counts_figures_and_its_own_list(client, progress):
    initiatives = client.get("/api/v1/initiatives").json
    assert initiatives["initiatives"][7]["activity_counts"]["test_progress"] == 2
    figures = client.get("/api/v1/figures").json
    assert figures["initiatives"][7]["figures"]["test_progress"] == {"entries": 2, "years": 2}
    listed = client.get("/api/v1/test-progress?per_page=2")
    assert listed.status_code == 200
    assert listed.json["total"] == 3 and len(listed.json["items"]) == 2
    assert listed.json["next"] == "http://localhost/api/v1/test-progress?page=2&per_page=2"
    assert 'rel="next"' in listed.headers["Link"]
    for item in listed.json["items"]:
        jsonschema_rs.validate(PROGRESS_KIND.api[0].schema, item)
    # A list without item pages has none, and a path no kind serves is not found.
    assert client.get("/api/v1/test-progress/1").status_code == 404
    assert client.get("/api/v1/no-such-list").status_code == 404


def test_the_kind_is_in_the_openapi_document_which_only_grows(client, plan, progress_kind):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/test-progress"]["get"]
    assert operation["operationId"] == "listTestProgress"
    items = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert items["properties"]["items"]["items"] == {"$ref": "#/components/schemas/TestProgress"}
    assert document["components"]["schemas"]["TestProgress"] == PROGRESS_KIND.api[0].schema
    assert breaks(json.loads(SNAPSHOT.read_text()), document) == []


def test_the_kind_is_in_the_open_data_page_and_catalogue(client, progress):
    page = client.get("/open-data?lang=en").text
    assert "Progress entries" in page and "Progress notes" in page
    catalogue = json.loads(client.get("/open-data/catalog.jsonld").text)
    datasets = {entry["dct:identifier"]: entry for entry in catalogue["dcat:dataset"]}
    assert {"test_progress", "test_progress_notes"} <= set(datasets)
    (notes,) = datasets["test_progress_notes"]["dcat:distribution"]
    assert notes["dcat:downloadURL"]["@id"].endswith("/api/v1/test-progress")


def test_the_kind_loads_its_demo(app, plan, progress_kind):
    from app.core.demo import load_demo
    from tests.conftest import PLAN_FILE

    DEMO_RUNS.clear()
    with app.app_context():
        load_demo(str(PLAN_FILE))
    assert DEMO_RUNS == ["test_progress"]


def test_the_kinds_cached_values_are_warmed_from_cron(app, plan, another_app, redis_cache):
    """A kind's `cached` values are computed by `flask reports warm` into the shared cache."""
    from app.extensions import cache

    kind = replace(PROGRESS_KIND, cached=lambda: [("progress-total", lambda: 42)])
    activity.register(kind)
    shared = another_app({**app.config, **redis_cache})
    try:
        result = shared.test_cli_runner().invoke(args=["reports", "warm"])
        assert result.exit_code == 0, result.output
        with shared.app_context():
            assert cache.get("progress-total")[1] == 42
    finally:
        activity.unregister(kind.key)
