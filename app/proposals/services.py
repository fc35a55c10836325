"""Every change to calls and proposals (DESIGN.md §3): views, the CLI, demo data and tests call
these. Each change of stage is checked here (not only in the views), audited, and recorded as a
ProposalEvent the group sees with its date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.core import audit, clock, reviewers
from app.core.activity import ActivityFilter
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.i18n import (
    current_language,
    fiscal_year,
    format_date,
    format_datetime,
    join_list,
    to_jst,
)
from app.core.mail import queue_mail
from app.core.receipts import format_receipt, next_receipt_number
from app.core.urls import public_url
from app.extensions import db
from app.plan import services as plan_services
from app.proposals.models import (
    ADOPTED_STAGES,
    ELIGIBILITY_LABELS,
    EXCLUSION_LABELS,
    POINTS_MAX,
    ROUND_STAGE,
    UNDER_REVIEW_STAGES,
    BudgetLine,
    CallTheme,
    ProgressReport,
    Proposal,
    ProposalCall,
    ProposalEvent,
    ProposalReviewer,
    ProposalScore,
    ReportKind,
    Round,
    Stage,
)

CALL_FIELDS = [
    "title_ja",
    "title_en",
    "call_type",
    "opens_at",
    "closes_at",
    "consultation_opens_at",
    "consultation_closes_at",
    "max_contribution",
    "initiative_id",
    "department_id",
    "published",
]
COLLABORATION_INITIATIVE = 17


class ProposalError(DomainError):
    """A request the proposal rules refuse (core.domain.DomainError)."""


def collaboration_initiative_id() -> int:
    """Initiative 17 (協働提案制度の研究、構築) of the current plan: a new call's default."""
    return plan_services.default_initiative_id(COLLABORATION_INITIATIVE, ProposalError)


# Calls ------------------------------------------------------------------------------------


def check_criteria(criteria: Sequence[dict[str, Any]]) -> None:
    if not criteria:
        raise ProposalError(_("Give at least one review criterion."), "criteria")
    if any(int(c["weight"]) <= 0 for c in criteria):
        raise ProposalError(_("Every criterion needs a weight above zero."), "criteria")
    total = sum(int(c["weight"]) for c in criteria)
    if total != 100:
        raise ProposalError(
            _("The weights add up to %(total)s; they must add up to 100.", total=total),
            "criteria",
        )


def save_call(actor: Any, call: ProposalCall | None, **values: Any) -> ProposalCall:
    if values["closes_at"] <= values["opens_at"]:
        raise ProposalError(_("Submissions must close after they open."), "closes_date")
    opens, closes = values.get("consultation_opens_at"), values.get("consultation_closes_at")
    if (opens is None) != (closes is None):
        raise ProposalError(
            _("Give both dates of the pre-consultation window, or neither."),
            "consultation_closes_date",
        )
    if opens and closes and closes <= opens:
        raise ProposalError(
            _("The pre-consultation must close after it opens."), "consultation_closes_date"
        )
    if "criteria" in values:
        check_criteria(values["criteria"])
    if (
        call is not None
        and "criteria" in values
        and values["criteria"] != call.criteria
        and _scored(call.id)
    ):
        raise ProposalError(
            _("Reviewers have started scoring: the criteria can no longer change."), "criteria"
        )
    before = audit.snapshot(call, CALL_FIELDS) if call is not None else None
    if call is None:
        call = ProposalCall(created_by_id=getattr(actor, "id", None))
        db.session.add(call)
    for name, value in values.items():
        setattr(call, name, value)
    call.fiscal_year = fiscal_year(values["opens_at"])
    db.session.flush()
    audit.record(
        actor,
        "proposals.call.save",
        call,
        f"Call {call.title_ja} saved",
        before=before,
        after=audit.snapshot(call, CALL_FIELDS),
    )
    db.session.commit()
    return call


def _scored(call_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(ProposalScore.id)
            .join(Proposal, ProposalScore.proposal_id == Proposal.id)
            .where(Proposal.call_id == call_id)
            .limit(1)
        )
        is not None
    )


def publish_call(actor: Any, call: ProposalCall) -> None:
    call.published = True
    audit.record(actor, "proposals.call.publish", call, f"Call {call.title_ja} published")
    db.session.commit()


