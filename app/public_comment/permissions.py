"""Who may do what with public comment cases (DESIGN.md §2)."""

from __future__ import annotations

from typing import Any

from app.core.permissions import has_duty, is_admin, is_staff

DUTY = "public_comment"


def can_review(user: Any) -> bool:
    """広聴課 reviews schedules, materials and results before they are published."""
    return has_duty(user, DUTY)


def can_manage(user: Any, case: Any) -> bool:
    """The owning division, 広聴課 and admins run a case and see its personal data."""
    if not is_staff(user):
        return False
    return is_admin(user) or can_review(user) or user.department_id == case.department_id


def can_choose_department(user: Any) -> bool:
    return is_admin(user) or can_review(user)
