"""The audit log: every staff change of state writes one entry (who, what, when, before/after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.db import UTCDateTime
from app.extensions import db

# What each action code of the log means, for the audit page (both languages). A code
# missing here is shown as it is; tests/core/test_audit_labels.py finds every code the
# application records and fails on one without a label.
ACTION_LABELS: dict[str, Any] = {
    "login": _l("Logged in"),
    "login.failed": _l("Failed login"),
    "logout": _l("Logged out"),
    "logout.everywhere": _l("Logged out everywhere"),
    "password.change": _l("Password changed"),
    "password.reset": _l("Password reset"),
    "user.register": _l("Account registered"),
    "user.confirm": _l("E-mail address confirmed"),
    "user.create": _l("Account created by an administrator"),
    "user.role": _l("Role changed"),
    "user.update": _l("Account updated"),
    "core.save_disposition": _l("Disposition saved"),
    "plan.record_progress": _l("Progress of an action recorded"),
    "plan.edit_recommendation": _l("Recommendation edited"),
    "plan.edit_initiative": _l("Initiative edited"),
    "plan.edit_action": _l("Action edited"),
    "public_comment.create": _l("Public comment created"),
    "public_comment.update": _l("Public comment updated"),
    "public_comment.add_section": _l("Section added to a draft"),
    "public_comment.update_section": _l("Section of a draft updated"),
    "public_comment.add_material": _l("Material added to a draft"),
    "public_comment.submitted": _l("Draft sent for review"),
    "public_comment.approved": _l("Draft approved"),
    "public_comment.returned": _l("Draft returned"),
    "public_comment.results_submitted": _l("Results sent for review"),
    "public_comment.results_approved": _l("Results approved"),
    "public_comment.results_returned": _l("Results returned"),
    "public_comment.abandoned": _l("Public comment abandoned"),
    "public_comment.enter_comment": _l("Comment entered by staff"),
    "public_comment.redact": _l("Comment redacted"),
    "public_comment.out_of_scope": _l("Comment marked out of scope"),
    "public_comment.save_summary": _l("Summary of opinions saved"),
    "public_comment.assign": _l("Comments matched to a summary"),
    "public_comment.regroup": _l("Comments grouped again"),
    "public_comment.campaign": _l("Group marked as a campaign"),
    "public_comment.split": _l("Group of comments split"),
    "public_comment.confirm": _l("Comment confirmed as part of its group"),
    "public_comment.merge": _l("Groups of comments merged"),
    "consultation_kind.create": _l("Kind of consultation created"),
    "consultation_kind.update": _l("Kind of consultation updated"),
    "venue.create": _l("Venue created"),
    "venue.update": _l("Venue updated"),
    "consultation.create": _l("Consultation created"),
    "consultation.update": _l("Consultation updated"),
    "consultation.advice": _l("Advice on the participation method"),
    "session.schedule": _l("Session scheduled"),
    "session.move": _l("Session moved"),
    "session.cancel": _l("Session cancelled"),
    "session.attendance": _l("Attendance recorded"),
    "registration.cancel": _l("Registration cancelled by staff"),
    "record.save": _l("Session record saved"),
    "record.publish": _l("Session record published"),
    "opinion.add": _l("Opinion added to a record"),
    "opinion.answer": _l("Opinion answered"),
    "councils.guidelines.update": _l("Council guidelines updated"),
    "councils.council.create": _l("Council created"),
    "councils.council.update": _l("Council updated"),
    "councils.member.appoint": _l("Member appointed"),
    "councils.member.end": _l("Member's term ended"),
    "councils.meeting.create": _l("Council meeting created"),
    "councils.meeting.update": _l("Council meeting updated"),
    "councils.meeting.minutes": _l("Minutes published"),
    "councils.call.create": _l("Recruitment call created"),
    "councils.call.update": _l("Recruitment call updated"),
    "councils.call.publish": _l("Recruitment call published"),
    "councils.call.lottery_commit": _l("Lottery pool and seed hash published"),
    "councils.call.lottery": _l("Lottery drawn"),
    "councils.call.select": _l("Applicants selected"),
    "councils.application.withdraw": _l("Application withdrawn"),
    "councils.reviewer.assign": _l("Reviewer assigned to a recruitment call"),
    "councils.review.score": _l("Application scored"),
    "proposals.call.save": _l("Proposal call saved"),
    "proposals.call.publish": _l("Proposal call published"),
    "proposals.theme.add": _l("Theme added to a call"),
    "proposals.draft.save": _l("Proposal draft saved"),
    "proposals.consultation.note": _l("Note of a prior consultation"),
    "proposals.reviewer.assign": _l("Reviewer assigned to a proposal call"),
    "proposals.review.score": _l("Proposal scored"),
    "proposals.review.conflict": _l("Conflict of interest declared"),
    "proposals.presentation": _l("Public presentation recorded"),
    "proposals.report.progress": _l("Progress report on a project"),
    "proposals.report.midterm": _l("Mid-term report on a project"),
    "proposals.evaluation.group": _l("Group's evaluation"),
    "proposals.evaluation.division": _l("Division's evaluation"),
    "proposals.stage.draft": _l("Proposal back to draft"),
    "proposals.stage.consulting": _l("Proposal in prior consultation"),
    "proposals.stage.submitted": _l("Proposal submitted"),
    "proposals.stage.division": _l("Proposal with the division"),
    "proposals.stage.document_review": _l("Proposal in document review"),
    "proposals.stage.presentation": _l("Proposal at the public presentation"),
    "proposals.stage.final_review": _l("Proposal in final review"),
    "proposals.stage.adopted": _l("Proposal adopted"),
    "proposals.stage.rejected": _l("Proposal not adopted"),
    "proposals.stage.agreed": _l("Agreement concluded"),
    "proposals.stage.completed": _l("Project completed"),
    "proposals.stage.evaluated": _l("Project evaluated"),
    "proposals.stage.withdrawn": _l("Proposal withdrawn"),
    "voice.enter": _l("Voice entered by staff"),
    "voice.route": _l("Voice routed to divisions"),
    "voice.duplicate": _l("Voice marked as a duplicate"),
    "voice.repeat": _l("Voice marked as a repeat of the same sender"),
    "voice.classify": _l("Voice classified"),
    "voice.interim": _l("Interim answer sent"),
    "voice.draft_answer": _l("Answer to a voice drafted"),
    "voice.submit_answer": _l("Answer to a voice sent for approval"),
    "voice.return_answer": _l("Answer to a voice returned"),
    "voice.approve_answer": _l("Answer to a voice approved"),
    "voice.follow_up": _l("State of reflection updated"),
    "voice.publish": _l("Voice published"),
    "voice.withdraw": _l("Published voice withdrawn"),
    "voice.template": _l("Answer template saved"),
    "surveys.save": _l("Survey saved"),
    "surveys.question": _l("Question of a survey saved"),
    "surveys.question_move": _l("Question of a survey moved"),
    "surveys.question_remove": _l("Question of a survey removed"),
    "surveys.submit": _l("Survey sent for review"),
    "surveys.approve": _l("Survey approved"),
    "surveys.return": _l("Survey returned"),
    "surveys.abandon": _l("Survey abandoned"),
    "surveys.publish": _l("Results of a survey published"),
    "surveys.afterwards": _l("How a survey's results were used"),
    "surveys.redact": _l("Written answer redacted for publication"),
    "surveys.feedback": _l("Feedback questionnaire offered after a session"),
    "surveys.panel_term": _l("Citizens' panel term created"),
    "surveys.panel_import": _l("Resident list imported for the panel"),
    "surveys.panel_seed": _l("Panel draw's seed published"),
    "surveys.panel_draw": _l("Panel drawn"),
    "surveys.panel_leave": _l("Panel member left"),
    "surveys.panel_replace": _l("Panel member replaced"),
}


def action_label(code: str) -> str:
    """The readable name of an action code in the page's language."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


class AuditEntry(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_id: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))

    actor = relationship("User", lazy="joined")

    @property
    def action_label(self) -> str:
        return action_label(self.action)


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named fields of a model as JSON-safe values, for `before` and `after`."""
    result: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "value"):  # enums
            value = value.value
        result[name] = value
    return result


def record(
    actor: Any,
    action: str,
    obj: Any,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; it commits with the change it describes."""
    if before and after:
        # Keep only what changed, so the log reads as a diff.
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        # None for an event about no stored object (a login attempt for an unknown address).
        object_type=type(obj).__name__ if obj is not None else "-",
        object_id=str(getattr(obj, "id", "") or ""),
        summary=summary[:500],
        before=before,
        after=after,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
