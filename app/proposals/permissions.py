"""Who may do what with collaboration proposals (DESIGN.md §2).

市民協働課 (the "collaboration" coordinator duty) runs the scheme and sees every proposal once
it is shown to the city (a pre-consultation or a submission). A division's staff see only the
proposals addressed to their department, and only once submitted. Reviewers see the calls they
are assigned to, without the representative's personal data. The group (the citizen account
that made the proposal) sees its own, and edits it only until it is submitted.
"""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role, has_duty, has_role, is_staff
from app.proposals.models import EDITABLE_STAGES, Stage


def runs_scheme(user: Any) -> bool:
    return has_duty(user, "collaboration")


def is_reviewer(user: Any) -> bool:
    return has_role(user, Role.REVIEWER)


def owns(user: Any, proposal: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and proposal.user_id == user.id


def can_edit(user: Any, proposal: Any) -> bool:
    return owns(user, proposal) and proposal.stage in EDITABLE_STAGES


def can_see(user: Any, proposal: Any) -> bool:
    """Staff view of a proposal, personal data included."""
    if proposal.stage is Stage.DRAFT:
        return False
    if runs_scheme(user):
        return True
    return (
        is_staff(user)
        and proposal.stage is not Stage.CONSULTING
        and user.department_id == proposal.department_id
    )


def can_review(user: Any, call_id: int) -> bool:
    from app.proposals.services import is_assigned

    return is_reviewer(user) and is_assigned(user, call_id)
