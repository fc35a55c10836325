"""Public routes of surveys. PLACEHOLDER: the citizen-pages helper fills this in."""

from __future__ import annotations

from app.surveys import bp


@bp.get("/")
def index() -> str:
    return ""