def add_theme(actor: Any, call: ProposalCall, **values: Any) -> CallTheme:
    theme = CallTheme(call_id=call.id, **values)
    db.session.add(theme)
    db.session.flush()
    audit.record(actor, "proposals.theme.add", theme, f"Theme {theme.title_ja} added")
    db.session.commit()
    return theme


def public_calls() -> list[ProposalCall]:
    return list(
        db.session.scalars(
            sa.select(ProposalCall)
            .where(ProposalCall.published.is_(True))
            .options(selectinload(ProposalCall.themes))
            .order_by(ProposalCall.closes_at.desc())
        )
    )


# The group's proposal ---------------------------------------------------------------------


@dataclass
class BudgetEntry:
    item: str
    amount: int
    city_share: int
    row: int = 0  # the form's row number, so a message names the row the group sees


def check_budget(call: ProposalCall, lines: Sequence[BudgetEntry]) -> None:
    if not lines:
        raise ProposalError(_("Give at least one budget line."), "budget")
    for position, line in enumerate(lines, start=1):
        position = line.row or position
        if line.amount < 0 or line.city_share < 0:
            raise ProposalError(_("Line %(n)s: amounts cannot be negative.", n=position), "budget")
        if line.city_share > line.amount:
            raise ProposalError(
                _("Line %(n)s: the city's share cannot exceed the line's cost.", n=position),
                "budget",
            )
    share = sum(line.city_share for line in lines)
    if share > call.max_contribution:
        raise ProposalError(
            _(
                "The city's share comes to ¥%(share)s; this call pays at most ¥%(max)s per "
                "project.",
                share=f"{share:,}",
                max=f"{call.max_contribution:,}",
            ),
            "budget",
        )


def _department_for(call: ProposalCall, values: dict[str, Any]) -> int:
    """In a 行政提案型 call the division is the theme's; otherwise the group names it."""
    theme_id = values.get("theme_id")
    if theme_id:
        theme = db.session.get(CallTheme, theme_id)
        if theme is None or theme.call_id != call.id:
            raise ProposalError(_("Choose one of this call's themes."), "theme_id")
        return theme.department_id
    if call.themes:
        raise ProposalError(_("Choose one of this call's themes."), "theme_id")
    if not values.get("department_id"):
        raise ProposalError(_("Choose the division you want to work with."), "department_id")
    return int(values["department_id"])


def draft_errors(
    call: ProposalCall, budget: Sequence[BudgetEntry], values: dict[str, Any]
) -> list[ProposalError]:
    """Every rule save_draft applies before it saves, each as its own error, so the form can
    report them with its own on one submit instead of one more per attempt. Budget lines the
    form found incomplete are left to the form's messages."""
    errors = []
    if all(line.amount is not None and line.city_share is not None for line in budget):
        try:
            check_budget(call, budget)
        except ProposalError as error:
            errors.append(error)
    try:
        _department_for(call, values)
    except ProposalError as error:
        errors.append(error)
    return errors


def save_draft(
    user: Any,
    call: ProposalCall,
    proposal: Proposal | None,
    budget: Sequence[BudgetEntry],
    attachment: Any = None,
    **values: Any,
) -> Proposal:
    """Keep the group's work: a new draft, or changes to one not yet submitted."""
    now = clock.now()
    if not call.accepts_drafts(now):
        raise ProposalError(_("This call is closed."))
    if proposal is not None and proposal.stage not in (Stage.DRAFT, Stage.CONSULTING):
        raise ProposalError(_("A submitted proposal can no longer be changed."))
    check_budget(call, budget)
    values["department_id"] = _department_for(call, values)
    values.setdefault("initiative_id", call.initiative_id)
    if proposal is None:
        proposal = Proposal(
            call_id=call.id, user_id=user.id, stage=Stage.DRAFT, fiscal_year=call.fiscal_year
        )
        db.session.add(proposal)
    for name, value in values.items():
        setattr(proposal, name, value)
    proposal.budget_lines = [
        BudgetLine(position=i, item=b.item, amount=b.amount, city_share=b.city_share)
        for i, b in enumerate(budget)
    ]
    if attachment is not None:
        from app.core.uploads import UploadError, save_upload

        try:
            stored = save_upload(attachment, uploaded_by_id=user.id)
        except UploadError as error:
            db.session.rollback()
            raise ProposalError(str(error), "attachment") from error
        db.session.flush()
        proposal.attachment_id = stored.id
    db.session.flush()
    audit.record(user, "proposals.draft.save", proposal, f"Draft {proposal.title} saved")
    db.session.commit()
    return proposal


