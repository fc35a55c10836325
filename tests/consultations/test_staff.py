"""Staff work beyond scheduling: calling a session off, editing the list of kinds, and the
registration window."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.consultations import services
from app.consultations.models import ConsultationKind, Session
from app.core import clock
from app.core.audit import AuditEntry
from app.core.mail import OutboxMessage
from app.extensions import db
from tests.conftest import submit
from tests.consultations.factories import scheduled


def test_cancelling_a_session_tells_everyone_and_hides_it(app, client, login_as):
    login_as("staff", "kikaku")
    ids = scheduled(app, capacity=1)
    with app.test_request_context():
        services.register(ids.session_id, name="a", email="a@example.jp")
        services.register(ids.session_id, name="b", email="b@example.jp")
    page = f"/staff/consultations/{ids.consultation_id}"
    response = submit(
        client,
        f"/staff/consultations/sessions/{ids.session_id}/cancel",
        {f"cancel-{ids.session_id}-reason": "台風接近のため"},
        page=page,
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Session, ids.session_id).cancelled_at is not None
        told = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.dedup_key.like("session-cancelled:%"))
        ).all()
        assert sorted(m.recipient for m in told) == ["a@example.jp", "b@example.jp"]
        assert all("台風接近のため" in m.body for m in told)
        assert db.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action == "session.cancel")
        )
    assert "テスト懇話会" not in client.get("/consultations/").text
    assert "中止" in client.get(f"/consultations/sessions/{ids.session_id}").text


def test_admin_edits_the_list_of_kinds_and_staff_cannot(app, client, auth, login_as):
    login_as("staff", "kikaku")
    assert client.get("/staff/consultations/kinds").status_code == 403
    auth.logout()
    login_as("admin")
    response = submit(
        client,
        "/staff/consultations/kinds",
        {"code": "walk", "name_ja": "まち歩き", "name_en": "Town walk", "active": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        kind = db.session.scalar(sa.select(ConsultationKind).where(ConsultationKind.code == "walk"))
        assert kind is not None and kind.active
        kind_id = kind.id
    # Retire it: it stays, but is no longer offered for new consultations.
    submit(client, f"/staff/consultations/kinds/{kind_id}", {"code": "walk", "name_ja": "まち歩き"})
    with app.app_context():
        assert db.session.get(ConsultationKind, kind_id).active is False
        assert "walk" not in [k.code for k in services.active_kinds()]
    assert "まち歩き" not in client.get("/staff/consultations/new").text


def test_registration_outside_its_window_is_refused(app, client, plan):
    ids = scheduled(app)
    with app.app_context():
        session = db.session.get(Session, ids.session_id)
        session.registration_closes_at = clock.now() - timedelta(minutes=1)
        db.session.commit()
    url = f"/consultations/sessions/{ids.session_id}/register"
    response = client.get(url)
    assert response.status_code == 302
    with app.test_request_context(), pytest.raises(services.ConsultationError):
        services.register(ids.session_id, name="x", email="x@example.jp")
