"""Flask extensions, created unbound so that `create_app` can bind them to any app."""

from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from flask_wtf.csrf import CSRFProtect

from app.core.db import Base
from app.core.urls import query_page


class _SQLAlchemy(SQLAlchemy):
    def paginate(
        self, select: sa.Select[Any], *, page: int | None = None, **kwargs: Any
    ) -> Pagination:
        # Flask-SQLAlchemy would read ?page= unbounded and multiply it into OFFSET (a huge page
        # fails in the driver): the page is read as every other query parameter is.
        if page is None and has_request_context():
            page = query_page()
        return super().paginate(select, page=page, **kwargs)

    def paginate_rows(
        self, select: sa.Select[Any], *, page: int | None = None, **kwargs: Any
    ) -> Pagination:
        """`paginate` for a select of several columns: its items are whole rows (Flask-SQLAlchemy
        keeps the first column alone), counted in the same statement (`count(*) OVER ()`, read
        before the limit) rather than by a second one."""
        if page is None and has_request_context():
            page = query_page()
        return _RowPagination(select=select, session=self.session(), page=page, **kwargs)


class KeptPagination(Pagination):
    """A page of rows read earlier and kept (in a cache): `KeptPagination(page=…, per_page=…,
    items=…, total=…)` is the page as it was read, with no statement."""

    def _query_items(self) -> list[Any]:
        return list(self._query_args["items"])

    def _query_count(self) -> int:
        return int(self._query_args["total"])


class _RowPagination(SelectPagination):
    _TOTAL = "pagination_total"

    def _query_items(self) -> list[Any]:
        select = (
            self._query_args["select"]
            .add_columns(sa.func.count().over().label(self._TOTAL))
            .limit(self.per_page)
            .offset(self._query_offset)
        )
        rows = list(self._query_args["session"].execute(select).all())
        self._total = getattr(rows[0], self._TOTAL) if rows else None
        return rows

    def _query_count(self) -> int:
        if self._total is not None:
            return int(self._total)
        # No row on this page (an empty list, or a page past its end): counted apart, on the
        # first column alone (correlated subqueries in the others would run for every row).
        select = self._query_args["select"]
        counted = select.with_only_columns(select.selected_columns[0]).order_by(None).subquery()
        return int(
            self._query_args["session"].scalar(sa.select(sa.func.count()).select_from(counted))
        )


db = _SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis://… in production).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Figures and page fragments (app/core/cache.py sets the backend from the configuration).
# Its jinja tag is replaced by app.core.cache.FragmentCache (fragments served stale).
cache = Cache(with_jinja2_ext=False)
