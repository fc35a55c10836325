"""The public lottery (公開抽選) for public seats: the published method, the code anyone can run
to check the order, and which receipt numbers the drawn order gives the seats to. Committing
the pool and drawing are state changes, in services (commit_lottery, draw_lottery)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.councils.models import (
    Application,
    ApplicationStatus,
    RecruitmentCall,
)
from app.extensions import db

# The method as the lottery page explains it, in the page's language.
LOTTERY_ALGORITHM = _l(
    "Before the draw, the city publishes the pool (the receipt numbers that enter the lottery) "
    "and the SHA-256 of a secret seed, in lowercase hexadecimal. At the draw the seed itself is "
    "published, so anyone can check that its SHA-256 is the value published before. For every "
    'receipt number r in the pool, compute the SHA-256 of the UTF-8 text seed + ":" + r in '
    "lowercase hexadecimal, and sort the receipt numbers by that text, ascending (ties, which "
    "do not happen in practice, by the receipt number). The seats go to the first numbers in "
    "this order; an application withdrawn after the pool was published is passed over and its "
    "place goes to the next number."
)

LOTTERY_SOURCE = """import hashlib

def lottery_order(seed, receipt_numbers):
    def key(r):
        return (hashlib.sha256(f"{seed}:{r}".encode("utf-8")).hexdigest(), r)
    return sorted(receipt_numbers, key=key)
"""


def lottery_order(seed: str, receipt_numbers: Iterable[str]) -> list[str]:
    """The published algorithm (LOTTERY_ALGORITHM; LOTTERY_SOURCE is the same code for anyone
    to run): deterministic for a seed, so the order can be checked by re-running it."""

    def key(receipt: str) -> tuple[str, str]:
        return (hashlib.sha256(f"{seed}:{receipt}".encode()).hexdigest(), receipt)

    return sorted(receipt_numbers, key=key)


def withdrawn_numbers(call: RecruitmentCall) -> set[str]:
    """Receipt numbers of the call's withdrawn applications (public: a number says nothing of
    the person)."""
    return set(
        db.session.scalars(
            sa.select(Application.receipt_number).where(
                Application.call_id == call.id,
                Application.status == ApplicationStatus.WITHDRAWN,
            )
        )
    )


def seat_numbers(call: RecruitmentCall) -> list[str]:
    """The numbers the drawn order gives the seats to: the first `seats` of the order, passing
    over applications withdrawn after the pool was published."""
    withdrawn = withdrawn_numbers(call)
    return [r for r in call.lottery_order or [] if r not in withdrawn][: call.seats]
