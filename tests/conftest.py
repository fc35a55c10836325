"""Fixtures shared by the whole suite (flaskr style: app, client, runner, auth).

The suite runs on SQLite by default and on PostgreSQL when SANKAKU_TEST_BACKEND=postgresql and
TEST_DATABASE_URL names a server; it creates its own database there and drops it afterwards.
The schema is built once per run by the Alembic migrations (so every run also tests them), and
every table is emptied after each test, which keeps tests isolated while letting tests that need
real commits (concurrency, the browser) see each other's writes.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient

from app import create_app
from app.config import BASE_DIR
from app.core import clock
from app.core.i18n import jst_to_utc
from app.extensions import db

# Each module's fixtures (factories for its records) live beside its tests and are shared with
# the browser tests through here.
pytest_plugins = ["tests.public_comment.fixtures", "tests.reports.fixtures"]

PASSWORD = "correct horse battery staple"
REDIS_TEST_URL = "redis://127.0.0.1:6379/14"  # a database no server uses


class Clock:
    """The time every module reads (app.core.clock), held still and moved by a test."""

    def __init__(self) -> None:
        # 4 Oct 2024 09:00 JST: inside the public comment tests' case window
        # (tests/public_comment/fixtures.py).
        self.now = jst_to_utc(date(2024, 10, 4), time(9, 0))

    def set_jst(self, day: date, at: time) -> None:
        self.now = jst_to_utc(day, at)

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the one clock: every deadline, window, login and row timestamp of every module
    reads `clock.now()` (column defaults `clock.stamp`), so moving it moves them all."""
    moving = Clock()
    monkeypatch.setattr(clock, "now", lambda: moving.now)
    return moving


PLAN_FILE = BASE_DIR / "data" / "response_table_h23.json"