def _event(actor: Any, proposal: Proposal, stage: Stage, note: str = "") -> None:
    before = proposal.stage
    proposal.stage = stage
    db.session.add(
        ProposalEvent(
            proposal_id=proposal.id, stage=stage, note=note, actor_id=getattr(actor, "id", None)
        )
    )
    audit.record(
        actor,
        f"proposals.stage.{stage.value}",
        proposal,
        f"Proposal {proposal.id} {before.value} -> {stage.value}",
        before={"stage": before.value},
        after={"stage": stage.value},
    )


def _expect(proposal: Proposal, *stages: Stage) -> None:
    if proposal.stage not in stages:
        raise ProposalError(
            _("This cannot be done at the stage “%(stage)s”.", stage=proposal.stage.label)
        )


def _lock(proposal_id: int) -> Proposal:
    """Stage changes are read-then-write: serialise them on the proposal's row."""
    begin_write()
    proposal = db.session.scalar(
        sa.select(Proposal).where(Proposal.id == proposal_id).with_for_update()
    )
    if proposal is None:
        db.session.rollback()
        raise ProposalError(_("There is no such proposal."))
    return proposal


def request_consultation(user: Any, proposal_id: int) -> Proposal:
    proposal = _lock(proposal_id)
    try:
        _expect(proposal, Stage.DRAFT)
        if not proposal.call.consultation_open(clock.now()):
            raise ProposalError(_("Pre-consultation is not open for this call."))
    except ProposalError:
        db.session.rollback()
        raise
    _event(user, proposal, Stage.CONSULTING)
    db.session.commit()
    return proposal


def record_consultation_note(actor: Any, proposal: Proposal, note: str) -> None:
    _expect(proposal, Stage.CONSULTING)
    proposal.consultation_note = note
    db.session.add(
        ProposalEvent(
            proposal_id=proposal.id,
            stage=Stage.CONSULTING,
            note=note,
            actor_id=getattr(actor, "id", None),
        )
    )
    audit.record(actor, "proposals.consultation.note", proposal, f"Note on {proposal.id}")
    db.session.commit()


def missing_declarations(proposal: Proposal) -> list[str]:
    return [key for key in ELIGIBILITY_LABELS if key not in proposal.eligibility] + [
        key for key in EXCLUSION_LABELS if key not in proposal.declarations
    ]


def submit(user: Any, proposal_id: int) -> Proposal:
    """Submit inside the window: the proposal gets its receipt number and is frozen."""
    proposal = _lock(proposal_id)
    try:
        if proposal.user_id != user.id:
            raise ProposalError(_("There is no such proposal."))
        _expect(proposal, Stage.DRAFT, Stage.CONSULTING)
        call = proposal.call
        now = clock.now()
        if not call.is_open(now):
            if now < call.opens_at:
                raise ProposalError(
                    _("Submissions open at %(when)s.", when=format_datetime(call.opens_at)),
                    "window",
                )
            raise ProposalError(
                _("Submissions closed at %(when)s.", when=format_datetime(call.closes_at)), "window"
            )
        if missing_declarations(proposal):
            raise ProposalError(
                _("Confirm every eligibility condition and every declaration before submitting."),
                "declarations",
            )
        check_budget(
            call, [BudgetEntry(b.item, b.amount, b.city_share) for b in proposal.budget_lines]
        )
    except ProposalError:
        db.session.rollback()
        raise
    number = next_receipt_number(f"proposal-call:{call.id}")
    proposal.number = number
    proposal.receipt_number = format_receipt(call.receipt_prefix, number)
    proposal.submitted_at = now
    _event(user, proposal, Stage.SUBMITTED)
    _mail_group(proposal, "received")
    db.session.commit()
    return proposal


