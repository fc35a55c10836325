"""Who may do what with surveys and the panel (DESIGN.md §2)."""

from __future__ import annotations

from typing import Any

from app.core.permissions import has_duty, is_admin, is_staff

DUTY = "surveys"


def is_coordinator(user: Any) -> bool:
    """広聴課 approves surveys before they open and runs the citizens' panel."""
    return has_duty(user, DUTY)


def can_manage(user: Any, survey: Any) -> bool:
    """The owning division, 広聴課 and admins draft and run a survey and read its answers."""
    if not is_staff(user):
        return False
    return is_admin(user) or is_coordinator(user) or user.department_id == survey.department_id
