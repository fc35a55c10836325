"""Public pages: list, feed, results; no personal data anywhere public; fixed statement counts."""

import json
import re
from datetime import date, time, timedelta
from xml.etree import ElementTree

import sqlalchemy as sa

from app.core import activity
from app.core.dispositions import Disposition
from app.extensions import db
from app.plan.services import load_plan
from app.public_comment.models import CaseStatus, Comment, CommentCase, OpinionSummary
from app.public_comment.services import person_key
from tests.conftest import PLAN_FILE, count_statements
from tests.public_comment.fixtures import post_comment

SECRETS = {
    "name": "秘密 太郎兵衛",
    "address": "熊本市北区秘密町9-9-9",
    "email": "secret.taro@example.jp",
    "phone": "090-9999-8888",
    "organisation": "秘密研究会",
    "representative": "代表 秘密子",
}


def _publish(app, case_id, comments_per_summary=None):
    with app.app_context():
        case = db.session.get(CommentCase, case_id)
        ids = db.session.scalars(sa.select(Comment).where(Comment.case_id == case_id)).all()
        explained = db.session.scalar(
            sa.select(Disposition.id).where(Disposition.code == "explained")
        )
        db.session.add(
            OpinionSummary(
                case_id=case_id,
                summary="要約",
                city_view="市の考え方",
                disposition_id=explained,
                comments=list(ids),
            )
        )
        case.status = CaseStatus.PUBLISHED
        case.changes = "変更なし"
        case.decision_date = date(2024, 11, 20)
        from app.core.i18n import jst_to_utc

        case.published_at = jst_to_utc(date(2024, 11, 30), time(10, 0))
        db.session.commit()


def test_no_public_page_feed_or_api_contains_personal_data(
    app, client, make_case, frozen, login_as
):
    case_id = make_case()
    post_comment(client, case_id, SECRETS)
    client.get("/")  # a fresh visitor from here on
    other = app.test_client()
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, case_id)
    urls = [
        "/",
        "/public-comments",
        f"/public-comments/{case_id}",
        f"/public-comments/{case_id}/results",
        "/public-comments/feed.atom",
        "/api/v1/initiatives",
        "/initiatives/8",
        "/public-comments?q=秘密",
    ]
    for language in ("ja", "en"):
        for url in urls:
            sep = "&" if "?" in url else "?"
            body = other.get(f"{url}{sep}lang={language}").text
            for value in SECRETS.values():
                assert value not in body, f"{value} leaked on {url}"
    # The comment itself is published, without the name.
    assert (
        "公募委員の割合を増やしてください。"
        in other.get(f"/public-comments/{case_id}/results").text
    )


def test_personal_data_is_visible_to_the_division_and_kocho_only(
    app, client, make_case, frozen, make_user, auth
):
    case_id = make_case(department="kikaku")
    post_comment(client, case_id, SECRETS)
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    url = f"/staff/public-comments/comments/{comment_id}"
    for department, allowed in (("kikaku", True), ("kocho", True), ("somu", False)):
        user = make_user("staff", department)
        auth.login(user.email)
        response = client.get(url)
        assert (response.status_code == 200) is allowed, department
        assert (SECRETS["address"] in response.text) is allowed
        auth.logout()


def test_redacted_text_is_published_and_the_original_kept_for_staff(
    app, client, make_case, frozen, login_as
):
    case_id = make_case()
    post_comment(client, case_id, {"body": "隣の鈴木一郎さんは迷惑です。公園を広げてください。"})
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    login_as("staff", "kikaku")
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    from tests.conftest import submit

    url = f"/staff/public-comments/comments/{comment_id}"
    submit(
        client,
        url,
        {
            "redact-redacted_body": "〔略〕公園を広げてください。",
            "redact-reason": "第三者の氏名を含むため",
        },
    )
    assert "隣の鈴木一郎さん" in client.get(url).text
    _publish(app, case_id)
    results = app.test_client().get(f"/public-comments/{case_id}/results").text
    assert "〔略〕公園を広げてください。" in results and "鈴木一郎" not in results


