"""Who may do what with councils and recruitment (DESIGN.md §2).

Staff of a council's department run its council, meetings and calls and see its applicants'
personal data; 行政経営課 (the "councils" coordinator duty) does the same for every council, edits
the guidelines and sees the oversight dashboard. Reviewers see only the calls they are assigned
to, and only receipt numbers and essays.
"""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role, has_duty, has_role, is_staff


def oversees_councils(user: Any) -> bool:
    return has_duty(user, "councils")


def can_manage_council(user: Any, council: Any) -> bool:
    if oversees_councils(user):
        return True
    return is_staff(user) and user.department_id == council.department_id


def can_see_applicants(user: Any, call: Any) -> bool:
    """Applicants' personal data: the council's department and 行政経営課 only."""
    return can_manage_council(user, call.council)


def is_reviewer(user: Any) -> bool:
    return has_role(user, Role.REVIEWER)


def can_review(user: Any, call: Any) -> bool:
    from app.councils.services import is_assigned

    return is_reviewer(user) and is_assigned(user, call.id)
