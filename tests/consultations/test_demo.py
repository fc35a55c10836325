"""`flask demo load` brings consultations of several kinds in all five wards, past ones with
published records, and a full session with a waiting list; running it twice adds nothing."""

import sqlalchemy as sa

from app.consultations.models import (
    Consultation,
    Registration,
    RegistrationStatus,
    Session,
    SessionRecord,
)
from app.extensions import db
from app.plan.models import Ward


def _counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Consultation, Session, Registration, SessionRecord)
    }


def test_demo_load_is_complete_and_idempotent(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        first = _counts()
        wards = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Session.ward_id))).where(
                Session.ward_id.is_not(None)
            )
        )
        assert wards == db.session.scalar(sa.select(sa.func.count(Ward.id))) == 5
        kinds = db.session.scalar(sa.select(sa.func.count(sa.distinct(Consultation.kind_id))))
        assert kinds >= 5
        published = db.session.scalar(
            sa.select(sa.func.count(SessionRecord.id)).where(
                SessionRecord.published_at.is_not(None)
            )
        )
        assert published >= 3
        waiting = db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.status == RegistrationStatus.WAITLISTED
            )
        )
        assert waiting >= 1
        # Every session's kept count of places is its confirmed parties summed, also where
        # the surveys' demo wrote a held session's participants in bulk.
        summed = (
            sa.select(sa.func.coalesce(sa.func.sum(Registration.party_size), 0))
            .where(
                Registration.session_id == Session.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .scalar_subquery()
        )
        kept = db.session.execute(sa.select(Session.places_taken, summed)).all()
        assert any(places for places, _summed in kept)
        assert [(places, places) for places, _summed in kept] == kept
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        assert _counts() == first


def test_demo_city_shows_activity_for_all_22_initiatives(app, runner, client):
    """Each row of the home page's table counts some activity of the kind its action names,
    and every action has its progress recorded; loading again adds no progress twice."""
    import re

    from app.plan.models import Action, ActionProgress

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    home = client.get("/").text
    empty = []
    for number in range(1, 23):
        row = home.split(f'id="initiative-{number}"', 1)[1].split("</tr>", 1)[0]
        # Only the kinds that counted something are named (issue 18: no wall of zeros).
        counts = [int(n) for n in re.findall(r"：([0-9]+)</span>", row)]
        if not any(counts):
            empty.append(number)
    assert empty == []
    with app.app_context():
        without = db.session.scalars(sa.select(Action.id).where(~Action.progress.any())).all()
        assert without == []
        progress = db.session.scalar(sa.select(sa.func.count(ActionProgress.id)))
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ActionProgress.id))) == progress