def test_feed_is_valid_atom(client, make_case):
    make_case(title="フィードの案件")
    make_case("draft", title="下書きは出ない")
    response = client.get("/public-comments/feed.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.find("a:title", ns).text for e in root.findall("a:entry", ns)]
    assert titles == ["フィードの案件"]


def test_list_groups_and_filters(client, make_case, frozen):
    make_case(title="開いている案件", initiative=8)
    make_case(title="別の取組の案件", initiative=17)
    make_case("draft", title="下書き")
    html = client.get("/public-comments?lang=ja").text
    assert "開いている案件" in html and "別の取組の案件" in html and "下書き" not in html
    filtered = client.get("/public-comments?initiative=17").text
    assert "別の取組の案件" in filtered and "開いている案件" not in filtered
    assert "開いている案件" in client.get("/public-comments?q=開いて").text
    assert "別の取組の案件" not in client.get("/public-comments?q=開いて").text


def test_the_initiative_filter_names_each_number_once_as_the_current_plan_does(
    app, client, make_case, frozen, tmp_path
):
    """Cases are found by their initiative's number across plans; with a second plan loaded
    the filter still offers each number once, named as the newest plan names it."""
    make_case(title="前の計画の案件", initiative=8)
    data = json.loads(PLAN_FILE.read_text(encoding="utf-8"))
    data["plan"].update(code="r6-jichi-suishin", fiscal_year=2024)
    for category in data["categories"]:
        for recommendation in category["recommendations"]:
            for initiative in recommendation["initiatives"]:
                if initiative["number"] == 8:
                    initiative["title"] = {"ja": "改訂された取組", "en": "A revised initiative"}
    revised = tmp_path / "revised.json"
    revised.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        load_plan(revised)
        db.session.commit()

    for lang, label in (("ja", "8. 改訂された取組"), ("en", "8. A revised initiative")):
        response = client.get(f"/public-comments?lang={lang}&initiative=8")
        assert response.status_code == 200
        page = response.text
        values = re.findall(r'<option[^>]*value="(\d+)"', _select(page, "initiative"))
        assert values.count("8") == 1 and values.count("17") == 1
        chosen = rf'<option(?=[^>]*\bselected\b)(?=[^>]*value="8")[^>]*>{label}</option>'
        assert re.search(chosen, page)
        assert "前の計画の案件" in page


def _select(page, name):
    match = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert match, f"no select named {name}"
    return match.group(0)


def _statements(app, client, url):
    with app.app_context(), count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_list_and_results_cost_fixed_statements(app, client, make_case, frozen, no_rate_limit):
    first = make_case()
    post_comment(client, first)
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, first)
    small_list = _statements(app, client, "/public-comments")
    small_results = _statements(app, client, f"/public-comments/{first}/results")
    frozen.set_jst(date(2024, 10, 5), time(9, 0))
    more = [make_case(title=f"案件{i}", initiative=8 + i) for i in range(6)]
    for case_id in more[:3]:
        for n in range(4):
            post_comment(client, case_id, {"name": f"市民{n}"}, token=f"{case_id}-{n}")
    with app.app_context():
        for case_id in more[:3]:
            db.session.add(
                Comment(
                    case_id=case_id,
                    initiative_id=db.session.get(CommentCase, case_id).initiative_id,
                    receipt_number=99,
                    receipt_code="x",
                    submission_token="paper",
                    received_at=frozen.now,
                    submitter_category="business",
                    name="n",
                    address="a",
                    person_key=person_key("n", "a"),
                    body="b",
                    channel="post",
                )
            )
        db.session.commit()
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, more[0])
    assert _statements(app, client, "/public-comments") == small_list
    assert _statements(app, client, f"/public-comments/{more[0]}/results") == small_results


def test_figures_per_initiative_equal_hand_counts(app, client, make_case, frozen, no_rate_limit):
    eight = make_case(initiative=8)
    also_eight = make_case(initiative=8, title="二つ目")
    seventeen = make_case(initiative=17)
    make_case("draft", initiative=8)  # drafts do not count
    post_comment(client, eight, {"name": "A"}, token="1")
    post_comment(client, eight, {"name": "A"}, token="2")  # same person twice
    post_comment(client, also_eight, {"name": "B"}, token="3")
    post_comment(client, seventeen, {"name": "C"}, token="4")
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, eight)
    with app.app_context():
        from app.plan.models import Initiative

        ids = dict(db.session.execute(sa.select(Initiative.number, Initiative.id)).all())
        figures = activity.get_kind("public_comment").figures(activity.ActivityFilter())
        assert figures[ids[8]]["cases"] == 2
        assert figures[ids[8]]["comments"] == 3
        assert figures[ids[8]]["people"] == 2
        assert figures[ids[8]]["answered_share"] == round(100 * 2 / 3, 1)
        assert figures[ids[8]]["reflected"] == 0
        # Closed 31 Oct 23:59, published 30 Nov 10:00: 29.4 days.
        assert figures[ids[8]]["days_to_results"] == 29.4
        assert figures[ids[8]]["disposition_explained"] == 2  # both comments of `eight`
        assert "disposition_revised" not in figures[ids[8]]
        assert figures[ids[17]]["comments"] == 1
        assert ids[1] not in figures
        narrowed = activity.get_kind("public_comment").figures(
            activity.ActivityFilter(fiscal_years=(2023,))
        )
        assert narrowed == {}
        # A filter that keeps every case counts from the cases' comments: the same figures.
        kept = activity.get_kind("public_comment").figures(
            activity.ActivityFilter(fiscal_years=(2024,))
        )
        assert kept == figures
        # One initiative's figures alone (an initiative report's trend).
        only_eight = activity.get_kind("public_comment").figures(
            activity.ActivityFilter(initiative_id=ids[8])
        )
        assert only_eight == {ids[8]: figures[ids[8]]}
    html = client.get("/?lang=en").text
    assert "Public comment: 2" in html