def withdraw(user: Any, proposal_id: int, reason: str) -> None:
    proposal = _lock(proposal_id)
    if proposal.user_id != user.id or proposal.stage not in (
        {Stage.DRAFT, Stage.CONSULTING} | UNDER_REVIEW_STAGES
    ):
        db.session.rollback()
        raise ProposalError(_("This proposal can no longer be withdrawn."))
    proposal.withdrawn_at = clock.now()
    proposal.withdrawn_reason = reason
    _event(user, proposal, Stage.WITHDRAWN, reason)
    db.session.commit()


def _mail_group(proposal: Proposal, kind: str) -> None:
    language = getattr(proposal.user, "language", None) or "ja"
    with force_locale(language):
        link = public_url("proposals.mine", proposal_id=proposal.id)
        if kind == "received":
            subject = _("Proposal received: %(number)s", number=proposal.receipt_number)
        else:
            subject = _("Your proposal has moved on: %(stage)s", stage=proposal.stage.label)
        body = render_template(f"proposals/mail/{kind}.txt", proposal=proposal, link=link)
        queue_mail(proposal.email, subject, body)


# The review -------------------------------------------------------------------------------


def forward_to_division(actor: Any, proposal: Proposal, eligible: bool, note: str) -> None:
    """市民協働課 checks the declared eligibility, then sends the proposal to the division."""
    _expect(proposal, Stage.SUBMITTED)
    if eligible:
        proposal.eligibility_checked_at = clock.now()
        _event(actor, proposal, Stage.DIVISION, note)
    else:
        if not note:
            raise ProposalError(_("Give the reason the group is not eligible."), "note")
        proposal.decision_reason = note
        proposal.decided_at = clock.now()
        _event(actor, proposal, Stage.REJECTED, note)
    _mail_group(proposal, "stage")
    db.session.commit()


def record_division_opinion(actor: Any, proposal: Proposal, feasible: bool, opinion: str) -> None:
    """担当課協議: the division's opinion on feasibility; the proposal goes to document review."""
    _expect(proposal, Stage.DIVISION)
    proposal.division_feasible = feasible
    proposal.division_opinion = opinion
    _event(actor, proposal, Stage.DOCUMENT_REVIEW)
    _mail_group(proposal, "stage")
    db.session.commit()


def assign_reviewer(actor: Any, call: ProposalCall, reviewer: Any) -> ProposalReviewer:
    assignment, new = reviewers.assign(ProposalReviewer, call.id, reviewer.id)
    if not new:
        return assignment
    audit.record(actor, "proposals.reviewer.assign", assignment, f"reviewer for call {call.id}")
    db.session.commit()
    return assignment


def is_assigned(reviewer: Any, call_id: int) -> bool:
    return reviewers.is_assigned(ProposalReviewer, reviewer.id, call_id)


def weighted_total(criteria: Sequence[dict[str, Any]], points: Sequence[int]) -> float:
    return round(
        sum(int(c["weight"]) * p / POINTS_MAX for c, p in zip(criteria, points, strict=True)), 1
    )


def own_score(reviewer: Any, proposal: Proposal, round_: Round) -> ProposalScore | None:
    return db.session.scalar(
        sa.select(ProposalScore).where(
            ProposalScore.proposal_id == proposal.id,
            ProposalScore.reviewer_id == reviewer.id,
            ProposalScore.round == round_,
        )
    )


def record_score(
    reviewer: Any,
    proposal: Proposal,
    round_: Round,
    points: Sequence[int],
    conflict: bool = False,
    comment: str = "",
) -> ProposalScore:
    """A reviewer's scores, once per round; a declared conflict of interest scores nothing.
    Scores are final once given, so nobody adjusts theirs after seeing the others'."""
    if not is_assigned(reviewer, proposal.call_id):
        raise ProposalError(_("You are not a reviewer of this call."))
    if proposal.stage is not ROUND_STAGE[round_]:
        raise ProposalError(_("This proposal is not in this round of review."))
    if own_score(reviewer, proposal, round_) is not None:
        raise ProposalError(_("You have already scored this proposal in this round."))
    criteria = proposal.call.criteria
    if not conflict and (
        len(points) != len(criteria) or any(not 0 <= p <= POINTS_MAX for p in points)
    ):
        raise ProposalError(
            _("Give every criterion a score from 0 to %(max)s.", max=POINTS_MAX), "points"
        )
    score = ProposalScore(
        proposal_id=proposal.id,
        reviewer_id=reviewer.id,
        round=round_,
        conflict=conflict,
        points=[] if conflict else list(points),
        total=None if conflict else weighted_total(criteria, points),
        comment=comment,
    )
    db.session.add(score)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:  # a double submission from two tabs
        db.session.rollback()
        raise ProposalError(_("You have already scored this proposal in this round.")) from error
    audit.record(
        reviewer,
        "proposals.review.conflict" if conflict else "proposals.review.score",
        score,
        f"{round_.value} review of proposal {proposal.id}",
    )
    db.session.commit()
    return score


