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
from flask_sqlalchemy.pagination import Pagination
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


db = _SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis://… in production).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Figures and page fragments (app/core/cache.py sets the backend from the configuration).
cache = Cache()
