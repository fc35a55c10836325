"""Read-only JSON API (`/api/v1`). Never carries personal data."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import views  # noqa: E402,F401
