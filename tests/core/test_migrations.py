"""The migrations build the schema from empty on both databases, and match the models."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_do_not_differ(app):
    # The session schema was built by `flask db upgrade` (see conftest); compare it.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            if connection.dialect.name == "sqlite":
                # SQLite's reflection cannot read an index on an expression (registration's
                # lower(email)): Alembic leaves such indexes out of the comparison there, and
                # says so. PostgreSQL reads and compares them.
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
                warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified")
            diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_upgrade_from_empty_and_downgrade(database_url, tmp_path):
    """On a fresh, separate database: upgrade to head, down to base, and up again."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import app_config

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        cleanup = None
    else:
        base = sa.make_url(database_url)
        name = base.database + "_fresh"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    try:
        app = create_app(app_config(url, tmp_path))
        with app.app_context():
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"plan", "initiative", "user", "audit_entry", "outbox_message"} <= tables
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            db.engine.dispose()
    finally:
        if cleanup:
            cleanup()


def test_migrations_that_rebuild_tables_keep_their_rows(database_url, tmp_path, another_app):
    """Going down past the comment-groups revision and up again rebuilds the comment table
    (SQLite batch mode); the comments and the summaries that refer to them survive, and the
    comments take their cases' initiatives again."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import PLAN_FILE, app_config

    url = f"sqlite:///{tmp_path / 'with-data.sqlite3'}"
    if not database_url.startswith("sqlite"):
        url = None  # PostgreSQL alters tables in place; the upgrade test above covers it
    app = another_app(app_config(url or database_url, tmp_path))
    if url is None:
        return
    with app.app_context():
        upgrade()
        from app.core.demo import load_demo

        load_demo(str(PLAN_FILE))
        count = "SELECT (SELECT count(*) FROM comment), (SELECT count(*) FROM comment_summary)"
        before = db.session.execute(sa.text(count)).one()
        assert before[0] > 0 and before[1] > 0
        db.session.remove()
        downgrade(revision="ece3b0ddd49e")  # before comment groups: comment is rebuilt
        assert db.session.execute(sa.text(count)).one() == before
        db.session.remove()
        upgrade()
        assert db.session.execute(sa.text(count)).one() == before
        # Comments stored before revision 0dc83f149c23 took their case's initiative.
        drifted = (
            "SELECT count(*) FROM comment JOIN comment_case ON comment_case.id = comment.case_id"
            " WHERE comment.initiative_id IS NULL"
            " OR comment.initiative_id != comment_case.initiative_id"
        )
        assert db.session.execute(sa.text(drifted)).scalar() == 0
        db.session.remove()