def scores_for(proposal: Proposal, round_: Round) -> list[ProposalScore]:
    return list(
        db.session.scalars(
            sa.select(ProposalScore)
            .where(ProposalScore.proposal_id == proposal.id, ProposalScore.round == round_)
            .order_by(ProposalScore.id)
        )
    )


@dataclass(frozen=True)
class Ranked:
    proposal: Proposal
    average: float | None
    reviewers: int


def ranking(call: ProposalCall, round_: Round) -> list[Ranked]:
    """Proposals of a call by average weighted total in a round (two statements)."""
    averages = dict(
        (pid, (avg, n))
        for pid, avg, n in db.session.execute(
            sa.select(
                ProposalScore.proposal_id,
                sa.func.avg(ProposalScore.total),
                sa.func.count(ProposalScore.total),
            )
            .join(Proposal, ProposalScore.proposal_id == Proposal.id)
            .where(Proposal.call_id == call.id, ProposalScore.round == round_)
            .group_by(ProposalScore.proposal_id)
        )
    )
    proposals = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.call_id == call.id, Proposal.submitted_at.is_not(None))
        .order_by(Proposal.number)
    ).all()
    ranked = [
        Ranked(
            p,
            round(float(averages[p.id][0]), 1) if p.id in averages and averages[p.id][0] else None,
            averages.get(p.id, (None, 0))[1],
        )
        for p in proposals
    ]
    return sorted(ranked, key=lambda r: (r.average is None, -(r.average or 0), r.proposal.number))


def document_result(actor: Any, proposal: Proposal, passed: bool, reason: str) -> None:
    """一次審査 over: through to the public presentation, or not adopted with the reason."""
    _expect(proposal, Stage.DOCUMENT_REVIEW)
    if passed:
        _event(actor, proposal, Stage.PRESENTATION, reason)
    else:
        _reject(actor, proposal, reason)
    _mail_group(proposal, "stage")
    db.session.commit()


def _reject(actor: Any, proposal: Proposal, reason: str) -> None:
    if not reason:
        raise ProposalError(_("Give the reason, to be published with the result."), "reason")
    proposal.decision_reason = reason
    proposal.decided_at = clock.now()
    _event(actor, proposal, Stage.REJECTED, reason)


def schedule_presentation(actor: Any, call: ProposalCall, **values: Any) -> Any:
    """The public presentation (公開プレゼンテーション) is a consultations session: citizens find
    it in the calendar and register for it like any other gathering. The call's sessions are in
    one consultation, made with the first and linked to the call by id."""
    from app.consultations import services as consultations
    from app.consultations.models import ConsultationKind

    if values["starts_at"] <= call.closes_at:
        # The groups present what they submitted: the presentation follows the closing.
        raise ProposalError(
            _(
                "The presentation must come after submissions close (%(when)s).",
                when=format_datetime(call.closes_at),
            ),
            "date",
        )
    programme = call.presentation_consultation
    if programme is None:
        consultations.ensure_default_kinds()
        kind_id = db.session.scalar(
            sa.select(ConsultationKind.id).where(ConsultationKind.code == "presentation")
        )
        programme = consultations.create_consultation(
            actor,
            kind_id=kind_id,
            title_ja=f"{call.title_ja} 公開プレゼンテーション",
            title_en=f"{call.title_en or call.title_ja}: public presentation",
            purpose_ja="協働提案の公開プレゼンテーションと最終審査。どなたでも傍聴できます。",
            purpose_en=(
                "Groups present their collaboration proposals before the final review. "
                "Anyone may attend."
            ),
            initiative_id=call.initiative_id,
            department_id=call.department_id,
        )
        # Linked at once: a session refused below is scheduled again in the same programme.
        call = db.session.get(ProposalCall, call.id)
        call.presentation_consultation_id = programme.id
        db.session.commit()
    try:
        session = consultations.schedule_session(actor, programme, **values)
    except consultations.ConsultationError as error:
        raise ProposalError(str(error), error.field) from error
    call = db.session.get(ProposalCall, call.id)
    call.presentation_session_id = session.id
    audit.record(actor, "proposals.presentation", call, f"Presentation for call {call.id}")
    db.session.commit()
    return session


