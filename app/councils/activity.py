"""The councils activity kind, the module's manifest (DESIGN.md §3): recruitment calls,
applications, appointments, the public-seat share and meeting observers per initiative, the
calls listed on an initiative's page, the councils short of their public-seat target, the
councils in the API and the demo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from app.core import clock
from app.core.activity import (
    JSON,
    ActivityFilter,
    ActivityKind,
    ActivityRecord,
    ApiList,
    Metric,
    time_left,
)
from app.core.i18n import to_jst
from app.core.urls import public_url
from app.councils.dashboard import percent_of
from app.councils.demo import load_demo
from app.councils.models import (
    Application,
    ApplicationStatus,
    Council,
    CouncilMeeting,
    CouncilMember,
    MemberCategory,
    ObserverRegistration,
    RecruitmentCall,
)
from app.councils.services import councils_initiative_id, memberships_on
from app.extensions import db


def figures(flt: ActivityFilter) -> dict[int, dict[str, float]]:
    """Per initiative: calls, applications, eligible applications, appointments, the
    public-seat share (percent, of current members) of the councils those calls recruit for,
    and the observers of council meetings (observer_figures). Three statements, whatever the
    data."""
    call = RecruitmentCall
    live = sa.and_(Application.id.is_not(None), Application.status != ApplicationStatus.WITHDRAWN)
    eligible = sa.and_(live, Application.status != ApplicationStatus.INELIGIBLE)
    # An appointment is the membership made from an application: at most one per application,
    # so the outer joins do not multiply rows.
    stmt = (
        sa.select(
            call.initiative_id,
            sa.func.count(sa.distinct(call.id)),
            sa.func.sum(sa.case((live, 1), else_=0)),
            sa.func.sum(sa.case((eligible, 1), else_=0)),
            sa.func.count(CouncilMember.id),
        )
        .outerjoin(Application, Application.call_id == call.id)
        .outerjoin(CouncilMember, CouncilMember.application_id == Application.id)
        .where(call.published.is_(True))
        .group_by(call.initiative_id)
    )
    result: dict[int, dict[str, float]] = {}
    for initiative_id, calls, applications, eligible_count, appointments in db.session.execute(
        flt.apply(stmt, call)
    ):
        result[initiative_id] = {
            "calls": calls,
            "applications": int(applications or 0),
            "eligible": int(eligible_count or 0),
            "appointments": appointments,
            "public_share": 0.0,
        }
    councils = (
        flt.apply(
            sa.select(call.initiative_id, call.council_id).where(call.published.is_(True)), call
        )
        .distinct()
        .subquery()
    )
    day = clock.today()
    share = (
        sa.select(
            councils.c.initiative_id,
            percent_of(
                sa.func.sum(sa.case((CouncilMember.category == MemberCategory.PUBLIC, 1), else_=0)),
                sa.func.count(CouncilMember.id),
            ),
        )
        .join(CouncilMember, CouncilMember.council_id == councils.c.council_id)
        .where(memberships_on(day))
        .group_by(councils.c.initiative_id)
    )
    for initiative_id, percent in db.session.execute(share):
        result.setdefault(initiative_id, {})["public_share"] = round(float(percent or 0), 1)
    for initiative_id, observers in observer_figures(flt).items():
        result.setdefault(initiative_id, {})["observers"] = observers
    return result


def observer_figures(flt: ActivityFilter) -> dict[int, int]:
    """{initiative: seats booked and not cancelled} for council meetings, counted in the
    fiscal year of the meeting and for the council's department. Councils serve the whole
    city, so a ward filter leaves none."""
    # Counted under 7, not a call's initiative: a council has no initiative of its own, and a
    # meeting is held for the council, not for one of its calls (whose initiative staff choose).
    initiative_id = councils_initiative_id()
    if initiative_id is None or flt.ward_id is not None:
        return {}
    if flt.initiative_id is not None and flt.initiative_id != initiative_id:
        return {}
    stmt = (
        sa.select(sa.func.count(ObserverRegistration.id))
        .join(CouncilMeeting, ObserverRegistration.meeting_id == CouncilMeeting.id)
        .join(Council, CouncilMeeting.council_id == Council.id)
        .where(ObserverRegistration.cancelled_at.is_(None))
    )
    span = flt.instant_range()
    if span is not None:
        stmt = stmt.where(CouncilMeeting.starts_at >= span[0], CouncilMeeting.starts_at < span[1])
    if flt.department_id is not None:
        stmt = stmt.where(Council.department_id == flt.department_id)
    observers = int(db.session.scalar(stmt) or 0)
    return {initiative_id: observers} if observers else {}


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    calls = db.session.scalars(
        sa.select(RecruitmentCall)
        .where(RecruitmentCall.initiative_id == initiative_id, RecruitmentCall.published.is_(True))
        .options(selectinload(RecruitmentCall.council))
        .order_by(RecruitmentCall.closes_at.desc())
        .limit(limit)
    ).all()
    now = clock.now()
    return [
        ActivityRecord(
            title=f"{c.council.tr('name')}: {c.tr('title')}",
            url=url_for("councils.call", call_id=c.id),
            day=to_jst(c.closes_at).date(),
            status=_("Open")
            if c.is_open(now)
            else (_("Closed") if c.closes_at < now else _("Upcoming")),
        )
        for c in calls
    ]


def open_now(limit: int) -> list[ActivityRecord]:
    """Recruitment calls open for applications now, the soonest to close first (the home
    page): one statement, the council joined."""
    now = clock.now()
    calls = db.session.scalars(
        sa.select(RecruitmentCall)
        .where(
            RecruitmentCall.published.is_(True),
            RecruitmentCall.opens_at <= now,
            RecruitmentCall.closes_at >= now,
        )
        .options(joinedload(RecruitmentCall.council))
        .order_by(RecruitmentCall.closes_at, RecruitmentCall.id)
        .limit(limit)
    ).all()
    return [
        ActivityRecord(
            title=_("%(label)s: %(text)s", label=c.council.tr("name"), text=c.tr("title")),
            url=url_for("councils.call", call_id=c.id),
            day=to_jst(c.closes_at).date(),
            status=time_left(c.closes_at),
        )
        for c in calls
    ]


def under_target(limit: int) -> list[ActivityRecord]:
    """Councils with fewer serving public members than their target (one statement)."""
    today = clock.today()
    public = (
        sa.select(CouncilMember.council_id, sa.func.count().label("n"))
        .where(
            CouncilMember.category == MemberCategory.PUBLIC,
            sa.or_(CouncilMember.ended_on.is_(None), CouncilMember.ended_on > today),
        )
        .group_by(CouncilMember.council_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Council.id, Council.name_ja, Council.public_seat_target, sa.func.coalesce(public.c.n, 0)
        )
        .outerjoin(public, public.c.council_id == Council.id)
        .where(Council.public_seat_target > sa.func.coalesce(public.c.n, 0))
        .order_by(Council.id)
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=name,
            url=url_for("councils_staff.council", council_id=cid),
            status=_("%(have)s of %(target)s public seats filled", have=have, target=target),
        )
        for cid, name, target, have in rows
    ]


# The API: councils with their members counted by category (no names) ------------------------

COUNCIL_SCHEMA: JSON = {
    "type": "object",
    "required": [
        "id",
        "name",
        "department",
        "total_seats",
        "members",
        "members_by_category",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "name": {"$ref": "#/components/schemas/Text"},
        "department": {"type": "string"},
        "total_seats": {"type": "integer"},
        "public_seat_target": {"type": "integer"},
        "members": {"type": "integer"},
        "members_by_category": {"type": "object", "additionalProperties": {"type": "integer"}},
        "url": {"type": "string"},
    },
}


def api_councils() -> sa.Select[Any]:
    return sa.select(Council).order_by(Council.id).options(selectinload(Council.department))


def api_council_items(councils: Sequence[Council]) -> list[JSON]:
    """The page's councils with their serving members by category: one statement."""
    today = clock.today()
    counts: dict[int, dict[str, int]] = {}
    for council_id, category, n in db.session.execute(
        sa.select(CouncilMember.council_id, CouncilMember.category, sa.func.count())
        .where(
            CouncilMember.council_id.in_([council.id for council in councils]),
            sa.or_(CouncilMember.ended_on.is_(None), CouncilMember.ended_on > today),
        )
        .group_by(CouncilMember.council_id, CouncilMember.category)
    ):
        counts.setdefault(council_id, {})[category.value] = n
    items = []
    for council in councils:
        members = counts.get(council.id, {})
        items.append(
            {
                "id": council.id,
                "name": {"ja": council.name_ja, "en": council.name_en or ""},
                "department": council.department.code,
                "total_seats": council.total_seats,
                "public_seat_target": council.public_seat_target,
                "members": sum(members.values()),
                "members_by_category": members,
                "url": public_url("councils.council", council_id=council.id),
            }
        )
    return items


API_COUNCILS = ApiList(
    path="/councils",
    operation_id="listCouncils",
    summary="Councils with members counted by category",
    schema_name="Council",
    schema=COUNCIL_SCHEMA,
    query=api_councils,
    serialize=api_council_items,
)


KIND = ActivityKind(
    key="councils",
    label=_l("Council recruitment"),
    model=RecruitmentCall,
    metrics=[
        Metric("calls", _l("Recruitment calls")),
        Metric("applications", _l("Applications")),
        Metric("eligible", _l("Eligible applications")),
        Metric("appointments", _l("Appointments")),
        Metric("public_share", _l("Public-seat share (%)")),
        Metric("observers", _l("Meeting observers")),
    ],
    figures=figures,
    records=records,
    list_endpoint="councils.index",
    order=30,
    attention=under_target,
    open_now=open_now,
    api=[API_COUNCILS],
    demo=load_demo,
)
