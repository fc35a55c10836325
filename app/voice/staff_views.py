"""Staff routes of 市民の声. PLACEHOLDER: the staff-pages helper fills this in."""

from __future__ import annotations

from app.voice import staff_bp  # noqa: F401
