"""The collaboration proposals activity kind (the module's manifest, DESIGN.md §3): proposals
submitted, adopted, carried out and evaluated per initiative, the city's contribution, the
adopted projects listed on an initiative's page, and the proposals waiting on the city."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.activity import ActivityFilter, ActivityKind, ActivityRecord, Metric
from app.core.i18n import to_jst
from app.extensions import db
from app.proposals.models import ADOPTED_STAGES, CARRIED_OUT_STAGES, Proposal, Stage


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
)
