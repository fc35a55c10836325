"""Who may do what with voices (DESIGN.md §2)."""

from __future__ import annotations

from typing import Any

from app.core.permissions import has_duty, is_admin, is_staff

DUTY = "voice"
MAYOR_OFFICE = "mayor_office"


def is_coordinator(user: Any) -> bool:
    """広聴課 receives every voice, routes it, approves answers and publishes."""
    return has_duty(user, DUTY)


def can_handle(user: Any, voice: Any, routed_department_ids: set[int]) -> bool:
    """広聴課, the divisions a voice is routed to (on a route not ended) and, for a letter to the
    mayor, the mayor's office see it whole, personal data included."""
    if not is_staff(user):
        return False
    return (
        is_coordinator(user)
        or user.department_id in routed_department_ids
        or (voice.to_mayor and is_mayor_office(user))
    )


def is_mayor_office(user: Any) -> bool:
    """The mayor's office reads the letters to the mayor and approves their answers."""
    return not is_admin(user) and has_duty(user, MAYOR_OFFICE)


def can_approve(user: Any, voice: Any) -> bool:
    """An answer is approved by 広聴課; a letter to the mayor's by the mayor's office, or by
    広聴課 where no department carries that duty."""
    if is_admin(user):
        return True
    if voice.to_mayor and _mayor_office_exists():
        return has_duty(user, MAYOR_OFFICE)
    return is_coordinator(user)


def _mayor_office_exists() -> bool:
    import sqlalchemy as sa
    from flask import current_app

    from app.extensions import db
    from app.plan.models import Department

    code = current_app.config["COORDINATOR_DEPARTMENTS"].get(MAYOR_OFFICE)
    return (
        bool(code)
        and db.session.scalar(
            sa.select(sa.func.count()).select_from(Department).where(Department.code == code)
        )
        > 0
    )
