import pytest

from app.core import activity
from tests.kinds import PROGRESS_KIND


@pytest.fixture
def progress_kind():
    activity.register(PROGRESS_KIND)
    yield PROGRESS_KIND
    activity.unregister(PROGRESS_KIND.key)


def test_initiatives_api_lists_the_22_with_their_place_in_the_table(client, plan):
    data = client.get("/api/v1/initiatives").json
    assert [i["number"] for i in data["initiatives"]] == list(range(1, 23))
    eight = data["initiatives"][7]
    assert eight["title"]["ja"] == "パブリックコメントを含む広聴制度の強化"
    assert eight["category"]["code"] == "participation"
    assert eight["recommendation"]["policy"]["ja"].startswith("市民とともに企画立案")
    assert [d["code"] for d in eight["departments"]] == ["kocho"]
    # Every registered kind is counted, and nothing has happened yet.
    assert eight["activity_counts"] == {kind.key: 0 for kind in activity.kinds()}
    assert data["plan"]["fiscal_year"] == 2011


def test_initiatives_api_carries_per_kind_counts(app, client, plan, make_user, progress_kind):
    from tests.plan.test_pages import _add_progress

    _add_progress(app, make_user, {8: 2})
    data = client.get("/api/v1/initiatives").json
    assert "test_progress" in [kind["key"] for kind in data["activity_kinds"]]
    assert data["initiatives"][7]["activity_counts"]["test_progress"] == 2
    assert data["initiatives"][0]["activity_counts"]["test_progress"] == 0


def test_api_never_carries_personal_data(client, plan, make_user):
    user = make_user("staff", "kocho", email="secret.person@city.kumamoto.jp")
    body = client.get("/api/v1/initiatives").text
    assert user.email not in body and user.display_name not in body
