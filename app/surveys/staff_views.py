"""Staff routes of surveys and the panel. PLACEHOLDER."""

from __future__ import annotations

from app.surveys import staff_bp  # noqa: F401
