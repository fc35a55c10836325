"""The migrations build the schema from empty on both databases, and match the models."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_do_not_differ(app):
    # The session schema was built by `flask db upgrade` (see conftest); compare it.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
