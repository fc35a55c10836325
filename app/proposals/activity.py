"""The collaboration proposals activity kind (the module's manifest, DESIGN.md §3): proposals
submitted, adopted, carried out and evaluated per initiative, the city's contribution, the
adopted projects listed on an initiative's page, the proposals waiting on the city, the
adopted projects in the API and the demo."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.activity import (
    JSON,
    ActivityFilter,
    ActivityKind,
    ActivityRecord,
    ApiList,
    Metric,
    each,
    time_left,
)
from app.core.i18n import format_date, to_jst
from app.core.urls import public_url
from app.extensions import db
from app.proposals.demo import load_demo
from app.proposals.models import (
    ADOPTED_STAGES,
    CARRIED_OUT_STAGES,
    Proposal,
    ProposalCall,
    Stage,
)


def figures(flt: ActivityFilter) -> dict[int, dict[str, float]]:
    """Per initiative: proposals submitted, adopted, carried out and evaluated, and the city's
    contribution under concluded agreements. One statement, whatever the data."""
    stage = Proposal.stage

    def count(condition: Any) -> Any:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    stmt = (
        sa.select(
            Proposal.initiative_id,
            sa.func.count(Proposal.id),
            count(stage.in_(ADOPTED_STAGES)),
            count(stage.in_(CARRIED_OUT_STAGES)),
            count(stage == Stage.EVALUATED),
            sa.func.sum(
                sa.case((stage.in_(CARRIED_OUT_STAGES), Proposal.agreement_budget), else_=0)
            ),
        )
        .where(Proposal.submitted_at.is_not(None))
        .group_by(Proposal.initiative_id)
    )
    return {
        initiative_id: {
            "submitted": submitted,
            "adopted": int(adopted or 0),
            "carried_out": int(carried or 0),
            "evaluated": int(evaluated or 0),
            "contribution": int(contribution or 0),
        }
        for initiative_id, submitted, adopted, carried, evaluated, contribution in (
            db.session.execute(flt.apply(stmt, Proposal))
        )
    }


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    rows = db.session.execute(
        sa.select(
            Proposal.id, Proposal.title, Proposal.group_name, Proposal.stage, Proposal.decided_at
        )
        .where(Proposal.initiative_id == initiative_id, Proposal.stage.in_(ADOPTED_STAGES))
        .order_by(Proposal.decided_at.desc(), Proposal.id.desc())
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=f"{group}: {title}",
            url=url_for("proposals.project", proposal_id=pid),
            day=to_jst(decided).date() if decided else None,
            status=stage.label,
        )
        for pid, title, group, stage, decided in rows
    ]


def open_now(limit: int) -> list[ActivityRecord]:
    """Calls taking proposals, or pre-consultation (事前相談) on them, now, the soonest to close
    first (the home page): one statement."""
    now = clock.now()
    submitting = sa.and_(ProposalCall.opens_at <= now, ProposalCall.closes_at >= now)
    consulting = sa.and_(
        ProposalCall.consultation_opens_at <= now, ProposalCall.consultation_closes_at >= now
    )
    calls = db.session.scalars(
        sa.select(ProposalCall)
        .where(ProposalCall.published.is_(True), sa.or_(submitting, consulting))
        .order_by(ProposalCall.closes_at, ProposalCall.id)
        .limit(limit)
    ).all()
    return [
        ActivityRecord(
            title=c.tr("title"),
            url=url_for("proposals.call", call_id=c.id),
            day=to_jst(c.closes_at).date(),
            status=time_left(c.closes_at)
            if c.is_open(now)
            else _(
                "Pre-consultation until %(date)s.",
                date=format_date(to_jst(c.consultation_closes_at).date()),
            ),
        )
        for c in calls
    ]


def waiting(limit: int) -> list[ActivityRecord]:
    """Proposals waiting on the city: an eligibility check, a division's opinion, a note on a
    pre-consultation or the division's evaluation (one statement)."""
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.title, Proposal.stage)
        .where(
            sa.or_(
                Proposal.stage.in_([Stage.SUBMITTED, Stage.DIVISION]),
                sa.and_(Proposal.stage == Stage.CONSULTING, Proposal.consultation_note == ""),
                sa.and_(Proposal.stage == Stage.COMPLETED, Proposal.division_evaluation == ""),
            )
        )
        .order_by(Proposal.id)
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=title,
            url=url_for("proposals_staff.proposal", proposal_id=pid),
            status=_("Waiting on the city: %(stage)s", stage=stage.label),
        )
        for pid, title, stage in rows
    ]


# The API: adopted projects, the group's name and the project, never its people ---------------

PROJECT_SCHEMA: JSON = {
    "type": "object",
    "required": ["id", "title", "group", "department", "initiative", "fiscal_year", "stage", "url"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "group": {"type": "string"},
        "department": {"type": "string"},
        "initiative": {"type": "integer"},
        "fiscal_year": {"type": "integer"},
        "stage": {"type": "string", "enum": ["adopted", "agreed", "completed", "evaluated"]},
        "adopted_on": {"type": ["string", "null"], "format": "date"},
        "city_contribution": {"type": ["integer", "null"]},
        "url": {"type": "string"},
    },
}


def api_projects() -> sa.Select[Any]:
    return (
        sa.select(Proposal)
        .where(Proposal.stage.in_(ADOPTED_STAGES))
        .order_by(Proposal.id)
        .options(selectinload(Proposal.department), selectinload(Proposal.initiative))
    )


def api_project(proposal: Proposal) -> JSON:
    return {
        "id": proposal.id,
        "title": proposal.title,
        "group": proposal.group_name,
        "department": proposal.department.code,
        "initiative": proposal.initiative.number,
        "fiscal_year": proposal.fiscal_year,
        "stage": proposal.stage.value,
        "adopted_on": to_jst(proposal.decided_at).date().isoformat()
        if proposal.decided_at
        else None,
        "city_contribution": proposal.agreement_budget,
        "url": public_url("proposals.project", proposal_id=proposal.id),
    }


API_PROJECTS = ApiList(
    path="/proposals",
    operation_id="listProjects",
    summary="Adopted collaboration projects (no personal data)",
    schema_name="Project",
    schema=PROJECT_SCHEMA,
    query=api_projects,
    serialize=each(api_project),
)


KIND = ActivityKind(
    key="proposals",
    label=_l("Collaboration proposals"),
    model=Proposal,
    metrics=[
        Metric("submitted", _l("Proposals submitted")),
        Metric("adopted", _l("Adopted")),
        Metric("carried_out", _l("Carried out")),
        Metric("evaluated", _l("Evaluated")),
        Metric("contribution", _l("City contribution (yen)")),
    ],
    figures=figures,
    records=records,
    list_endpoint="proposals.index",
    order=40,
    attention=waiting,
    open_now=open_now,
    api=[API_PROJECTS],
    demo=load_demo,
)
