"""Public pages, feeds and open data; staff scheduling; the activity kind's figures."""

from datetime import datetime, time, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from app.consultations import services
from app.consultations.activity import figures
from app.consultations.models import Consultation, Session
from app.core import clock
from app.core.activity import ActivityFilter
from app.core.i18n import JST, to_jst
from app.core.mail import OutboxMessage
from app.extensions import db
from app.plan.models import Initiative
from tests.conftest import count_statements, submit
from tests.consultations.factories import make_consultation, make_session, make_venue, scheduled


def _events(data: bytes):
    calendar = icalendar.Calendar.from_ical(data)
    return [c for c in calendar.walk("VEVENT")]


def test_session_ics_and_feeds_parse_with_jst_times(app, client, plan):
    ids = scheduled(app)
    day = clock.today() + timedelta(days=7)
    for url in (
        f"/consultations/sessions/{ids.session_id}/session.ics",
        "/consultations/feed.ics",
        "/consultations/wards/chuo/feed.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/calendar"
        events = _events(response.data)
        assert len(events) == 1, url
        start, end = events[0].decoded("dtstart"), events[0].decoded("dtend")
        assert start.astimezone(JST) == datetime.combine(day, time(14), tzinfo=JST)
        assert end.astimezone(JST) == datetime.combine(day, time(16), tzinfo=JST)
        assert str(events[0]["summary"]).startswith("テスト懇話会")
        # The times name their zone, and the zone is described once (built once per process).
        zones = icalendar.Calendar.from_ical(response.data).walk("VTIMEZONE")
        assert [str(zone["tzid"]) for zone in zones] == ["Asia/Tokyo"]
        assert zones[0].walk("STANDARD")[0].decoded("tzoffsetto") == timedelta(hours=9)
    # Another ward's feed does not carry it.
    assert _events(client.get("/consultations/wards/kita/feed.ics").data) == []


def test_confirmation_attachment_parses_with_jst_times(app, plan):
    ids = scheduled(app)
    with app.test_request_context():
        services.register(ids.session_id, name="a", email="a@example.jp")
        data = db.session.scalar(sa.select(OutboxMessage)).attachments[0].data
        start = _events(data)[0].decoded("dtstart")
        session = db.session.get(Session, ids.session_id)
        assert start.astimezone(JST).hour == 14
        assert start == session.starts_at


def test_no_personal_data_on_public_pages_feeds_or_exports(app, client, plan):
    ids = scheduled(app, capacity=1)
    secrets = ["個人 太郎XYZ", "secret.person@example.jp", "090-1234-9876"]
    with app.test_request_context():
        services.register(
            ids.session_id, name=secrets[0], email=secrets[1], phone=secrets[2], notes=secrets[0]
        )
        services.register(ids.session_id, name=secrets[0] + "2", email="w" + secrets[1])
        session = db.session.get(Session, ids.session_id)
        session.starts_at -= timedelta(days=30)
        session.ends_at -= timedelta(days=30)
        db.session.commit()
        record = services.save_record(None, session, summary_ja="要旨", attendees=1)
        services.add_opinion(None, record, text_ja="意見", response_ja="回答")
        services.publish_record(None, record)
        number = db.session.get(Initiative, session.consultation.initiative_id).number
    urls = [
        "/consultations/",
        "/consultations/calendar",
        f"/consultations/calendar?month={to_jst(clock.now() - timedelta(days=30)):%Y-%m}",
        f"/consultations/sessions/{ids.session_id}",
        f"/consultations/sessions/{ids.session_id}/record",
        f"/consultations/sessions/{ids.session_id}/session.ics",
        "/consultations/feed.ics",
        "/consultations/wards/chuo/feed.ics",
        "/consultations/events.csv",
        f"/initiatives/{number}",
        "/",
        "/api/v1/initiatives",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.data.decode("utf-8")
        for secret in secrets:
            assert secret not in text, (url, secret)
    assert "要旨" in client.get(f"/consultations/sessions/{ids.session_id}/record").text


def _seed(app, sessions: int) -> None:
    with app.app_context():
        consultation = make_consultation(title=f"懇話会{sessions}")
        venue = make_venue(name=f"会場{sessions}")
        base = clock.today() + timedelta(days=3)
        for n in range(sessions):
            sid = make_session(consultation, venue, day=base + timedelta(days=n), capacity=2)
            for m in range(3):
                services.register(sid, name="x", email=f"s{sessions}-{n}-{m}@example.jp")


def test_list_and_calendar_cost_a_fixed_number_of_statements(app, client, plan):
    _seed(app, 1)
    month = f"{clock.today() + timedelta(days=3):%Y-%m}"
    urls = ["/consultations/", f"/consultations/calendar?month={month}"]
    counts = {}
    for url in urls:
        with app.app_context(), count_statements() as statements:
            assert client.get(url).status_code == 200
        counts[url] = len(statements)
    _seed(app, 12)
    for url in urls:
        with app.app_context(), count_statements() as statements:
            response = client.get(url)
        assert response.status_code == 200
        assert len(statements) == counts[url], url
    assert client.get("/consultations/").text.count("懇話会12") == 12


def test_upcoming_sessions_are_paged_with_links_in_both_languages(app, client, plan, monkeypatch):
    from app.consultations import views

    monkeypatch.setattr(views, "UPCOMING_PER_PAGE", 5)
    _seed(app, 7)
    first = client.get("/consultations/?lang=ja").text
    assert first.count("懇話会7") == 5
    assert "2ページ中1ページ目" in first and "page=2" in first and "次へ" in first
    second = client.get("/consultations/?page=2").text
    assert second.count("懇話会7") == 2 and "前へ" in second
    english = client.get("/consultations/?lang=en&page=2").text
    assert "Page 2 of 2" in english and "Previous" in english
    # The rows carry their total (count(*) OVER ()); a page past the end has none, and is
    # counted apart.
    beyond = client.get("/consultations/?lang=en&page=9")
    assert beyond.status_code == 200 and "No upcoming sessions match." in beyond.text


def test_staff_calendar_costs_a_fixed_number_of_statements(app, client, login_as):
    login_as("staff", "kikaku")
    _seed(app, 1)
    anchor = (clock.today() + timedelta(days=3)).isoformat()
    for view in ("month", "week"):
        url = f"/staff/consultations/calendar?view={view}&date={anchor}"
        with app.app_context(), count_statements() as statements:
            assert client.get(url).status_code == 200
        small = len(statements)
        _seed(app, 6 if view == "month" else 7)
        with app.app_context(), count_statements() as statements:
            response = client.get(url)
        assert len(statements) == small, view
        assert "<table" in response.text


def test_a_venue_clash_is_refused_with_a_message_naming_it(app, client, login_as):
    login_as("staff", "kikaku")
    ids = scheduled(app)
    day = clock.today() + timedelta(days=7)
    url = f"/staff/consultations/{ids.consultation_id}/sessions/new"
    data = {
        "title_ja": "第2回",
        "date": day.isoformat(),
        "start_time": "15:00",
        "end_time": "17:00",
        "venue_id": str(ids.venue_id),
        "capacity": "10",
        "registration_required": "y",
    }
    response = submit(client, url, data)
    assert response.status_code == 200
    assert "中央公民館" in response.text and "テスト懇話会 第1回" in response.text
    assert "error-message" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Session.id))) == 1
    # Right after the first ends, the venue is free; the department gets a warning only when
    # it overlaps its own session.
    response = submit(client, url, {**data, "start_time": "16:00", "end_time": "18:00"})
    assert response.status_code == 302
    # Moving the new session onto the first one is refused too.
    with app.app_context():
        second = db.session.scalar(sa.select(Session.id).order_by(Session.id.desc()))
    edit = f"/staff/consultations/sessions/{second}/edit"
    response = submit(client, edit, {**data, "start_time": "13:00", "end_time": "14:30"})
    assert response.status_code == 200 and "テスト懇話会 第1回" in response.text
    # Elsewhere at the same time: allowed, with a warning about the department's other session.
    with app.app_context():
        other_venue = make_venue(name="東部交流センター")
    response = submit(client, url, {**data, "venue_id": str(other_venue)}, follow_redirects=True)
    assert "your department already has" in response.text or "同じ課" in response.text


