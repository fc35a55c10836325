"""Receipt numbers (受付番号): unique and without gaps within a scope, also under concurrency.

A counter row per scope is incremented with one UPDATE … RETURNING in the same transaction as
the submission it numbers: concurrent submitters queue on that row (PostgreSQL row lock, or
SQLite's write lock taken by begin_write), and a rolled-back submission rolls its number back,
so no number is skipped.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

import sqlalchemy as sa
from flask import session
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from app.core.permissions import is_authenticated
from app.core.security import mark_personal_data
from app.extensions import db


class ReceiptCounter(db.Model):
    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


def next_receipt_number(scope: str) -> int:
    """The next number in `scope`; call inside the transaction that stores the submission."""
    table = ReceiptCounter.__table__
    number = db.session.execute(_take_number(), {"counted_scope": scope}).scalar()
    if number is None:
        # First number in this scope. A concurrent first submitter may insert the row too:
        # the primary key lets only one insert win, and the loser increments instead.
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(table).values(scope=scope, last=1))
            number = 1
        except sa.exc.IntegrityError:
            number = db.session.execute(_take_number(), {"counted_scope": scope}).scalar_one()
    return number


@functools.cache
def _take_number() -> sa.Update:
    """Built once per process: building the statement cost as much as running it, in the
    writers' turn of every submission."""
    table = ReceiptCounter.__table__
    return (
        sa.update(table)
        .where(table.c.scope == sa.bindparam("counted_scope"))
        .values(last=table.c.last + 1)
        .returning(table.c.last)
    )


def give_submission_token(form: Any) -> None:
    """Put a token in a form's `submission_token` field when it is first shown (a form sent
    back keeps its own); the same token posted twice (a double click, a form sent again) finds
    the submission already stored instead of storing a second one."""
    if not form.submission_token.data:
        form.submission_token.data = secrets.token_urlsafe(24)


# How many receipts a browser session keeps (the cookie must stay small).
RECEIPTS_KEPT = 20


def remember_receipt(kind: str, record_id: int) -> None:
    """Let this browser session see the receipt of what it just submitted (after the redirect
    that keeps a reload from submitting twice), without an account."""
    key = f"receipts:{kind}"
    kept = session.get(key, [])
    session[key] = [*kept[-(RECEIPTS_KEPT - 1) :], record_id]


def may_see_receipt(kind: str, record_id: int, owner_id: Any) -> bool:
    """A receipt is personal data: shown to the browser session that submitted it, or to the
    account it was submitted with, and to nobody else."""
    if record_id in session.get(f"receipts:{kind}", []) or (
        owner_id is not None and is_authenticated(current_user) and owner_id == current_user.id
    ):
        mark_personal_data()
        return True
    return False


def format_receipt(prefix: str, number: int) -> str:
    """e.g. PC-0012-00042: short enough to read out on the phone."""
    return f"{prefix}-{number:05d}"
