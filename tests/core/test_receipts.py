"""Receipt numbers are unique and gapless per scope, also when many submit at the same moment."""

import fcntl
import os

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.core.db import _queue_for_writing, begin_write
from app.core.receipts import next_receipt_number
from app.extensions import db
from tests.conftest import run_at_once


def test_numbers_count_up_per_scope(app):
    with app.app_context():
        assert [next_receipt_number("a") for _ in range(3)] == [1, 2, 3]
        assert next_receipt_number("b") == 1
        db.session.commit()


def test_a_rolled_back_submission_gives_its_number_back(app):
    with app.app_context():
        assert next_receipt_number("a") == 1
        db.session.commit()
        assert next_receipt_number("a") == 2
        db.session.rollback()
        assert next_receipt_number("a") == 2


def test_concurrent_submitters_get_distinct_gapless_numbers(app):
    """12 threads, each its own connection and transaction, released together. (Not more than
    the connection pool holds, or threads would wait at the barrier for a connection.)"""
    workers = 12

    def submit(_number, go):
        with app.app_context():
            # A read first, as a real request does, then the write.
            db.session.execute(sa.select(sa.func.count(AuditEntry.id))).scalar()
            go()
            begin_write()
            number = next_receipt_number("concurrent")
            db.session.add(
                AuditEntry(
                    action="test", object_type="x", object_id=str(number), summary="submission"
                )
            )
            db.session.commit()
            return number

    numbers = run_at_once(workers, submit)
    assert sorted(numbers) == list(range(1, workers + 1))
    with app.app_context():
        stored = db.session.scalars(sa.select(AuditEntry.object_id)).all()
        assert sorted(int(n) for n in stored) == list(range(1, workers + 1))


def _queue_is_free(path: str) -> bool:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def test_sqlite_writers_hold_the_queue_only_while_their_transaction_lasts(app):
    """On SQLite, begin_write queues writers on a lock file beside the database. A lock left
    held would stop every later writer of every worker, so it must go with the transaction:
    at commit, at rollback, and when a request ends without either."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL writers wait on row locks")
        queue = f"{db.engine.url.database}-writers"
        for end in (db.session.commit, db.session.rollback, db.session.remove):
            begin_write()
            next_receipt_number("queue")
            assert not _queue_is_free(queue)
            end()
            assert _queue_is_free(queue)
        # A second connection of the same thread does not queue behind the first (it would
        # wait for ever); it meets SQLite's busy timeout instead.
        begin_write()
        assert _queue_for_writing(queue) is None
        db.session.commit()
    with app.test_client() as client:
        assert client.get("/healthz").status_code == 200
    assert _queue_is_free(queue)