def test_session_capacity_cannot_exceed_the_venue(app, client, login_as):
    login_as("staff", "kikaku")
    ids = scheduled(app)
    day = clock.today() + timedelta(days=9)
    response = submit(
        client,
        f"/staff/consultations/{ids.consultation_id}/sessions/new",
        {
            "date": day.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "venue_id": str(ids.venue_id),
            "capacity": "500",
        },
    )
    assert response.status_code == 200 and "error-message" in response.text


def test_staff_of_another_department_cannot_manage_or_see_registrants(app, client, login_as):
    login_as("staff", "kocho")
    ids = scheduled(app)
    assert client.get(f"/staff/consultations/{ids.consultation_id}/edit").status_code == 403
    assert (
        client.get(f"/staff/consultations/sessions/{ids.session_id}/attendance").status_code == 403
    )
    assert client.get(f"/staff/consultations/sessions/{ids.session_id}/record").status_code == 403


def test_attendance_record_and_figures(app, client, login_as):
    login_as("staff", "kikaku")
    ids = scheduled(app, capacity=3)
    with app.test_request_context():
        a = services.register(ids.session_id, name="a", email="a@example.jp").registration.id
        b = services.register(ids.session_id, name="b", email="b@example.jp").registration.id
        session = db.session.get(Session, ids.session_id)
        session.starts_at = clock.now() - timedelta(hours=3)
        session.ends_at = clock.now() - timedelta(hours=1)
        db.session.commit()
    page = f"/staff/consultations/sessions/{ids.session_id}/attendance"
    assert "b@example.jp" not in client.get(page).text  # the list shows names, not contacts
    response = submit(
        client, page, {"walk_ins": "2", f"attended-{a}": "yes", f"attended-{b}": "no"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert services.attendance_count(ids.session_id) == 3
    record_url = f"/staff/consultations/sessions/{ids.session_id}/record"
    form = client.get(record_url).text
    assert 'value="3"' in form  # attendees suggested from the check-in list
    materials = "次第\n説明資料 https://www.city.kumamoto.jp/a.pdf\nhttps://example.jp/map\njavascript:alert(1)"
    submit(
        client,
        record_url,
        {"record-summary_ja": "要旨です", "record-attendees": "3", "record-materials": materials},
    )
    submit(
        client,
        f"{record_url}/opinions",
        {
            "opinion-text_ja": "意見1",
            "opinion-response_ja": "回答1",
            "opinion-disposition_id": "0",
            "opinion-concerns_initiative_id": "0",
        },
        page=record_url,
    )
    submit(
        client,
        f"{record_url}/opinions",
        {
            "opinion-text_ja": "意見2",
            "opinion-disposition_id": "0",
            "opinion-concerns_initiative_id": "0",
        },
        page=record_url,
    )
    public = f"/consultations/sessions/{ids.session_id}/record"
    assert client.get(public).status_code == 404  # not yet published
    submit(client, f"{record_url}/publish", {"publish-submit": "1"}, page=record_url)
    published = client.get(public).text
    assert "意見2" in published
    # Materials: titles, and addresses shown as links (only web addresses become links).
    assert '<a href="https://www.city.kumamoto.jp/a.pdf">説明資料</a>' in published
    assert '<a href="https://example.jp/map">https://example.jp/map</a>' in published
    assert "<li>次第</li>" in published and 'href="javascript' not in published
    with app.app_context():
        initiative_id = db.session.scalar(sa.select(Initiative.id).where(Initiative.number == 6))
        values = figures(ActivityFilter())[initiative_id]
        # A year's report aggregates only that year's consultations: the same figures here.
        year = db.session.get(Consultation, ids.consultation_id).fiscal_year
        in_year = figures(ActivityFilter(fiscal_years=(year,)))[initiative_id]
        year_before = figures(ActivityFilter(fiscal_years=(year - 1,)))
    assert values["sessions_held"] == 1
    assert values["registrations"] == 2
    assert values["attendees"] == 3
    assert values["opinions"] == 2
    assert values["opinions_answered_share"] == 50.0
    assert in_year == values
    assert initiative_id not in year_before


def test_advice_is_recorded_by_the_collaboration_division_and_counted(app, client, login_as):
    ids = scheduled(app)
    login_as("staff", "shimin-kyodo")
    url = f"/staff/consultations/{ids.consultation_id}"
    response = submit(
        client, f"{url}/advice", {"advised_on": "2026-04-10", "text": "夜間開催を助言"}, page=url
    )
    assert response.status_code == 302
    assert "夜間開催を助言" in client.get(url).text
    with app.app_context():
        initiative_id = db.session.scalar(sa.select(Initiative.id).where(Initiative.number == 6))
        assert figures(ActivityFilter())[initiative_id]["advice_given"] == 1


def test_figures_cost_a_fixed_number_of_statements(app, plan):
    _seed(app, 2)
    with app.app_context(), count_statements() as statements:
        figures(ActivityFilter(fiscal_years=(2026,)))
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_the_list_filters_by_initiative_kind_and_ward(app, client, plan):
    """The registry links `/consultations/?initiative=N`; kind and ward narrow it too."""
    with app.app_context():
        first = make_consultation(number=6, title="第六の懇話会")
        make_session(first, make_venue(), title="第1回")
        second = make_consultation(ward="kita", number=8, title="第八の懇話会")
        make_session(second, make_venue(ward="kita", name="北部公民館"), title="第2回")
    shown = {
        query: ("第六の懇話会" in html, "第八の懇話会" in html)
        for query in ("", "initiative=8", "ward=kita", "kind=workshop", "kind=presentation")
        for html in [client.get(f"/consultations/?{query}").text]
    }
    assert shown == {
        "": (True, True),
        "initiative=8": (False, True),
        "ward=kita": (False, True),
        "kind=workshop": (True, True),
        "kind=presentation": (False, False),
    }


@pytest.fixture(params=["memory", "redis"])
def list_cache(request, app, another_app):
    """The app that serves the lists, with the cache on as in production, and the one that
    writes (another worker): each with its own cache in memory, or both sharing Redis."""
    if request.param == "memory":
        return another_app({**app.config, "FIGURES_CACHE_SECONDS": 60}), app
    settings = {**app.config, **request.getfixturevalue("redis_cache")}
    return another_app(settings), another_app(settings)


def test_cached_list_and_calendar_are_drawn_again_when_what_they_show_changes(plan, list_cache):
    """With the cache on, as in production: the rows of the list and the month's grid are kept
    per digest of what they show (`views._shown_as`), so a registration, a cancellation or an
    edit to the session, its consultation or its venue shows on the next request; and a
    request with nothing changed draws no rows (it loads no session). Where the cache is shared
    (Redis), the list's rows are kept too, under the generation its writers change: a request
    with nothing changed reads nothing from the database."""
    from app.consultations.models import Venue

    cached, app = list_cache
    shared = cached.config["CACHE_REDIS_URL"] != ""
    ids = scheduled(app, capacity=10)
    day = clock.today() + timedelta(days=7)
    calendar_url = f"/consultations/calendar?month={day:%Y-%m}&lang=en"
    client = cached.test_client()

    def shown() -> tuple[str, str]:
        listed = client.get("/consultations/?lang=en")
        month = client.get(calendar_url)
        assert listed.status_code == month.status_code == 200
        return listed.text, month.text

    listed, month = shown()
    assert "10 of 10 free" in listed and "第1回" in month
    with cached.app_context(), count_statements() as statements:
        assert shown() == (listed, month)
    # Nothing changed: neither page loaded a session to draw it (only the rows it is keyed by).
    assert statements and not [s for s in statements if "consultation_session.capacity" in s]
    with cached.app_context(), count_statements() as statements:
        assert client.get("/consultations/?lang=en").text == listed
    read = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(read) == (0 if shared else 1), read

    with app.test_request_context():
        signup = services.register(ids.session_id, name="a", email="a@example.jp", party_size=2)
        registration_id = signup.registration.id
    assert "8 of 10 free" in shown()[0]
    with app.test_request_context():
        services.cancel_registration(registration_id)
    assert "10 of 10 free" in shown()[0]

    with app.app_context():
        db.session.get(Session, ids.session_id).title_ja = "第2回"
        db.session.commit()
    listed, month = shown()
    assert "第2回" in listed and "第2回" in month and "第1回" not in month
    with app.app_context():
        db.session.get(Consultation, ids.consultation_id).title_en = "Renamed workshop"
        db.session.get(Venue, ids.venue_id).name_en = "Renamed Hall"
        db.session.commit()
    listed, month = shown()
    assert "Renamed workshop" in listed and "Renamed workshop" in month
    assert "Renamed Hall" in listed

    # Once the session has ended, the list no longer offers it, though nobody wrote anything.
    with app.app_context():
        ends_at = db.session.get(Session, ids.session_id).ends_at
    with clock.running_at(ends_at + timedelta(minutes=1)):
        after = client.get("/consultations/?lang=en")
    assert after.status_code == 200
    assert "Renamed workshop" not in after.text and "No upcoming sessions match." in after.text


def test_the_calendar_is_revalidated_by_its_version_and_kept_whole(app, another_app, plan):
    """Conditional GET and the kept page (app/core/cache.py versioned_page): this month's
    calendar carries an ETag of its grid's version and language, answered 304 while no session
    of the month changed; without a query it is kept whole for anonymous visitors (drawn once),
    and a changed session draws it again at once, with a new ETag."""
    from flask import template_rendered

    cached = another_app({**app.config, "FIGURES_CACHE_SECONDS": 60})
    ids = scheduled(app, capacity=10, day=clock.today())
    client = cached.test_client()
    drawn: list[str] = []

    def note(_sender, template, **_extra):
        drawn.append(template.name)

    with template_rendered.connected_to(note, cached):
        first = client.get("/consultations/calendar")
        assert first.status_code == 200 and "第1回" in first.text
        tag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "no-cache"
        again = client.get("/consultations/calendar")
        assert again.status_code == 200 and again.text == first.text
        assert drawn.count("consultations/calendar.html") == 1  # the second was kept whole
        unchanged = client.get("/consultations/calendar", headers={"If-None-Match": tag})
        assert unchanged.status_code == 304 and unchanged.data == b""
        english = client.get("/consultations/calendar?lang=en", headers={"If-None-Match": tag})
        assert english.status_code == 200 and english.headers["ETag"] != tag
        filtered = client.get("/consultations/calendar?ward=kita", headers={"If-None-Match": tag})
        assert filtered.status_code == 200 and filtered.headers["ETag"] != tag

        with app.app_context():
            db.session.get(Session, ids.session_id).title_ja = "第2回"
            db.session.commit()
        changed = client.get("/consultations/calendar", headers={"If-None-Match": tag})
        assert changed.status_code == 200 and "第2回" in changed.text
        assert changed.headers["ETag"] != tag