def test_finished_cases_are_paged_with_links_in_both_languages(
    client, make_case, frozen, monkeypatch
):
    from app.public_comment import services

    monkeypatch.setattr(services, "FINISHED_PER_PAGE", 2)
    make_case(title="開いている案件")
    for n in range(3):
        make_case("published", title=f"終了案件{n}")
    frozen.set_jst(date(2024, 10, 5), time(9, 0))
    first = client.get("/public-comments?lang=ja&initiative=8").text
    # The open case stays on every page; finished ones come two at a time, with their total.
    assert "開いている案件" in first
    assert first.count("終了案件") == 2 and "(3)" in first
    assert "2ページ中1ページ目" in first and "page=2" in first and "initiative=8" in first
    second = client.get("/public-comments?page=2&initiative=8").text
    assert second.count("終了案件") == 1 and "前へ" in second
    english = client.get("/public-comments?lang=en&page=2").text
    assert "Page 2 of 2" in english and "Previous" in english


def test_results_publish_a_contested_draft_fifty_comments_at_a_time(app, client, make_case, frozen):
    case_id = make_case()
    with app.app_context():
        initiative_id = db.session.get(CommentCase, case_id).initiative_id
        db.session.add_all(
            Comment(
                case_id=case_id,
                initiative_id=initiative_id,
                receipt_number=n,
                receipt_code=f"PC{case_id}-{n:05d}",
                submission_token=f"bulk-{n}",
                received_at=frozen.now,
                submitter_category="resident",
                name=f"市民{n}",
                address="熊本市",
                person_key=person_key(f"市民{n}", "熊本市"),
                body=f"意見その{n}です。",
                channel="web",
            )
            for n in range(1, 151)
        )
        db.session.commit()
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, case_id)
    url = f"/public-comments/{case_id}/results"
    first = client.get(f"{url}?lang=ja").text
    assert "意見その1です。" in first and "意見その50です。" in first
    assert "意見その51です。" not in first
    assert f'href="{url}?page=2"' in first and "150件のご意見" in first  # the figures count all
    third = client.get(f"{url}?page=3").text
    assert "意見その101です。" in third and "意見その150です。" in third
    assert "意見その100です。" not in third and "次へ" not in third
    assert 'start="101"' in third
    assert _statements(app, client, url) == _statements(app, client, f"{url}?page=3")


def test_cached_results_show_a_redaction_after_publication_at_once(
    app, client, make_case, frozen, make_user, another_app
):
    from app.accounts.models import User
    from app.public_comment.services import redact_comment

    case_id = make_case()
    post_comment(client, case_id, {"body": "隣の鈴木一郎さんは迷惑です。公園を広げてください。"})
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, case_id)
    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60}).test_client()
    url = f"/public-comments/{case_id}/results"
    assert "鈴木一郎" in cached.get(url).text
    assert "鈴木一郎" in cached.get(url).text  # served from the cache
    staff = make_user("staff", "kocho")
    frozen.set_jst(date(2024, 11, 6), time(10, 0))  # the redaction comes a day later
    with app.app_context():
        redact_comment(
            db.session.get(User, staff.id),
            db.session.scalar(sa.select(Comment)),
            "〔略〕公園を広げてください。",
            "第三者の氏名を含むため",
        )
    results = cached.get(url).text
    assert "〔略〕公園を広げてください。" in results and "鈴木一郎" not in results


def test_days_left_and_contact_lines_read_as_the_city_writes_them(app, client, make_case, frozen):
    """Days left are counted on Japan dates like the period (not 24-hour blocks of UTC), and
    the ways to send a comment read 郵送：… with a full-width colon."""
    case_id = make_case()
    with app.app_context():
        db.session.get(CommentCase, case_id).postal_address = "〒860-8601 熊本市中央区手取本町1-1"
        db.session.commit()
    frozen.set_jst(date(2024, 10, 29), time(23, 59, 30))  # 30 and 31 October remain
    page = client.get(f"/public-comments/{case_id}?lang=ja").text
    assert "残り2日です" in page
    assert "郵送：〒860-8601" in page and "郵送:" not in page
    frozen.set_jst(date(2024, 10, 31), time(0, 0, 1))
    assert "本日締切です。" in client.get(f"/public-comments/{case_id}?lang=ja").text


