"""Declarative base, naming convention and the column types every model uses."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection: sa.Connection) -> None:
        immediate = _immediate.get()
        _immediate.set(False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Call first in a service that reads-then-writes under concurrency (receipt numbers,
    capacities, deadlines). PostgreSQL needs nothing here: such services lock the rows they
    check with SELECT … FOR UPDATE. SQLite has no row locks, and a reader that later writes
    fails at once when another writer got in first; so on SQLite the read snapshot is ended
    and a new transaction takes the database's write lock up front, making writers queue
    (up to the busy timeout) instead of failing.
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


def value_enum(cls: type[Any], length: int = 24) -> sa.Enum:
    """A Python enum stored as its values in a VARCHAR (no database ENUM type, so adding a
    member needs no migration of the type itself)."""
    return sa.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )
