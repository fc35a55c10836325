"""The oversight dashboard of 行政経営課 (initiative 7): per council, the share of public members
and of women against the guidelines' targets, the people over the limits on concurrent
memberships and consecutive terms, and the calls open and closed, in a fixed number of
statements whatever the number of councils."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.core import clock
from app.councils.eligibility import consecutive_terms
from app.councils.models import (
    Council,
    CouncilGuidelines,
    CouncilMember,
    Gender,
    MemberCategory,
    RecruitmentCall,
)
from app.councils.services import get_guidelines, memberships_on
from app.extensions import db


@dataclass
class CouncilRatio:
    council_id: int
    name: str
    department: str
    members: int
    public_members: int
    women: int
    public_target: int
    public_share: float | None  # percent
    women_share: float | None  # percent


@dataclass
class Dashboard:
    day: date
    rows: list[CouncilRatio]
    councils: int
    with_public: int
    members: int
    public_members: int
    women: int
    public_share: float | None
    women_share: float | None
    without_women: list[CouncilRatio]
    over_concurrent: list[tuple[str, int]]
    over_terms: list[tuple[str, str, int]]
    open_calls: list[RecruitmentCall]
    closed_calls: list[RecruitmentCall]
    guidelines: CouncilGuidelines


def percent_of(part: Any, whole: Any) -> sa.ColumnElement[Any]:
    """part / whole as a percentage in SQL, NULL when there is no whole (no members)."""
    return sa.case((whole > 0, 100.0 * part / whole), else_=None)


def over_consecutive_terms(
    day: date, limit: int, person: sa.ColumnElement[Any]
) -> list[tuple[str, str, int]]:
    """(name, council, terms) of people who sit on a council on `day` in a run of more than
    `limit` consecutive terms there (consecutive_terms: a gap of more than 31 days breaks a
    run; terms served before a break do not count). One statement: every term of the people
    seated on `day`, on the councils where they sit; the runs are counted here."""
    seated = (
        sa.select(person.label("person"), CouncilMember.council_id)
        .where(memberships_on(day))
        .distinct()
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            person.label("person"),
            CouncilMember.council_id,
            CouncilMember.name,
            Council.name_ja,
            CouncilMember.appointed_on,
            CouncilMember.term_ends_on,
            CouncilMember.ended_on,
        )
        .join(Council, CouncilMember.council_id == Council.id)
        .join(
            seated,
            sa.and_(seated.c.person == person, seated.c.council_id == CouncilMember.council_id),
        )
        .where(CouncilMember.appointed_on <= day)
    ).mappings()
    runs: dict[tuple[Any, int], list[Any]] = {}
    for row in rows:
        runs.setdefault((row["person"], row["council_id"]), []).append(row)
    result = []
    for terms in runs.values():
        spans = [
            (t["appointed_on"], min(t["term_ends_on"], t["ended_on"] or t["term_ends_on"]))
            for t in terms
        ]
        latest = max(spans, key=lambda span: span[1])
        # The run that ends with the latest term: counted back from the day after it.
        count = consecutive_terms(spans, latest[1] + timedelta(days=1))
        if count > limit:
            result.append((min(t["name"] for t in terms), terms[0]["name_ja"], count))
    return sorted(result)


def dashboard(day: date | None = None) -> Dashboard:
    """The oversight figures for 行政経営課, computed in SQL with GROUP BY on the members who
    hold a seat on `day`. Women share = members recorded as female / all current members."""
    day = day or clock.today()
    guidelines = get_guidelines()
    is_public = sa.case((CouncilMember.category == MemberCategory.PUBLIC, 1), else_=0)
    is_woman = sa.case((CouncilMember.gender == Gender.FEMALE, 1), else_=0)
    current = (
        sa.select(CouncilMember.council_id, CouncilMember.category, CouncilMember.gender)
        .where(memberships_on(day))
        .subquery()
    )
    c_public = sa.case((current.c.category == MemberCategory.PUBLIC, 1), else_=0)
    c_woman = sa.case((current.c.gender == Gender.FEMALE, 1), else_=0)
    members = sa.func.count(current.c.council_id)
    from app.plan.models import Department

    per_council = db.session.execute(
        sa.select(
            Council.id,
            Council.name_ja,
            Council.name_en,
            Department.name_ja,
            Department.name_en,
            Council.public_seat_target,
            members,
            sa.func.coalesce(sa.func.sum(c_public), 0),
            sa.func.coalesce(sa.func.sum(c_woman), 0),
            percent_of(sa.func.sum(c_public), members),
            percent_of(sa.func.sum(c_woman), members),
        )
        .join(Department, Council.department_id == Department.id)
        .outerjoin(current, current.c.council_id == Council.id)
        .group_by(
            Council.id,
            Council.name_ja,
            Council.name_en,
            Department.name_ja,
            Department.name_en,
            Council.public_seat_target,
        )
        .order_by(Council.id)
    ).all()
    from app.core.i18n import current_language

    en = current_language() == "en"
    rows = [
        CouncilRatio(
            council_id=r[0],
            name=(r[2] if en and r[2] else r[1]),
            department=(r[4] if en and r[4] else r[3]),
            public_target=r[5],
            members=int(r[6]),
            public_members=int(r[7]),
            women=int(r[8]),
            public_share=None if r[9] is None else float(r[9]),
            women_share=None if r[10] is None else float(r[10]),
        )
        for r in per_council
    ]
    total = db.session.execute(
        sa.select(
            sa.func.count(CouncilMember.id),
            sa.func.coalesce(sa.func.sum(is_public), 0),
            sa.func.coalesce(sa.func.sum(is_woman), 0),
            percent_of(sa.func.sum(is_public), sa.func.count(CouncilMember.id)),
            percent_of(sa.func.sum(is_woman), sa.func.count(CouncilMember.id)),
        ).where(memberships_on(day))
    ).one()
    person = sa.case(
        (
            CouncilMember.user_id.is_not(None),
            sa.literal("#") + sa.cast(CouncilMember.user_id, sa.String),
        ),
        else_=CouncilMember.name,
    )
    over_concurrent_rows = db.session.execute(
        sa.select(sa.func.min(CouncilMember.name), sa.func.count(CouncilMember.id))
        .where(memberships_on(day))
        .group_by(person)
        .having(sa.func.count(CouncilMember.id) > guidelines.max_concurrent_memberships)
        .order_by(sa.func.min(CouncilMember.name))
    ).all()
    over_terms_rows = over_consecutive_terms(day, guidelines.max_consecutive_terms, person)
    calls = db.session.scalars(
        sa.select(RecruitmentCall)
        .where(RecruitmentCall.published.is_(True))
        .options(selectinload(RecruitmentCall.council))
        .order_by(RecruitmentCall.closes_at.desc())
    ).all()
    now = clock.now()
    return Dashboard(
        day=day,
        rows=rows,
        councils=len(rows),
        with_public=sum(1 for r in rows if r.public_members > 0),
        members=int(total[0]),
        public_members=int(total[1]),
        women=int(total[2]),
        public_share=None if total[3] is None else float(total[3]),
        women_share=None if total[4] is None else float(total[4]),
        without_women=[r for r in rows if r.members and r.women == 0],
        over_concurrent=[(name, int(n)) for name, n in over_concurrent_rows],
        over_terms=[(name, council, int(n)) for name, council, n in over_terms_rows],
        open_calls=[c for c in calls if c.closes_at >= now],
        closed_calls=[c for c in calls if c.closes_at < now],
        guidelines=guidelines,
    )


def dashboard_table(data: Dashboard) -> tuple[list[str], list[list[Any]]]:
    """The dashboard per council as a table (its CSV export): a header and one row per
    council."""
    header = [
        _("Council"),
        _("Department"),
        _("Members"),
        _("Public members"),
        _("Public seat target"),
        _("Public share (%)"),
        _("Women"),
        _("Women share (%)"),
    ]
    rows = [
        [
            row.name,
            row.department,
            row.members,
            row.public_members,
            row.public_target,
            "" if row.public_share is None else round(row.public_share, 1),
            row.women,
            "" if row.women_share is None else round(row.women_share, 1),
        ]
        for row in data.rows
    ]
    return header, rows
