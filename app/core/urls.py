"""URL helpers shared by every module: links, the integer converter of every path, and reading
the query string (a value a page cannot use answers 400, never a 500 from deeper down)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

# Ids are PostgreSQL `integer` columns; a larger number reaching SQL fails in the driver
# (SQLite's ends at 2**63 - 1), so paths and query strings stop at this bound.
MAX_ID = 2**31 - 1
# Flask-SQLAlchemy multiplies ?page= into OFFSET; a million pages is past any list we have.
MAX_PAGE = 1_000_000
# The dates a person can mean on a calendar or a date filter. Python's dates end at year 9999
# and a calendar page reaches into the neighbouring months, so the far ends must be refused.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)


class BoundedIntegerConverter(IntegerConverter):
    """Flask's `int` converter for every rule, bounded to the ids the database can hold: a path
    with 0, a negative number or more than ten digits does not match (404 at routing)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


class BadQuery(BadRequest):
    """A query-string value the page cannot use; the error page says so (400)."""

    description = _l(
        "The address has a value this page cannot use. Please use the links and forms on the page."
    )


def query_int(
    name: str, default: int | None = None, low: int = 1, high: int = MAX_ID
) -> int | None:
    """A whole number from the query string: default when absent or empty, 400 when it is not a
    number from low to high."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        raise BadQuery()
    if not low <= int(raw) <= high:
        raise BadQuery()
    return int(raw)


def query_page() -> int:
    """?page= of a paginated list: 1 when absent, 400 when not a page number."""
    return query_int("page", 1, high=MAX_PAGE) or 1


def query_date(name: str, default: date, format: str = "%Y-%m-%d") -> date:
    """A date (or with format="%Y-%m", the first of a month) from the query string: default when
    absent, 400 when it is not a date from FIRST_DAY to LAST_DAY."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        day = datetime.strptime(raw, format).date()
    except ValueError:
        raise BadQuery() from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadQuery()
    return day


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails and feeds, also from the CLI (where there is no request)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def safe_next_url(target: str | None) -> str | None:
    """Only same-site paths may be redirected to, so a link cannot send users elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
