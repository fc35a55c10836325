"""Who may do what with the response table."""

from __future__ import annotations

from typing import Any

from app.core.permissions import is_admin


def can_edit_plan(user: Any) -> bool:
    """Texts, moving initiatives and action progress are the admins' (DESIGN.md §2)."""
    return is_admin(user)