def test_a_public_cases_draft_is_drawn_once_until_the_case_changes(
    app, make_case, make_user, another_app, frozen
):
    """With the cache on, as in production: a public case's draft (its sections and
    materials, frozen once the case is public) is drawn once per case and language, and again
    when the case changes; a draft its staff preview is drawn each time, so an edit shows."""
    from app.accounts.models import User
    from app.public_comment import services
    from app.public_comment.models import DraftSection
    from tests.conftest import Auth

    case_id = make_case()
    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    client = cached.test_client()
    url = f"/public-comments/{case_id}"
    first = client.get(url)
    assert first.status_code == 200 and "第1章" in first.text and "本文" in first.text
    with cached.app_context(), count_statements() as statements:
        again = client.get(url)
    assert again.status_code == 200 and again.text == first.text
    assert statements and not [s for s in statements if "draft_section" in s]
    english = client.get(url + "?lang=en")
    assert "The draft" in english.text and "第1章" in english.text
    # The case changes a minute later (staff correct its title; here its section too, as a
    # case sent back to draft, edited and approved again would): drawn again as it is.
    frozen.set(frozen.now + timedelta(minutes=1))
    with app.app_context():
        case = db.session.get(CommentCase, case_id)
        case.title = "熊本市テスト計画(修正案)"
        db.session.scalars(
            sa.select(DraftSection).where(DraftSection.case_id == case_id)
        ).one().body = "直した本文"
        db.session.commit()
    changed = client.get(url)
    assert "直した本文" in changed.text and "修正案" in changed.text

    draft_id = make_case("draft", title="下書きの案件")
    staff = make_user("staff", "kikaku")
    assert Auth(client).login(staff.email).status_code == 302
    preview = client.get(f"/public-comments/{draft_id}")
    assert preview.status_code == 200 and "本文" in preview.text
    with app.app_context():
        section = db.session.scalars(
            sa.select(DraftSection).where(DraftSection.case_id == draft_id)
        ).one()
        services.update_section(db.session.get(User, staff.id), section, "第1章", "書き直し")
    assert "書き直し" in client.get(f"/public-comments/{draft_id}").text


def test_a_case_page_is_kept_whole_until_the_case_its_phase_or_the_day_changes(
    app, make_case, make_user, another_app, frozen
):
    """With the cache on, as in production: an anonymous visitor's case page carries an ETag
    and is answered 304 while it holds; it is drawn once and kept whole, drawn again the next
    day (the days left), when the period closes (the phase) and when the case changes; a
    signed-in visitor's page is drawn each time and carries no ETag."""
    from flask import template_rendered

    from tests.conftest import Auth

    case_id = make_case()
    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    client = cached.test_client()
    url = f"/public-comments/{case_id}"
    form_link = f'href="/public-comments/{case_id}/comment"'
    drawn: list[str] = []

    def note(_sender, template, **_extra):
        drawn.append(template.name)

    with template_rendered.connected_to(note, cached):
        frozen.set_jst(date(2024, 10, 29), time(9, 0))
        first = client.get(url)
        assert first.status_code == 200 and "残り2日です" in first.text and form_link in first.text
        assert first.headers["Cache-Control"] == "no-cache"
        tag = first.headers["ETag"]
        again = client.get(url)
        assert again.status_code == 200 and again.text == first.text
        assert drawn.count("public_comment/case.html") == 1  # the second was kept whole
        unchanged = client.get(url, headers={"If-None-Match": tag})
        assert unchanged.status_code == 304 and unchanged.data == b""

        frozen.set_jst(date(2024, 10, 30), time(9, 0))
        next_day = client.get(url, headers={"If-None-Match": tag})
        assert next_day.status_code == 200 and "残り1日です" in next_day.text
        assert next_day.headers["ETag"] != tag

        with app.app_context():
            db.session.get(CommentCase, case_id).title = "熊本市テスト計画(修正案)"
            db.session.commit()
        retitled = client.get(url, headers={"If-None-Match": next_day.headers["ETag"]})
        assert retitled.status_code == 200 and "修正案" in retitled.text

        frozen.set_jst(date(2024, 11, 1), time(9, 0))
        closed = client.get(url)
        assert closed.status_code == 200 and form_link not in closed.text
        assert "残り" not in closed.text and closed.headers["ETag"] != tag

        citizen = make_user("citizen")
        assert Auth(client).login(citizen.email).status_code == 302
        drawn.clear()
        signed_in = [client.get(url), client.get(url)]
        assert [page.status_code for page in signed_in] == [200, 200]
        assert drawn.count("public_comment/case.html") == 2
        assert "ETag" not in signed_in[0].headers