def presentation_not_held(call: ProposalCall, now: datetime) -> str | None:
    """Why the public presentation cannot count as held yet, or None once it has ended: the
    final review and the adoption rest on what the committee saw there."""
    session = call.presentation
    if session is None or session.cancelled_at is not None:
        return _("The public presentation has not been scheduled.")
    if session.ends_at > now:
        return _(
            "The public presentation has not been held yet: it is scheduled for %(when)s.",
            when=format_datetime(session.starts_at),
        )
    return None


def unscored_reviewers(proposal: Proposal) -> list[str]:
    """Names of the call's reviewers who have neither scored the proposal in the final review
    nor declared a conflict of interest (one statement)."""
    from app.accounts.models import User

    answered = sa.select(ProposalScore.reviewer_id).where(
        ProposalScore.proposal_id == proposal.id, ProposalScore.round == Round.FINAL
    )
    return list(
        db.session.scalars(
            sa.select(User.display_name)
            .join(ProposalReviewer, ProposalReviewer.reviewer_id == User.id)
            .where(
                ProposalReviewer.call_id == proposal.call_id,
                ProposalReviewer.reviewer_id.not_in(answered),
            )
            .order_by(ProposalReviewer.id)
        )
    )


def adoption_blockers(proposal: Proposal, now: datetime) -> list[str]:
    """What still stands between a proposal in the final review and its adoption, each said
    plainly: the staff page lists them, and `decide` refuses while any remains. Adopting
    while the call is open would judge a proposal before its rivals can still arrive."""
    call = proposal.call
    blockers = []
    if now <= call.closes_at:
        blockers.append(
            _(
                "Submissions to the call are open until %(when)s.",
                when=format_datetime(call.closes_at),
            )
        )
    held = presentation_not_held(call, now)
    if held:
        blockers.append(held)
    missing = unscored_reviewers(proposal)
    if missing:
        blockers.append(
            _(
                "Reviewers who have neither scored the final review nor declared a conflict of "
                "interest: %(names)s.",
                names=join_list(missing),
            )
        )
    elif not any(s.total is not None for s in scores_for(proposal, Round.FINAL)):
        blockers.append(_("No reviewer has scored this proposal in the final review."))
    return blockers


def open_final_review(actor: Any, proposal: Proposal) -> None:
    _expect(proposal, Stage.PRESENTATION)
    held = presentation_not_held(proposal.call, clock.now())
    if held:
        raise ProposalError(held)
    _event(actor, proposal, Stage.FINAL_REVIEW)
    db.session.commit()


def decide(actor: Any, proposal: Proposal, adopted: bool, reason: str) -> None:
    """採択 or 不採択, with the reason that is published. Not adopting needs no wait (a group
    may be told early); adopting waits for every step the scheme promises the groups."""
    _expect(proposal, Stage.FINAL_REVIEW)
    if adopted:
        blockers = adoption_blockers(proposal, clock.now())
        if blockers:
            # Japanese sentences follow one another without a space.
            sep = "" if current_language() == "ja" else " "
            raise ProposalError(
                sep.join([_("The proposal cannot be adopted yet."), *blockers]), "outcome"
            )
        proposal.decision_reason = reason
        proposal.decided_at = clock.now()
        _event(actor, proposal, Stage.ADOPTED, reason)
    else:
        _reject(actor, proposal, reason)
    _mail_group(proposal, "stage")
    db.session.commit()


