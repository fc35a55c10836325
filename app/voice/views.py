"""Public routes of 市民の声. PLACEHOLDER: the citizen-pages helper fills this in."""

from __future__ import annotations

from app.voice import bp


@bp.get("/")
def index() -> str:
    return ""
