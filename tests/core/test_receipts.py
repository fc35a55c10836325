"""Receipt numbers are unique and gapless per scope, also when many submit at the same moment."""

import threading

import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.core.db import begin_write
from app.core.receipts import next_receipt_number
from app.extensions import db


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
    barrier = threading.Barrier(workers, timeout=30)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            with app.app_context():
                # A read first, as a real request does, then the write.
                db.session.execute(sa.select(sa.func.count(AuditEntry.id))).scalar()
                barrier.wait()
                begin_write()
                number = next_receipt_number("concurrent")
                db.session.add(
                    AuditEntry(
                        action="test", object_type="x", object_id=str(number), summary="submission"
                    )
                )
                db.session.commit()
                numbers.append(number)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(numbers) == list(range(1, workers + 1))
    with app.app_context():
        stored = db.session.scalars(sa.select(AuditEntry.object_id)).all()
        assert sorted(int(n) for n in stored) == list(range(1, workers + 1))
