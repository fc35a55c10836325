"""Issue 17: opinions answered after their record is published; advice counted under
initiative 6; sessions for staff (training, internal meetings) counted but never offered."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.consultations import services
from app.consultations.activity import figures
from app.consultations.models import (
    Audience,
    Consultation,
    ConsultationKind,
    Opinion,
    Session,
)
from app.core import clock
from app.core.activity import ActivityFilter
from app.core.audit import AuditEntry
from app.core.dispositions import active_dispositions
from app.core.i18n import to_jst
from app.extensions import db
from app.plan.models import Initiative
from tests.conftest import submit
from tests.consultations.factories import make_consultation, make_session, make_venue, scheduled


def _initiative_id(number: int) -> int:
    return db.session.scalar(sa.select(Initiative.id).where(Initiative.number == number))


def _held(session_id: int) -> Session:
    """Move a session into the past (held yesterday)."""
    session = db.session.get(Session, session_id)
    session.starts_at = clock.now() - timedelta(days=1, hours=2)
    session.ends_at = clock.now() - timedelta(days=1)
    db.session.commit()
    return session


def _published_record_with_unanswered_opinion(app, session_id: int) -> int:
    with app.app_context():
        session = _held(session_id)
        record = services.save_record(None, session, summary_ja="要旨です", attendees=12)
        opinion = services.add_opinion(None, record, text_ja="駐輪場を増やしてほしい。")
        services.publish_record(None, record)
        return opinion.id


def test_an_opinion_answered_after_publication_shows_its_answer(app, client, login_as):
    login_as("staff", "kikaku")
    ids = scheduled(app)
    opinion_id = _published_record_with_unanswered_opinion(app, ids.session_id)
    public = f"/consultations/sessions/{ids.session_id}/record"
    assert "回答準備中" in client.get(public).text
    with app.test_request_context():
        (unanswered,) = services_attention()
    assert unanswered.url.endswith(f"/sessions/{ids.session_id}/record#opinions")

    # The record's staff page links each opinion to its answer form.
    record_page = client.get(f"/staff/consultations/sessions/{ids.session_id}/record").text
    answer_url = f"/staff/consultations/opinions/{opinion_id}/answer"
    assert answer_url in record_page

    # An empty answer is refused beside the field; what was typed is kept.
    with app.app_context():
        disposition = active_dispositions()[0]
        disposition_id, disposition_name = disposition.id, disposition.name_ja
    response = submit(
        client,
        answer_url,
        {"response_ja": "  ", "response_en": "We will consider it.", "disposition_id": "0"},
    )
    assert response.status_code == 200
    assert 'id="response_ja-error"' in response.text
    assert "We will consider it." in response.text

    response = submit(
        client,
        answer_url,
        {
            "response_ja": "駅周辺に駐輪場を増設する計画に反映します。",
            "response_en": "",
            "disposition_id": str(disposition_id),
        },
    )
    assert response.status_code == 302
    page = client.get(public).text
    assert "駅周辺に駐輪場を増設する計画に反映します。" in page
    assert disposition_name in page
    assert "回答準備中" not in page

    # Changed again later: the new answer shows, and both changes are in the audit log.
    submit(
        client,
        answer_url,
        {"response_ja": "令和9年度に増設します。", "disposition_id": str(disposition_id)},
    )
    assert "令和9年度に増設します。" in client.get(public).text
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "opinion.answer")
        ).all()
        assert len(entries) == 2
        assert db.session.get(Opinion, opinion_id).response_ja == "令和9年度に増設します。"
        # Answered opinions leave the staff attention list.
        attention = [r for r in services_attention() if f"/{ids.session_id}/record" in r.url]
        assert attention == []


def services_attention():
    from app.consultations.activity import attention

    return attention(50)


def test_only_the_owning_department_answers(app, client, login_as):
    ids = scheduled(app)
    opinion_id = _published_record_with_unanswered_opinion(app, ids.session_id)
    login_as("staff", "kocho")
    assert client.get(f"/staff/consultations/opinions/{opinion_id}/answer").status_code == 403


def test_advice_counts_under_initiative_6(app, client, login_as):
    """Advice on the method is 市民協働課's work for initiative 6, whatever the initiative of
    the consultation it was given on."""
    with app.app_context():
        consultation_id = make_consultation(number=10, title="懇話会への助言")
    login_as("staff", "shimin-kyodo")
    url = f"/staff/consultations/{consultation_id}"
    response = submit(
        client, f"{url}/advice", {"advised_on": "2026-05-10", "text": "休日開催を助言"}, page=url
    )
    assert response.status_code == 302
    with app.app_context():
        values = figures(ActivityFilter())
        assert values[_initiative_id(6)]["advice_given"] == 1
        assert values.get(_initiative_id(10), {}).get("advice_given", 0) == 0
        # The year is the advice's own (FY2026 for 2026-05-10), and initiative 6 filters it.
        assert figures(ActivityFilter(fiscal_years=(2026,)))[_initiative_id(6)]["advice_given"] == 1
        assert _initiative_id(6) not in figures(ActivityFilter(fiscal_years=(2025,)))
        only_6 = figures(ActivityFilter(initiative_id=_initiative_id(6)))
        assert only_6[_initiative_id(6)]["advice_given"] == 1


def _staff_training(app, number: int = 5) -> tuple[int, int, int]:
    """A staff training (audience staff) with one session held and one to come."""
    with app.app_context():
        services.ensure_default_kinds()
        db.session.commit()
        kind_id = db.session.scalar(
            sa.select(ConsultationKind.id).where(ConsultationKind.code == "staff_training")
        )
        consultation = make_consultation(number=number, title="情報公開職員研修")
        db.session.get(Consultation, consultation).kind_id = kind_id
        db.session.commit()
        venue = make_venue()
        held = make_session(consultation, venue, title="第1回")
        _held(held)
        day = clock.today() + timedelta(days=10)
        coming = make_session(consultation, venue, day=day, title="第2回")
        return consultation, held, coming


def test_staff_audience_sessions_are_counted_but_not_offered(app, client, plan):
    consultation_id, held, coming = _staff_training(app)
    with app.app_context():
        kind = db.session.get(Consultation, consultation_id).kind
        assert kind.audience == Audience.STAFF
        record = services.save_record(
            None, db.session.get(Session, held), summary_ja="研修を行った。", attendees=30
        )
        services.publish_record(None, record)
        values = figures(ActivityFilter())[_initiative_id(5)]
        assert values["sessions_held"] == 1
        assert values["attendees"] == 30
    month = to_jst(clock.now() + timedelta(days=10)).strftime("%Y-%m")
    for url in (
        "/consultations/",
        "/consultations/calendar",
        f"/consultations/calendar?month={month}",
        "/consultations/feed.ics",
        "/consultations/wards/chuo/feed.ics",
        "/consultations/events.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "情報公開職員研修" not in response.data.decode("utf-8"), url
    # Not bookable: the form sends the visitor back, and the service refuses.
    assert client.get(f"/consultations/sessions/{coming}/register").status_code == 302
    with app.test_request_context(), pytest.raises(services.ConsultationError):
        services.register(coming, name="x", email="x@example.jp")
    page = client.get(f"/consultations/sessions/{coming}").text
    assert f"/consultations/sessions/{coming}/register" not in page
    # The public list's kind filter does not offer the staff kinds either.
    assert "staff_training" not in client.get("/consultations/").text
    # The home page counts it under initiative 5.
    home = client.get("/").text
    row = home.split('id="initiative-5"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"参加の場：[1-9][0-9]*</span>", row), row


def test_staff_see_staff_sessions_on_their_calendar(app, client, login_as):
    login_as("staff", "kikaku")
    _staff_training(app)
    day = clock.today() + timedelta(days=10)
    assert "情報公開職員研修" in client.get(f"/staff/consultations/calendar?date={day}").text


def test_admin_sets_a_kinds_audience(app, client, login_as):
    login_as("admin")
    response = submit(
        client,
        "/staff/consultations/kinds",
        {
            "code": "liaison",
            "name_ja": "連絡会議",
            "name_en": "Liaison meeting",
            "audience": "staff",
            "active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        kind = db.session.scalar(
            sa.select(ConsultationKind).where(ConsultationKind.code == "liaison")
        )
        assert kind.audience == Audience.STAFF
