"""Admins edit the table's texts, move initiatives and record progress; all audited."""

import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.extensions import db
from app.plan.models import Action, ActionProgress, Initiative, Recommendation
from tests.conftest import submit


def _initiative(app, number):
    with app.app_context():
        item = db.session.scalar(sa.select(Initiative).where(Initiative.number == number))
        return item.id, item.recommendation_id


def test_admin_edits_an_initiative_and_it_is_audited(app, client, login_as):
    login_as("admin")
    initiative_id, rec_id = _initiative(app, 9)
    url = f"/admin/plan/initiatives/{initiative_id}"
    response = submit(
        client,
        url,
        {
            "title_ja": "新しい参画の手法の研究と活用(改)",
            "title_en": "New methods",
            "recommendation_id": rec_id,
        },
    )
    assert response.status_code == 302
    assert "新しい参画の手法の研究と活用(改)" in client.get("/initiatives/9").text
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "plan.edit_initiative")
        )
        assert entry.before == {
            "title_en": "Research and use new participation methods",
            "title_ja": "新しい参画の手法の研究と活用",
        }
        assert entry.after["title_ja"] == "新しい参画の手法の研究と活用(改)"


def test_admin_moves_initiative_14_to_another_recommendation(app, client, login_as):
    login_as("admin")
    initiative_id, _ = _initiative(app, 14)
    with app.app_context():
        target = db.session.scalar(
            sa.select(Recommendation).where(Recommendation.text_ja.like("市民も責任を共有し%"))
        )
        target_id = target.id
    response = submit(
        client,
        f"/admin/plan/initiatives/{initiative_id}",
        {
            "title_ja": "まちづくり支援メニューの充実",
            "title_en": "x",
            "recommendation_id": target_id,
        },
    )
    assert response.status_code == 302
    assert _initiative(app, 14)[1] == target_id
    with app.app_context():
        moves = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "plan.edit_initiative")
        ).all()
        assert any(e.after.get("recommendation_id") == target_id for e in moves)


def test_empty_required_text_is_refused_beside_the_field_and_kept(app, client, login_as):
    login_as("admin")
    initiative_id, rec_id = _initiative(app, 9)
    response = submit(
        client,
        f"/admin/plan/initiatives/{initiative_id}?lang=en",
        {"title_ja": "", "title_en": "typed text", "recommendation_id": rec_id},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert "Please fill in “Initiative (Japanese)”." in response.text
    assert 'value="typed text"' in response.text
    assert "新しい参画の手法の研究と活用" in client.get("/initiatives/9?lang=ja").text


def test_admin_records_action_progress(app, client, login_as):
    login_as("admin")
    with app.app_context():
        action_id = db.session.scalar(
            sa.select(Action.id).join(Initiative).where(Initiative.number == 18)
        )
    response = submit(
        client,
        f"/admin/plan/actions/{action_id}/progress",
        {
            "progress-fiscal_year": "2024",
            "progress-status": "in_progress",
            "progress-note": "改定作業中",
            "progress-recorded_on": "2024-10-03",
        },
        page=f"/admin/plan/actions/{action_id}",
    )
    assert response.status_code == 302
    html = client.get("/initiatives/18?lang=ja").text
    assert "改定作業中" in html and "実施中" in html and "令和6年度(2024年度)" in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ActionProgress.id))) == 1
        assert db.session.scalar(
            sa.select(AuditEntry.action).where(AuditEntry.action == "plan.record_progress")
        )


def test_bad_progress_is_refused_and_nothing_stored(app, client, login_as):
    login_as("admin")
    with app.app_context():
        action_id = db.session.scalar(
            sa.select(Action.id).join(Initiative).where(Initiative.number == 18)
        )
    response = submit(
        client,
        f"/admin/plan/actions/{action_id}/progress?lang=en",
        {
            "progress-fiscal_year": "24",
            "progress-status": "bogus",
            "progress-note": "kept note",
            "progress-recorded_on": "not a date",
        },
        page=f"/admin/plan/actions/{action_id}",
    )
    assert response.status_code == 400
    assert "kept note" in response.text
    assert response.text.count('class="error-message"') >= 3
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ActionProgress.id))) == 0


def test_audit_log_can_be_filtered(app, client, login_as):
    admin = login_as("admin")
    initiative_id, rec_id = _initiative(app, 9)
    submit(
        client,
        f"/admin/plan/initiatives/{initiative_id}",
        {"title_ja": "改", "title_en": "", "recommendation_id": rec_id},
    )
    page = client.get("/admin/audit?action=plan.edit_initiative&lang=en").text
    assert "edited initiative" in page and admin.email in page
    assert "1 entry" in page
    page = client.get("/admin/audit?actor=nobody@example.jp&lang=en").text
    assert "0 entries" in page


def test_admin_edits_and_retires_a_disposition(app, client, login_as):
    from app.core.dispositions import Disposition, active_dispositions

    login_as("admin")
    with app.app_context():
        other = db.session.scalar(sa.select(Disposition).where(Disposition.code == "other"))
        other_id = other.id
    response = submit(
        client,
        f"/admin/dispositions/{other_id}",
        {"code": "other", "name_ja": "その他(対応なし)", "name_en": "Other", "position": "9"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert "other" not in [d.code for d in active_dispositions()]
        assert db.session.get(Disposition, other_id).name_ja == "その他(対応なし)"
    response = submit(
        client,
        "/admin/dispositions?lang=en",
        {"code": "revised", "name_ja": "重複", "name_en": "", "position": "1", "active": "y"},
    )
    assert "This code is already used." in response.text
