"""The home page is the response table; each initiative has its own page."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.core import activity
from app.extensions import db
from tests.conftest import count_statements
from tests.kinds import PROGRESS_KIND


@pytest.fixture
def progress_kind():
    activity.register(PROGRESS_KIND)
    yield PROGRESS_KIND
    activity.unregister(PROGRESS_KIND.key)


def test_home_shows_all_22_initiatives_in_japanese(client, plan):
    html = client.get("/?lang=ja").text
    for number in range(1, 23):
        assert f'id="initiative-{number}"' in html
        assert f'href="/initiatives/{number}"' in html
    for text in (
        "情報共有",
        "参画",
        "協働",
        "総括",
        "（ア）熊本市への答申",
        "（オ）各課での具体的な動き",
        "パブリックコメントを含む広聴制度の強化",
        "市民と一緒に企画立案して行くフレームワークが必要であり",
        "市民とともに企画立案できる参画の手法を積極的に取り入れます。",
        "広聴課",
        "各区総務企画課",
        "PIマニュアルの改定",
    ):
        assert text in html, text
    assert 'lang="ja"' in html


def test_home_shows_all_22_initiatives_in_english(client, plan):
    html = client.get("/?lang=en").text
    for text in (
        "Information sharing",
        "Participation",
        "Collaboration",
        "Overall",
        "(A) Recommendation to Kumamoto City",
        "(E) Concrete actions by each department",
        "Strengthen public hearing systems, including public comment",
        "Public Hearing Division",
        "Revise the PI (public involvement) manual",
    ):
        assert text in html, text
    assert html.count('class="initiative-number"') == 22
    assert 'lang="en"' in html


def test_home_follows_the_paper_row_order_with_rowspans(client, plan):
    html = client.get("/?lang=ja").text
    positions = [
        html.index(f'id="initiative-{n}"')
        for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 14, 18, 19, 20, 21, 22)
    ]
    assert positions == sorted(positions)
    # Recommendation ③ of information sharing spans initiatives 3, 4 and 5.
    assert 'rowspan="3" data-label="（ア）熊本市への答申">③ 市民参画・協働につながる' in html


def test_home_without_a_plan_explains_how_to_load_one(client):
    response = client.get("/?lang=en")
    assert response.status_code == 503
    assert "flask plan load FILE" in response.text


def test_initiative_page_shows_the_whole_row_and_progress(app, client, plan, make_user):
    from app.plan import services
    from app.plan.models import Action, Initiative, ProgressStatus

    admin = make_user("admin")
    with app.app_context():
        from app.accounts.models import User

        action = db.session.scalar(
            sa.select(Action).join(Initiative).where(Initiative.number == 8, Action.position == 0)
        )
        services.record_progress(
            db.session.get(User, admin.id),
            action,
            2024,
            ProgressStatus.IN_PROGRESS,
            "全課と協議した",
            date(2024, 10, 3),
        )
    html = client.get("/initiatives/8?lang=ja").text
    assert "取組8" in html or "8" in html
    for text in (
        "パブリックコメントを含む広聴制度の強化",
        "広聴課",
        "パブリックコメント実施担当課とスケジュールや公表資料について協議。",
        "その他の広聴事業についても",
        "全課と協議した",
        "令和6年度(2024年度)",
        "令和6年(2024年)10月3日(木)",
    ):
        assert text in html, text


def test_unknown_initiative_is_404(client, plan):
    assert client.get("/initiatives/99").status_code == 404


def test_registered_kinds_show_live_counts_on_the_table(
    app, client, plan, make_user, progress_kind
):
    _add_progress(app, make_user, {8: 3, 17: 1})
    html = client.get("/?lang=en").text
    assert "Progress entries: 3" in html
    assert "Progress entries: 1" in html
    # No wall of zeros: an initiative without activity says so once, and a kind that counted
    # nothing is not named (issue 18).
    assert "Progress entries: 0" not in html
    assert html.count("Citizen activity: none recorded yet") == 20
    # Each initiative is one link (its title), not a link per kind; its actions' state is shown.
    row = html.split('id="initiative-8"', 1)[1].split("</tr>", 1)[0]
    assert row.count("<a ") == 1
    assert '<span class="badge done">Done 1</span>' in row
    page = client.get("/initiatives/8?lang=en").text
    assert "Progress entries" in page and "Entries" in page


def _add_progress(app, make_user, per_initiative):
    from app.plan.models import Action, ActionProgress, Initiative, ProgressStatus

    admin = make_user("admin")
    with app.app_context():
        for number, count in per_initiative.items():
            action = db.session.scalar(
                sa.select(Action)
                .join(Initiative)
                .where(Initiative.number == number, Action.position == 0)
            )
            db.session.add_all(
                ActionProgress(
                    action_id=action.id,
                    fiscal_year=2000 + i,
                    status=ProgressStatus.DONE,
                    note=f"n{i}",
                    recorded_on=date(2001 + i, 3, 1),
                    recorded_by_id=admin.id,
                )
                for i in range(count)
            )
        db.session.commit()


def _statements_for(app, client, url):
    with app.app_context(), count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_home_costs_the_same_statements_empty_and_full(app, client, plan, make_user, progress_kind):
    empty = _statements_for(app, client, "/")
    _add_progress(app, make_user, {n: 30 for n in range(1, 23)})
    for _ in range(20):
        make_user("citizen")
    full = _statements_for(app, client, "/")
    assert empty == full
    # A fixed budget: the table itself and its actions' latest progress, a few statements per
    # registered kind, and one per kind that says what is open now.
    kinds = activity.kinds()
    assert full <= 7 + 3 * len(kinds) + sum(1 for kind in kinds if kind.open_now)


def test_initiative_page_costs_the_same_statements_empty_and_full(
    app, client, plan, make_user, progress_kind
):
    empty = _statements_for(app, client, "/initiatives/8")
    _add_progress(app, make_user, {8: 40, 9: 5})
    full = _statements_for(app, client, "/initiatives/8")
    assert empty == full