def _backend() -> str:
    return os.environ.get("SANKAKU_TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _backend() != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.exit("SANKAKU_TEST_BACKEND=postgresql needs TEST_DATABASE_URL", returncode=2)
    server = sa.make_url(server).set(drivername="postgresql+psycopg")
    name = f"sankaku_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_CHEAP": True,
        # Tests change data and read figures at once; the cache has its own test.
        "FIGURES_CACHE_SECONDS": 0,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_SERVER": "",
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Build the schema once, through the migrations."""
    from flask_migrate import upgrade

    app = create_app(app_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # DELETE, not TRUNCATE: a test leaves a handful of rows, and TRUNCATE's fixed cost per
        # table (0.2 s for 70 tables on this machine, after every test) was minutes of the run.
        # Foreign keys are not checked meanwhile (session_replication_role: the suite's user
        # creates its databases, so it is a superuser), and the sequences start again at 1 as
        # TRUNCATE … RESTART IDENTITY made them (tests open /…/1).
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            db.session.execute(table.delete())
        db.session.execute(
            sa.text(
                "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c WHERE c.relkind = 'S'"
            )
        )
    else:
        # Some tables refer to each other (comment ↔ comment_group): check at commit instead.
        db.session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url: str, _schema: None, tmp_path: Path) -> Iterator[Flask]:
    # No app context stays pushed during a test: requests made with the client must each get
    # their own `g`, as in production. Tests that touch the database open one themselves.
    app = create_app(app_config(database_url, tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def another_app() -> Iterator[Any]:
    """Build more apps on the test database (a second worker, other settings); each one's
    connections are closed at the end of the test."""
    made: list[Flask] = []

    def factory(config: dict[str, Any]) -> Flask:
        made.append(create_app(config))
        return made[-1]

    yield factory
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def no_rate_limit(app: Flask) -> Iterator[None]:
    """For tests that post many times from one address (the limiter reads its setting only
    when the app is created, so it is switched off on the extension itself)."""
    from app.extensions import limiter

    limiter.enabled = False
    yield
    limiter.enabled = True


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def plan(app: Flask) -> int:
    """Load the city's response table; returns the plan's id."""
    from app.plan.services import current_plan, load_plan

    with app.app_context():
        load_plan(PLAN_FILE)
        return current_plan().id


# Forms and logging in, through the pages a person uses --------------------------------------

CSRF_RE = re.compile(r'name="(?:[\w-]+-)?csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def submit(
    client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any
) -> Any:
    """Open the page with the form (page, or url), then post it with that page's CSRF token."""
    response = client.get(page or url)
    assert response.status_code == 200, f"{page or url} answered {response.status_code}"
    prefix = ""
    csrf_field = "csrf_token"
    for key in data:
        if "-" in key:
            prefix = key.split("-", 1)[0] + "-"
            break
    csrf_field = prefix + csrf_field
    return client.post(url, data={csrf_field: csrf_from(response.text), **data}, **kwargs)


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return submit(self.client, "/login", {"email": email, "password": password})

    def logout(self) -> Any:
        response = self.client.get("/")
        return self.client.post("/logout", data={"csrf_token": csrf_from(response.text)})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


# Factories --------------------------------------------------------------------------------


@pytest.fixture
def make_user(app: Flask) -> Any:
    from app.accounts import services
    from app.core.permissions import Role
    from app.plan.models import Department

    counter = iter(range(1, 10_000))

    def factory(
        role: str = "citizen", department: str | None = None, email: str | None = None
    ) -> SimpleNamespace:
        with app.app_context():
            department_id = None
            if department:
                department_id = db.session.scalar(
                    sa.select(Department.id).where(Department.code == department)
                )
                assert department_id, f"no department {department}; use the plan fixture"
            number = next(counter)
            user = services.create_user(
                None,
                email or f"{role}{number}@example.jp",
                f"{role.title()} {number}",
                Role(role),
                department_id=department_id,
                password=PASSWORD,
            )
            return SimpleNamespace(
                id=user.id,
                email=user.email,
                role=user.role,
                department_id=department_id,
                display_name=user.display_name,
            )

    return factory


@pytest.fixture
def login_as(make_user: Any, auth: Auth, plan: Any) -> Any:
    """Log the test client in as a new user of a role: login_as("staff", "kocho")."""

    def do(role: str, department: str | None = None) -> Any:
        if role == "staff" and department is None:
            department = "kikaku"
        user = make_user(role, department)
        response = auth.login(user.email)
        assert response.status_code == 302, "login failed"
        return user

    return do


# Counting SQL statements ------------------------------------------------------------------


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Collect the SQL statements the block runs, to prove a page costs a fixed number."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def parallel_workers() -> str:
    """PostgreSQL's max_parallel_workers_per_gather on the session's connection, as it stands."""
    return db.session.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar_one()


# Concurrency -------------------------------------------------------------------------------


def run_at_once(count: int, work: Callable[[int, Callable[[], Any]], Any]) -> list[Any]:
    """Run work(number, go) in `count` threads released together: each calls `go()` right before
    the step that must race (after its reads, as a request does). Returns what the threads
    returned, in the order they finished; an exception in any thread fails the test."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            results.append(work(number, barrier.wait))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return results


def run_cli(app: Flask, *args: str) -> None:
    """Run a `flask` command on this thread, as cron runs it; what it prints goes to stdout
    (capsys). For commands run at once from several threads: the test CLI runner swaps
    sys.stdout for the whole process, so two of them cannot run together."""
    app.cli.main(args=list(args), obj=ScriptInfo(create_app=lambda: app), standalone_mode=False)


@pytest.fixture
def redis_cache() -> Iterator[dict[str, Any]]:
    """The settings of a cache shared in Redis, as in production (one minute fresh), under a
    key prefix of the test's own: test processes running side by side share the database.
    Skipped where no Redis runs."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"sankaku-test-{uuid.uuid4().hex}:"
    yield {
        "FIGURES_CACHE_SECONDS": 60,
        "CACHE_REDIS_URL": REDIS_TEST_URL,
        "CACHE_KEY_PREFIX": prefix,
    }
    client = redis.Redis.from_url(REDIS_TEST_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
