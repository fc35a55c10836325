"""Declarative base, naming convention and the column types every model uses."""

from __future__ import annotations

import fcntl
import os
import threading
from collections import Counter
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core import clock

# Named constraints make Alembic migrations reproducible on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zones, so values are stored as naive UTC and handed back aware;
    a naive value given to us is refused rather than guessed at.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.stamp, onupdate=clock.stamp
    )


class Localized:
    """Models with `<field>_ja` and `<field>_en` columns: Japanese is authoritative."""

    def tr(self, field: str) -> str:
        from app.core.i18n import current_language

        if current_language() == "en":
            english = getattr(self, f"{field}_en", None)
            if english:
                return english
        return getattr(self, f"{field}_ja")


# Set by begin_write() for the transaction about to begin on this thread.
_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


# The writers' queue on SQLite (see _queue_for_writing): where a connection keeps its lock, and
# how many each thread of this process holds.
_WRITERS_LOCK = "sankaku_writers_lock"
_writers_here: Counter[int] = Counter()


def configure_engine(engine: sa.Engine) -> None:
    """SQLite: WAL for concurrent readers, a busy timeout instead of 'database is locked',
    foreign keys enforced as on PostgreSQL, and transactions begun by us (not by the driver) so
    that writers can take the write lock up front (see begin_write)."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    lock_path = f"{engine.url.database}-writers" if engine.url.database else None

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection: sa.Connection) -> None:
        immediate = _immediate.get()
        _immediate.set(False)
        if immediate and lock_path:
            held = _queue_for_writing(lock_path)
            if held is not None:
                connection.info[_WRITERS_LOCK] = held
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    def _next_writer(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        # The session hands its connection back when its transaction ends (commit, rollback or
        # close), or the pool drops a broken one: the next writer in the queue may go.
        held = record.info.pop(_WRITERS_LOCK, None)
        if held is not None:
            descriptor, thread = held
            _writers_here[thread] -= 1
            if _writers_here[thread] <= 0:
                del _writers_here[thread]
            os.close(descriptor)  # closing the descriptor releases its flock

    for event in ("checkin", "invalidate", "close"):
        sa.event.listen(engine, event, _next_writer)


def _queue_for_writing(lock_path: str) -> tuple[int, int] | None:
    """Wait in the kernel for an exclusive lock on a file beside the database; returns its
    descriptor and the thread holding it.

    SQLite's own busy handler makes a waiting writer sleep 1, 2, 5, 10 … 100 ms and try again,
    so in a queue of writers much of the wait was sleep while the lock stood free (measured
    at national scale: p95 130 ms, p99 540 ms to begin a registration; with the queue, 30 and
    66 ms); flock wakes the next writer as soon as the lock is released. Writers that do not
    call begin_write still meet the busy timeout as before. A thread that already holds the
    lock on another connection does not queue behind itself (it would wait for ever): it
    meets SQLite's busy timeout, as it did before there was a queue.
    """
    thread = threading.get_ident()
    if _writers_here[thread]:
        return None
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    _writers_here[thread] += 1
    return descriptor, thread


def begin_write() -> None:
    """Call first in a service that reads-then-writes under concurrency (receipt numbers,
    capacities, deadlines). PostgreSQL needs nothing here: such services lock the rows they
    check with SELECT … FOR UPDATE. SQLite has no row locks, and a reader that later writes
    fails at once when another writer got in first; so on SQLite the read snapshot is ended
    and a new transaction takes the database's write lock up front, making writers queue
    (in order, see _queue_for_writing) instead of failing.
    """
    from app.extensions import db

    if db.engine.dialect.name != "sqlite":
        return
    session = db.session()  # the request's Session, out of its scoped_session registry
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before any change in the transaction")
        session.commit()
    _immediate.set(True)
    session.connection()


def in_background() -> None:
    """Call first in work no visitor waits for (a stale value recomputed in its thread,
    `flask reports warm`): on PostgreSQL its statements run without parallel workers for the
    rest of the transaction. A parallel plan over millions of rows takes a process per core;
    on the host that also runs the web workers, the visitors' requests then queue behind it
    for as long as it runs (the tails of issue 23). Alone it takes one core, and longer, which
    background work can afford. SET LOCAL ends with the transaction, so a pooled connection
    goes back to the pool as it came."""
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    db.session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))


def value_enum(cls: type[Any], length: int = 24) -> sa.Enum:
    """A Python enum stored as its values in a VARCHAR (no database ENUM type, so adding a
    member needs no migration of the type itself)."""
    return sa.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )
