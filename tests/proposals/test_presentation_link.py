"""A call's public presentations are in one consultation linked to the call by id (issue 20): it
used to be found by its Japanese title, so renaming the call or the consultation orphaned it.
Revision e20a00000001 links the calls made before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.proposals.conftest import create_call, presentation_values


def test_a_renamed_call_keeps_its_presentation_consultation(app, plan):
    from app.consultations.models import Consultation, Session
    from app.proposals import services
    from app.proposals.models import ProposalCall

    call_id = create_call(app)
    with app.app_context():
        first = services.schedule_presentation(
            None, db.session.get(ProposalCall, call_id), **presentation_values(24 * 31)
        )
        call = db.session.get(ProposalCall, call_id)
        programme_id = call.presentation_consultation_id
        assert programme_id == first.consultation_id
        # Both renamed: the old title match would find nothing and open a second programme.
        call.title_ja = "令和9年度 協働提案の募集"
        db.session.get(Consultation, programme_id).title_ja = "協働提案 公開審査会"
        db.session.commit()
        second = services.schedule_presentation(
            None, db.session.get(ProposalCall, call_id), **presentation_values(24 * 32)
        )
        assert second.consultation_id == programme_id
        assert db.session.get(ProposalCall, call_id).presentation_session_id == second.id
        sessions = db.session.scalars(
            sa.select(Session.id).where(Session.consultation_id == programme_id)
        ).all()
        assert sorted(sessions) == sorted([first.id, second.id])
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 1


@pytest.fixture
def fresh_database(database_url: str, tmp_path) -> Iterator[str]:
    """A database of its own (the suite's schema stays at head while this one goes down)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'link.sqlite3'}"
        return
    base = sa.make_url(database_url)
    name = base.database + "_link"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migration_links_calls_made_before_it(fresh_database, tmp_path, another_app):
    """Calls stored before e20a00000001 take the consultation of their presentation session,
    or else the one the old title match found."""
    from flask_migrate import downgrade, upgrade

    from app.proposals import services
    from app.proposals.models import ProposalCall
    from tests.conftest import PLAN_FILE, app_config

    app = another_app(app_config(fresh_database, tmp_path))
    with app.app_context():
        upgrade()
        from app.plan.services import load_plan

        load_plan(PLAN_FILE)
    scheduled = create_call(app, title_ja="日程のある募集")
    by_title = create_call(app, title_ja="日程のない募集")
    unlinked = create_call(app, title_ja="発表のない募集")
    with app.app_context():
        for call_id in (scheduled, by_title):
            services.schedule_presentation(
                None, db.session.get(ProposalCall, call_id), **presentation_values(24 * 31)
            )
        expected = {
            call_id: db.session.get(ProposalCall, call_id).presentation_consultation_id
            for call_id in (scheduled, by_title)
        }
        assert len(set(expected.values())) == 2 and None not in expected.values()
        # As before the revision: a call whose session id was lost is found by title alone.
        db.session.get(ProposalCall, by_title).presentation_session_id = None
        db.session.commit()
        db.session.remove()
        downgrade(revision="d19d00000004")
        upgrade()
        rows = db.session.execute(
            sa.select(ProposalCall.id, ProposalCall.presentation_consultation_id)
        ).all()
        linked = {call_id: consultation_id for call_id, consultation_id in rows}
        db.session.remove()
    assert linked == {**expected, unlinked: None}
