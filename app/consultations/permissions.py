"""Who may do what with consultations."""

from __future__ import annotations

from typing import Any

from app.core.permissions import has_duty, is_admin, is_staff


def can_manage(user: Any, department_id: int) -> bool:
    """Staff run their own department's consultations; admins run all of them."""
    if is_admin(user):
        return True
    return is_staff(user) and user.department_id == department_id


def can_advise(user: Any) -> bool:
    """Advice on the participation method is 市民協働課's duty (initiative 6)."""
    return has_duty(user, "collaboration")


def can_see_personal_data(user: Any, department_id: int) -> bool:
    """Registrants' names and contacts: the owning department only (DESIGN.md §2)."""
    return can_manage(user, department_id)