def conclude_agreement(
    actor: Any, proposal: Proposal, agreed_on: date, roles: str, budget: int
) -> None:
    """協定: the date, the roles each side takes on and the city's contribution."""
    _expect(proposal, Stage.ADOPTED)
    adopted_on = to_jst(proposal.decided_at).date() if proposal.decided_at else None
    if adopted_on and agreed_on < adopted_on:
        raise ProposalError(
            _(
                "The agreement cannot be dated before the adoption (%(day)s).",
                day=format_date(adopted_on),
            ),
            "agreed_on",
        )
    if budget < 0 or budget > proposal.call.max_contribution:
        raise ProposalError(
            _(
                "The city's contribution must be between ¥0 and ¥%(max)s.",
                max=f"{proposal.call.max_contribution:,}",
            ),
            "budget",
        )
    proposal.agreed_on = agreed_on
    proposal.agreement_roles = roles
    proposal.agreement_budget = budget
    _event(actor, proposal, Stage.AGREED)
    _mail_group(proposal, "stage")
    db.session.commit()


def add_report(actor: Any, proposal: Proposal, kind: ReportKind, text: str) -> ProgressReport:
    """Progress by the group, or the mid-term review by the division, while under way."""
    _expect(proposal, Stage.AGREED)
    report = ProgressReport(
        proposal_id=proposal.id,
        kind=kind,
        reported_on=to_jst(clock.now()).date(),
        text=text,
        author_id=getattr(actor, "id", None),
    )
    db.session.add(report)
    db.session.flush()
    audit.record(actor, f"proposals.report.{kind.value}", report, f"Report on {proposal.id}")
    db.session.commit()
    return report


def complete(actor: Any, proposal: Proposal, completed_on: date) -> None:
    _expect(proposal, Stage.AGREED)
    if proposal.agreed_on and completed_on < proposal.agreed_on:
        raise ProposalError(
            _(
                "The project cannot be completed before its agreement (%(day)s).",
                day=format_date(proposal.agreed_on),
            ),
            "completed_on",
        )
    proposal.completed_on = completed_on
    _event(actor, proposal, Stage.COMPLETED)
    db.session.commit()


def evaluate(actor: Any, proposal: Proposal, side: str, text: str) -> None:
    """The joint evaluation: the group's and the division's; both make it complete."""
    _expect(proposal, Stage.COMPLETED)
    if side == "group":
        proposal.group_evaluation = text
    else:
        proposal.division_evaluation = text
    audit.record(actor, f"proposals.evaluation.{side}", proposal, f"Evaluation of {proposal.id}")
    if proposal.group_evaluation and proposal.division_evaluation:
        _event(actor, proposal, Stage.EVALUATED)
    db.session.commit()


# Public figures and summaries -----------------------------------------------------------


@dataclass(frozen=True)
class CriterionSummary:
    name: str
    weight: int
    average: float | None


def score_summary(proposal: Proposal) -> tuple[list[CriterionSummary], float | None, int]:
    """After the decision: the final round's average per criterion and in total, without
    reviewers' names. Averaged here in Python over at most a committee's handful of rows."""
    scores = [s for s in scores_for(proposal, Round.FINAL) if s.total is not None]
    criteria = proposal.call.criteria
    names = proposal.call.criterion_names()
    rows = [
        CriterionSummary(
            name=names[i],
            weight=int(c["weight"]),
            average=round(sum(s.points[i] for s in scores) / len(scores), 1) if scores else None,
        )
        for i, c in enumerate(criteria)
    ]
    total = round(sum(s.total or 0 for s in scores) / len(scores), 1) if scores else None
    return rows, total, len(scores)


def projects_query(call_id: int | None = None) -> sa.Select[Any]:
    """Adopted projects, newest decision first, with what their lists show."""
    stmt = (
        sa.select(Proposal)
        .where(Proposal.stage.in_(ADOPTED_STAGES))
        .options(selectinload(Proposal.call), selectinload(Proposal.department))
        .order_by(Proposal.decided_at.desc(), Proposal.id.desc())
    )
    if call_id is not None:
        stmt = stmt.where(Proposal.call_id == call_id)
    return stmt


def projects(limit: int) -> list[Proposal]:
    return list(db.session.scalars(projects_query().limit(limit)))


def totals() -> dict[str, float]:
    """The scheme's figures across initiatives, for the public page (through the registry's
    cache, like the table's)."""
    from app.core.activity import get_kind, kind_figures

    result: dict[str, float] = {}
    for row in kind_figures(get_kind("proposals"), ActivityFilter()).values():
        for key, value in row.items():
            result[key] = result.get(key, 0) + value
    return result
