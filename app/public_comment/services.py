"""Every change of state in public comment goes through here (views, CLI and tests call these).

The procedure follows 行政手続法 chapter 6 in spirit, as the city's guideline does: publish the
draft and its materials; at least 30 days (shorter only with a published reason); consider every
comment; publish the comments (or their summary), the city's view and what changed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from app.core import audit, clock
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.i18n import current_language, fiscal_year
from app.core.jobs import runner_name
from app.core.mail import OutboxMessage, queue_mail
from app.core.receipts import next_receipt_number
from app.core.uploads import UploadError, save_upload
from app.core.urls import public_url
from app.extensions import db
from app.public_comment.grouping import Grouping, Reason, group, normalise, topics
from app.public_comment.models import (
    MINIMUM_DAYS,
    PUBLIC_STATUSES,
    CaseMaterial,
    CaseStatus,
    Channel,
    Comment,
    CommentCase,
    CommentCluster,
    CommentGroup,
    DraftSection,
    GroupingAction,
    GroupingEdit,
    GroupingJob,
    JobStatus,
    OpinionSummary,
    Phase,
    ReviewAction,
    ReviewEvent,
    SubmitterCategory,
    comment_summary,
    period_days,
)

CASE_FIELDS = [
    "title",
    "title_en",
    "summary",
    "purpose",
    "legal_basis",
    "who_may_comment",
    "channels",
    "postal_address",
    "fax",
    "email",
    "opens_at",
    "closes_at",
    "short_period_reason",
    "initiative_id",
    "department_id",
    "ward_id",
    "status",
]


class PublicCommentError(DomainError):
    """A request the public comment rules refuse (core.errors.DomainError)."""


class WindowClosedError(PublicCommentError):
    pass


# Cases ------------------------------------------------------------------------------------


def _check_period(opens_at: datetime, closes_at: datetime, reason: str) -> None:
    if closes_at <= opens_at:
        raise PublicCommentError(_("The closing time must be after the opening time."), "closes_on")
    days = period_days(opens_at, closes_at)
    if days < MINIMUM_DAYS and not reason.strip():
        raise PublicCommentError(
            _(
                "The period is %(days)s days. A period under %(minimum)s days needs a reason, "
                "which is published with the case.",
                days=days,
                minimum=MINIMUM_DAYS,
            ),
            "short_period_reason",
        )


def create_case(actor: Any, **fields: Any) -> CommentCase:
    _check_period(fields["opens_at"], fields["closes_at"], fields.get("short_period_reason", ""))
    case = CommentCase(
        status=CaseStatus.DRAFT,
        created_by_id=actor.id,
        fiscal_year=fiscal_year(fields["opens_at"]),
        **fields,
    )
    db.session.add(case)
    db.session.flush()
    audit.record(
        actor,
        "public_comment.create",
        case,
        f"created case {case.title}",
        after=audit.snapshot(case, CASE_FIELDS),
    )
    db.session.commit()
    return case


def update_case(actor: Any, case: CommentCase, **fields: Any) -> None:
    if case.status != CaseStatus.DRAFT:
        raise PublicCommentError(_("Only a draft can be edited."))
    _check_period(
        fields.get("opens_at", case.opens_at),
        fields.get("closes_at", case.closes_at),
        fields.get("short_period_reason", case.short_period_reason),
    )
    before = audit.snapshot(case, CASE_FIELDS)
    for name, value in fields.items():
        setattr(case, name, value)
    case.fiscal_year = fiscal_year(case.opens_at)
    audit.record(
        actor,
        "public_comment.update",
        case,
        f"edited case {case.title}",
        before,
        audit.snapshot(case, CASE_FIELDS),
    )
    db.session.commit()


def _require_draft(case: CommentCase) -> None:
    if case.status != CaseStatus.DRAFT:
        raise PublicCommentError(_("Only a draft can be edited."))


def add_section(actor: Any, case: CommentCase, heading: str, body: str) -> DraftSection:
    _require_draft(case)
    section = DraftSection(case_id=case.id, heading=heading, body=body, position=len(case.sections))
    db.session.add(section)
    db.session.flush()
    audit.record(actor, "public_comment.add_section", case, f"added section {heading}")
    db.session.commit()
    return section


def update_section(actor: Any, section: DraftSection, heading: str, body: str) -> None:
    _require_draft(section.case)
    before = audit.snapshot(section, ["heading", "body"])
    section.heading, section.body = heading, body
    audit.record(
        actor,
        "public_comment.update_section",
        section.case,
        f"edited section {heading}",
        before,
        audit.snapshot(section, ["heading", "body"]),
    )
    db.session.commit()


def add_material(
    actor: Any,
    case: CommentCase,
    title: str,
    upload: FileStorage | None = None,
    url: str = "",
) -> CaseMaterial:
    """Publish a material with the draft: an uploaded file (checked and stored by
    core.uploads, whose file goes again if this transaction fails) or a link, one of the two."""
    _require_draft(case)
    url = url.strip()
    if (upload is None) == (not url):
        raise PublicCommentError(_("Choose a file or give a web address (one of the two)."), "file")
    if url and not url.startswith(("https://", "http://")):
        raise PublicCommentError(_("Give a web address starting with https:// or http://."), "url")
    stored_file_id = None
    if upload is not None:
        try:
            stored_file_id = save_upload(upload, uploaded_by_id=actor.id).id
        except UploadError as error:
            db.session.rollback()
            raise PublicCommentError(str(error), "file") from error
    material = CaseMaterial(case_id=case.id, stored_file_id=stored_file_id, url=url, title=title)
    db.session.add(material)
    db.session.flush()
    audit.record(
        actor,
        "public_comment.add_material",
        case,
        f"added material {title}",
        after={"material": material.id, "stored_file": stored_file_id, "url": url},
    )
    db.session.commit()
    return material


def _review(
    actor: Any, case: CommentCase, action: ReviewAction, note: str, status: CaseStatus
) -> None:
    before = case.status
    case.status = status
    db.session.add(ReviewEvent(case_id=case.id, actor_id=actor.id, action=action, note=note))
    audit.record(
        actor,
        f"public_comment.{action.value}",
        case,
        f"{action.value}: {case.title}",
        {"status": before.value},
        {"status": status.value, "note": note},
    )
    db.session.commit()


def submit_for_review(actor: Any, case: CommentCase) -> None:
    _require_draft(case)
    if not case.sections:
        raise PublicCommentError(_("Add the draft, in at least one section, before review."))
    _review(actor, case, ReviewAction.SUBMITTED, "", CaseStatus.IN_REVIEW)


def approve_case(reviewer: Any, case: CommentCase, note: str) -> None:
    """Approval publishes the case. Approval after its planned opening time is refused, not
    moved: the division set the period (and its day count, art. 39) on the opening time, and
    moving the opening would silently shorten the period below what was reviewed. The
    reviewer returns the case so that the division sets a new period."""
    if case.status != CaseStatus.IN_REVIEW:
        raise PublicCommentError(_("Only a case in review can be approved."))
    if case.opens_at <= clock.now():
        raise PublicCommentError(
            _(
                "The planned opening time, %(time)s, has passed. Return the case to the "
                "division to set a new period, then approve it.",
                time=_time_shown(case.opens_at),
            ),
            "note",
        )
    _check_period(case.opens_at, case.closes_at, case.short_period_reason)
    _review(reviewer, case, ReviewAction.APPROVED, note, CaseStatus.APPROVED)


def return_case(reviewer: Any, case: CommentCase, note: str) -> None:
    if case.status != CaseStatus.IN_REVIEW:
        raise PublicCommentError(_("Only a case in review can be returned."))
    if not note.strip():
        raise PublicCommentError(_("Say what should change."), "note")
    _review(reviewer, case, ReviewAction.RETURNED, note, CaseStatus.DRAFT)


def abandon_case(actor: Any, case: CommentCase, reason: str) -> None:
    """An abandoned draft is still published, with its title and dates (art. 43 ¶4)."""
    if case.status not in (CaseStatus.APPROVED, CaseStatus.RESULTS_REVIEW):
        raise PublicCommentError(_("Only a case that has been opened can be abandoned."))
    if not reason.strip():
        raise PublicCommentError(_("Give the reason, which is published."), "reason")
    case.abandoned_reason = reason
    case.abandoned_at = clock.now()
    _review(actor, case, ReviewAction.ABANDONED, reason, CaseStatus.ABANDONED)


# Comments ---------------------------------------------------------------------------------


@dataclass
class CommentInput:
    submitter_category: SubmitterCategory
    name: str
    address: str
    body: str
    email: str = ""
    phone: str = ""
    organisation: str = ""
    representative: str = ""
    section_id: int | None = None


def person_key(name: str, address: str) -> str:
    normalised = "|".join(
        "".join(unicodedata.normalize("NFKC", part).split()).lower() for part in (name, address)
    )
    return hashlib.sha256(normalised.encode()).hexdigest()


# Stands for the receipt code in a receipt mail written before the number is taken. Control
# characters never survive the forms (clean_text), so it cannot occur in what was typed.
_CODE_TO_COME = "\x00receipt-code\x00"


def submit_comment(
    case_id: int,
    data: CommentInput,
    submission_token: str,
    channel: Channel = Channel.WEB,
    user: Any = None,
    entered_by: Any = None,
    received_at: datetime | None = None,
    late_reason: str = "",
) -> tuple[Comment, bool]:
    """Store one comment with its receipt number; returns (comment, created).

    The same submission token returns the comment already stored, so a double click or a
    resubmitted form never makes two. The window is checked on the server, to the second, at
    the comment's arrival: one that waits for its turn behind others at the deadline is not late.
    """
    now = clock.now()
    if channel == Channel.WEB:
        # The time of receipt is when the request reached the site (the view passes the
        # trusted proxy's request start, clock.received_at), never later than now.
        received_at = min(received_at or now, now)
    comment = Comment(
        case_id=case_id,
        receipt_code=_CODE_TO_COME,
        submission_token=submission_token,
        channel=channel,
        received_at=received_at,
        late_reason=late_reason,
        submitter_category=data.submitter_category,
        name=data.name,
        address=data.address,
        email=data.email,
        phone=data.phone,
        organisation=data.organisation,
        representative=data.representative,
        person_key=person_key(data.name, data.address),
        section_id=data.section_id,
        body=data.body,
        user_id=getattr(user, "id", None),
        entered_by_id=getattr(entered_by, "id", None),
        language=current_language(),
    )
    # The receipt mail is written before the comment takes its turn (all but its number is
    # known by now), so that the turn, from taking the number to the commit, is short.
    receipt = _receipt_mail(comment) if data.email and received_at is not None else None
    begin_write()
    # Commenters share the case (FOR SHARE on PostgreSQL): they wait only for a change of the
    # case itself (abandoning it), not for one another; the receipt counter's row lock orders
    # them, from their number to their commit. (SQLite: begin_write already queued them.)
    case = db.session.scalar(
        sa.select(CommentCase).where(CommentCase.id == case_id).with_for_update(read=True)
    )
    if case is None:
        raise PublicCommentError(_("This public comment does not exist."))
    if channel == Channel.WEB:
        phase = case.phase_at(received_at)
        if phase != Phase.OPEN:
            # A form sent again just after the deadline (a double click at 23:59:59) finds
            # the comment its first sending stored, rather than "closed".
            existing = _stored_before(case.id, submission_token)
            if existing is not None:
                return existing, False
        if phase == Phase.UPCOMING:
            db.session.rollback()
            raise WindowClosedError(
                _(
                    "Comments are not accepted yet. This public comment opens at %(time)s.",
                    time=_time_shown(case.opens_at),
                )
            )
        if phase != Phase.OPEN:
            db.session.rollback()
            raise WindowClosedError(
                _(
                    "Comments are no longer accepted. This public comment closed at %(time)s.",
                    time=_time_shown(case.closes_at),
                )
            )
    else:
        existing = _stored_before(case.id, submission_token)
        if existing is not None:
            return existing, False
        problem = _paper_problem(case, received_at, late_reason, now)
        if problem is not None:
            db.session.rollback()
            raise problem
    comment.initiative_id = case.initiative_id
    number = next_receipt_number(f"public_comment:{case.id}")
    comment.receipt_number = number
    comment.receipt_code = f"PC{case.id}-{number:05d}"
    db.session.add(comment)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # The same form sent again (a double click, a form resent with the back button): the
        # unique token refuses the second; its number is rolled back with it, so no gap, and
        # the comment stored by the first is returned. Checked here rather than by a look-up
        # first, which would cost every comment a statement to catch the rare resend.
        db.session.rollback()
        existing = _stored_before(case_id, submission_token)
        if existing is None:
            raise
        return existing, False
    if entered_by is not None:
        audit.record(
            entered_by,
            "public_comment.enter_comment",
            comment,
            f"entered {channel.value} comment {comment.receipt_code}",
        )
    if receipt is not None:
        subject, body = (part.replace(_CODE_TO_COME, comment.receipt_code) for part in receipt)
        queue_mail(comment.email, subject, body)
    db.session.commit()
    return comment, True


def _receipt_mail(comment: Comment) -> tuple[str, str] | None:
    """Subject and body of the receipt mail, in the submitter's language."""
    case = db.session.get(CommentCase, comment.case_id)
    if case is None:
        return None
    with force_locale(current_language()):
        subject = _(
            "Receipt %(code)s: your comment on %(title)s",
            code=comment.receipt_code,
            title=case.title,
        )
        link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
            "public_comment.case", case_id=case.id
        )
        body = render_template(
            "public_comment/mail/receipt.txt", case=case, comment=comment, link=link
        )
    return subject, body


def _stored_before(case_id: int, submission_token: str) -> Comment | None:
    """The comment an earlier sending of the same form stored, if any; when there is one the
    transaction is ended, since nothing more is written."""
    existing = db.session.scalar(
        sa.select(Comment).where(
            Comment.case_id == case_id, Comment.submission_token == submission_token
        )
    )
    if existing is not None:
        db.session.rollback()
    return existing


def _paper_problem(
    case: CommentCase, received_at: datetime | None, late_reason: str, now: datetime
) -> PublicCommentError | None:
    """Comments by post, fax, e-mail or in person, entered by staff."""
    phase = case.phase_at(now)
    if phase in (Phase.DRAFT, Phase.IN_REVIEW, Phase.UPCOMING):
        return PublicCommentError(_("The case has not opened yet."))
    if phase in (Phase.RESULTS_REVIEW, Phase.PUBLISHED, Phase.ABANDONED):
        return PublicCommentError(_("Results have been submitted; no more comments can be added."))
    if received_at is None or received_at > now:
        return PublicCommentError(_("Enter the date the comment was received."), "received_on")
    inside = case.opens_at <= received_at < case.closes_before()
    if not inside and not late_reason.strip():
        return PublicCommentError(
            _("This was received outside the comment period. Record why it is accepted."),
            "late_reason",
        )
    return None


def _time_shown(moment: datetime) -> str:
    from app.core.i18n import format_datetime

    return format_datetime(moment)


def redact_comment(actor: Any, comment: Comment, redacted_body: str, reason: str) -> None:
    if not reason.strip():
        raise PublicCommentError(_("Give the reason for the redaction."), "reason")
    before = {"redacted_body": comment.redacted_body, "redaction_reason": comment.redaction_reason}
    comment.redacted_body = redacted_body
    comment.redaction_reason = reason
    comment.redacted_by_id = actor.id
    audit.record(
        actor,
        "public_comment.redact",
        comment,
        f"redacted {comment.receipt_code}",
        before,
        {"redacted_body": redacted_body, "redaction_reason": reason},
    )
    _results_changed(comment)
    db.session.commit()


def set_out_of_scope(actor: Any, comment: Comment, reason: str) -> None:
    before = {"out_of_scope_reason": comment.out_of_scope_reason}
    comment.out_of_scope_reason = reason.strip()
    audit.record(
        actor,
        "public_comment.out_of_scope",
        comment,
        f"{comment.receipt_code} out of scope"
        if reason
        else f"{comment.receipt_code} back in scope",
        before,
        {"out_of_scope_reason": comment.out_of_scope_reason},
    )
    _results_changed(comment)
    db.session.commit()


def _results_changed(comment: Comment) -> None:
    """Published results are cached by their case's updated_at (public_comment.views.results):
    a redaction, or a comment taken out, must leave the public page at once. Other changes
    after publication show within FIGURES_CACHE_SECONDS."""
    comment.case.updated_at = clock.now()


# Summaries and results ---------------------------------------------------------------------


def _require_closed(case: CommentCase) -> None:
    if case.phase_at(clock.now()) != Phase.CLOSED:
        raise PublicCommentError(
            _("Summaries are written after the case closes and before the results are submitted.")
        )


def save_summary(
    actor: Any,
    case: CommentCase,
    summary: OpinionSummary | None,
    *,
    text: str,
    city_view: str,
    disposition_id: int,
    section_id: int | None,
    comment_ids: list[int],
) -> OpinionSummary:
    _require_closed(case)
    comments = (
        list(
            db.session.scalars(
                sa.select(Comment).where(Comment.case_id == case.id, Comment.id.in_(comment_ids))
            )
        )
        if comment_ids
        else []
    )
    if summary is None:
        position = (
            db.session.scalar(
                sa.select(sa.func.count(OpinionSummary.id)).where(OpinionSummary.case_id == case.id)
            )
            or 0
        )
        summary = OpinionSummary(case_id=case.id, position=position)
        db.session.add(summary)
        before = None
    else:
        before = {
            "summary": summary.summary,
            "city_view": summary.city_view,
            "disposition_id": summary.disposition_id,
            "comments": sorted(c.id for c in summary.comments),
        }
    summary.summary, summary.city_view = text, city_view
    summary.disposition_id, summary.section_id = disposition_id, section_id
    summary.comments = comments
    db.session.flush()
    audit.record(
        actor,
        "public_comment.save_summary",
        summary,
        f"summary {summary.id}",
        before,
        {
            "summary": text,
            "city_view": city_view,
            "disposition_id": disposition_id,
            "comments": sorted(c.id for c in comments),
        },
    )
    db.session.commit()
    return summary


def assign_comments(actor: Any, summary: OpinionSummary, comment_ids: list[int]) -> int:
    """Add comments (e.g. a whole group of identical ones) to a summary in one action."""
    _require_closed(summary_case(summary))
    already = {c.id for c in summary.comments}
    new = [i for i in comment_ids if i not in already]
    if new:
        valid = db.session.scalars(
            sa.select(Comment.id).where(Comment.case_id == summary.case_id, Comment.id.in_(new))
        ).all()
        db.session.execute(
            sa.insert(comment_summary), [{"comment_id": i, "summary_id": summary.id} for i in valid]
        )
        audit.record(
            actor,
            "public_comment.assign",
            summary,
            f"assigned {len(valid)} comments to summary {summary.id}",
        )
        db.session.commit()
        return len(valid)
    return 0


def summary_case(summary: OpinionSummary) -> CommentCase:
    return db.session.get(CommentCase, summary.case_id)


@dataclass
class Coverage:
    total: int
    answered: int
    out_of_scope: int

    @property
    def open(self) -> int:
        return self.total - self.answered - self.out_of_scope

    @property
    def complete(self) -> bool:
        return self.open == 0


def coverage(case_id: int) -> Coverage:
    """Every comment must be answered by a summary or marked out of scope: one statement."""
    answered = sa.exists().where(comment_summary.c.comment_id == Comment.id)
    row = db.session.execute(
        sa.select(
            sa.func.count(Comment.id),
            sa.func.count(Comment.id).filter(answered),
            sa.func.count(Comment.id).filter(~answered, Comment.out_of_scope_reason != ""),
        ).where(Comment.case_id == case_id)
    ).one()
    return Coverage(total=row[0], answered=row[1], out_of_scope=row[2])


def submit_results(actor: Any, case: CommentCase, changes: str, decision_date: date) -> None:
    _require_closed(case)
    cover = coverage(case.id)
    if not cover.complete:
        raise PublicCommentError(
            _(
                "%(open)s comments are neither answered by a summary nor marked out of scope.",
                open=cover.open,
            )
        )
    case.changes, case.decision_date = changes, decision_date
    _review(actor, case, ReviewAction.RESULTS_SUBMITTED, "", CaseStatus.RESULTS_REVIEW)


def approve_results(reviewer: Any, case: CommentCase, note: str) -> None:
    if case.status != CaseStatus.RESULTS_REVIEW:
        raise PublicCommentError(_("Only results in review can be approved."))
    case.published_at = clock.now()
    _queue_results_notices(case)
    _review(reviewer, case, ReviewAction.RESULTS_APPROVED, note, CaseStatus.PUBLISHED)


def _queue_results_notices(case: CommentCase) -> None:
    """Tell each commenter who left an address that the results are out: one mail per address
    (listing its receipt numbers), in the language of its first comment. The dedup key keeps
    it to one even if results are returned and approved again."""
    comments = db.session.execute(
        sa.select(Comment.email, Comment.language, Comment.receipt_code)
        .where(Comment.case_id == case.id, Comment.email != "")
        .order_by(Comment.id)
    ).all()
    people: dict[str, tuple[str, str, list[str]]] = {}
    for comment in comments:
        address = comment.email.strip().lower()
        people.setdefault(address, (comment.email, comment.language, []))[2].append(
            comment.receipt_code
        )
    keys = {
        address: f"pc-results:{case.id}:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
        for address in people
    }
    done = set(
        db.session.scalars(
            sa.select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys.values()))
        )
    )
    link = public_url("public_comment.case", case_id=case.id)
    for address, (email, language, codes) in people.items():
        if keys[address] in done:
            continue
        with force_locale(language or "ja"):
            subject = _("Results published: %(title)s", title=case.tr("title"))
            body = render_template(
                "public_comment/mail/results.txt", case=case, codes=codes, link=link
            )
        queue_mail(email, subject, body, dedup_key=keys[address])


def return_results(reviewer: Any, case: CommentCase, note: str) -> None:
    if case.status != CaseStatus.RESULTS_REVIEW:
        raise PublicCommentError(_("Only results in review can be returned."))
    if not note.strip():
        raise PublicCommentError(_("Say what should change."), "note")
    _review(reviewer, case, ReviewAction.RESULTS_RETURNED, note, CaseStatus.APPROVED)


# Reading ----------------------------------------------------------------------------------


@dataclass
class CaseFilter:
    department_id: int | None = None
    initiative_number: int | None = None
    ward_id: int | None = None
    keyword: str = ""


FINISHED_PER_PAGE = 20


def _public_cases_stmt(flt: CaseFilter) -> sa.Select[Any]:
    """Public cases matching the filter; many-to-one details joined in the same statement, so
    a list costs the same statements whatever it shows."""
    from app.plan.models import Initiative

    stmt = (
        sa.select(CommentCase)
        .where(CommentCase.status.in_(PUBLIC_STATUSES))
        .options(
            joinedload(CommentCase.department),
            joinedload(CommentCase.initiative),
            joinedload(CommentCase.ward),
        )
    )
    if flt.department_id:
        stmt = stmt.where(CommentCase.department_id == flt.department_id)
    if flt.ward_id:
        stmt = stmt.where(CommentCase.ward_id == flt.ward_id)
    if flt.initiative_number:
        stmt = stmt.where(
            CommentCase.initiative_id.in_(
                sa.select(Initiative.id).where(Initiative.number == flt.initiative_number)
            )
        )
    if flt.keyword:
        pattern = f"%{flt.keyword}%"
        stmt = stmt.where(
            sa.or_(
                CommentCase.title.ilike(pattern),
                CommentCase.summary.ilike(pattern),
                CommentCase.title_en.ilike(pattern),
            )
        )
    return stmt


def _is_current(now: datetime) -> sa.ColumnElement[bool]:
    """Open or upcoming (CommentCase.phase_at in SQL): approved and not yet past the minute
    shown as the deadline."""
    return sa.and_(
        CommentCase.status == CaseStatus.APPROVED,
        CommentCase.closes_at > now - timedelta(minutes=1),
    )


def current_cases(flt: CaseFilter, now: datetime) -> list[CommentCase]:
    """Cases open or upcoming: few at any time (each is open for about a month), so unpaged."""
    stmt = _public_cases_stmt(flt).where(_is_current(now)).order_by(CommentCase.closes_at)
    return list(db.session.scalars(stmt))


def finished_cases(flt: CaseFilter, now: datetime, page: int) -> Any:
    """Closed, published and abandoned cases, newest first, one page at a time (they grow
    without bound: tens of thousands at national scale)."""
    stmt = (
        _public_cases_stmt(flt)
        .where(sa.not_(_is_current(now)))
        .order_by(CommentCase.closes_at.desc(), CommentCase.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=FINISHED_PER_PAGE, error_out=False)


PUBLISHED_COMMENTS_PER_PAGE = 50


def published_comments(case_id: int, page: int) -> Any:
    """The comments a results page publishes, in receipt order, fifty a page (a contested
    draft draws a hundred thousand): out-of-scope ones left out, and of a campaign only its
    representative, shown once with the number of comments of the same content."""
    campaigns = sa.select(CommentGroup.id).where(
        CommentGroup.case_id == case_id, CommentGroup.is_campaign.is_(True)
    )
    representatives = sa.select(CommentGroup.representative_id).where(
        CommentGroup.id.in_(campaigns)
    )
    stmt = (
        sa.select(Comment)
        .where(
            Comment.case_id == case_id,
            Comment.out_of_scope_reason == "",
            sa.or_(
                Comment.group_id.is_(None),
                Comment.group_id.not_in(campaigns),
                Comment.id.in_(representatives),
            ),
        )
        .order_by(Comment.receipt_number)
        .options(selectinload(Comment.section))
    )
    return db.paginate(stmt, page=page, per_page=PUBLISHED_COMMENTS_PER_PAGE, error_out=False)


def comment_counts(case_ids: list[int]) -> dict[int, int]:
    """Comments per case, for the cases shown only (one statement)."""
    rows = db.session.execute(
        sa.select(Comment.case_id, sa.func.count(Comment.id))
        .where(Comment.case_id.in_(case_ids))
        .group_by(Comment.case_id)
    )
    return {case_id: n for case_id, n in rows}


def latest_cases(limit: int) -> list[CommentCase]:
    """The newest public cases, for the feed."""
    stmt = _public_cases_stmt(CaseFilter()).order_by(
        CommentCase.closes_at.desc(), CommentCase.id.desc()
    )
    return list(db.session.scalars(stmt.limit(limit)))


def approval_times(case_ids: list[int]) -> dict[int, datetime]:
    """When each case was first approved, that is made public (the feed's `published`): a
    case announced for a later opening was public from its approval on (one statement)."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReviewEvent.case_id, sa.func.min(ReviewEvent.created_at))
        .where(ReviewEvent.case_id.in_(case_ids), ReviewEvent.action == ReviewAction.APPROVED)
        .group_by(ReviewEvent.case_id)
    )
    # min() keeps the column's type, so the times come back aware on SQLite too.
    return {case_id: approved for case_id, approved in rows}


def results_figures(case_id: int) -> dict[str, Any]:
    """The published counts, each computed in SQL."""
    from app.core.dispositions import Disposition

    base = sa.select(sa.func.count(Comment.id)).where(Comment.case_id == case_id)
    total = db.session.scalar(base) or 0
    people = (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Comment.person_key))).where(
                Comment.case_id == case_id
            )
        )
        or 0
    )
    by_category = dict(
        db.session.execute(
            sa.select(Comment.submitter_category, sa.func.count(Comment.id))
            .where(Comment.case_id == case_id)
            .group_by(Comment.submitter_category)
        ).all()
    )
    by_channel = dict(
        db.session.execute(
            sa.select(Comment.channel, sa.func.count(Comment.id))
            .where(Comment.case_id == case_id)
            .group_by(Comment.channel)
        ).all()
    )
    by_disposition = db.session.execute(
        sa.select(Disposition, sa.func.count(sa.distinct(comment_summary.c.comment_id)))
        .join(OpinionSummary, OpinionSummary.disposition_id == Disposition.id)
        .outerjoin(comment_summary, comment_summary.c.summary_id == OpinionSummary.id)
        .where(OpinionSummary.case_id == case_id)
        .group_by(Disposition.id)
        .order_by(Disposition.position)
    ).all()
    return {
        "comments": total,
        "people": people,
        "by_category": by_category,
        "by_channel": by_channel,
        "by_disposition": by_disposition,
    }


# Groups of identical and near-identical comments -----------------------------------------


def group_comments(
    case_id: int,
    threshold: float | None = None,
    progress: Callable[[int, str], None] | None = None,
    actor: Any = None,
) -> int:
    """Recompute the case's groups and topics (derived data: comments themselves are
    untouched). Staff decisions (splits, merges, confirmed paraphrases) are kept and applied to
    the run's groups, and one audit entry (under `actor`, who asked for the run) names the
    decisions applied. A group keeps its campaign label when most of its members were in a
    labelled group. Each member's reason (grouping.Reason) is stored for staff to see. Returns
    the number of groups of two or more comments."""
    report = progress or (lambda _percent, _message: None)
    threshold = threshold or current_app.config["GROUPING_THRESHOLD"]
    rows = db.session.execute(
        sa.select(Comment.id, Comment.body, Comment.receipt_number, Comment.group_id)
        .where(Comment.case_id == case_id)
        .order_by(Comment.receipt_number)
    ).all()
    labelled = set(
        db.session.scalars(
            sa.select(CommentGroup.id).where(
                CommentGroup.case_id == case_id, CommentGroup.is_campaign.is_(True)
            )
        )
    )
    report(10, "loaded")
    grouping = group([body for _id, body, _n, _g in rows], threshold=threshold)
    report(50, "grouped")
    # The groups are replaced under the writers' lock (SQLite; PostgreSQL needs none here), and
    # the staff decisions are read there, so none made meanwhile is left out.
    begin_write()
    decisions = _staff_decisions(case_id)
    labels, applied = apply_grouping_decisions(
        [r[0] for r in rows], grouping.labels, decisions.values()
    )
    # An algorithm without reasons (an empty list) gives none to store.
    reasons = grouping.reasons if rows and len(grouping.reasons) == len(rows) else None
    db.session.execute(
        sa.update(Comment)
        .where(Comment.case_id == case_id)
        .values(group_id=None, cluster_id=None, group_reason=None)
    )
    db.session.execute(sa.delete(CommentGroup).where(CommentGroup.case_id == case_id))
    db.session.execute(sa.delete(CommentCluster).where(CommentCluster.case_id == case_id))
    created = 0
    in_groups: set[int] = set()
    final = Grouping(labels=labels).groups()
    for members in final.values():
        member_rows = [rows[i] for i in members]
        in_groups.update(members)
        # The representative is the most common wording, earliest receipt first among equals.
        wording = Counter(normalise(body) for _id, body, _n, _g in member_rows)
        representative = min(member_rows, key=lambda r: (-wording[normalise(r[1])], r[2]))
        was_campaign = sum(1 for r in member_rows if r[3] in labelled) * 2 > len(member_rows)
        new_group = CommentGroup(
            case_id=case_id,
            representative_id=representative[0],
            size=len(member_rows),
            is_campaign=was_campaign,
        )
        db.session.add(new_group)
        db.session.flush()
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id.in_([r[0] for r in member_rows]))
            .values(group_id=new_group.id)
        )
        created += 1
    if reasons is not None:
        _store_reasons(rows, reasons, final, grouping.labels)
    _record_applied_decisions(actor, case_id, applied, created)
    # Flushed before the progress report: the job's report commits what is written so far.
    db.session.flush()
    report(70, "groups saved")
    rest = [rows[i] for i in range(len(rows)) if i not in in_groups]
    if len(rest) >= 2:
        found = topics([body for _id, body, _n, _g in rest])
        clusters = []
        for number, terms in enumerate(found.terms):
            # Label -1 is a comment in no topic: it keeps no cluster.
            members = [rest[i][0] for i, label in enumerate(found.labels) if label == number]
            if not members:
                continue
            cluster = CommentCluster(case_id=case_id, terms=terms, size=len(members))
            db.session.add(cluster)
            clusters.append((cluster, members))
        db.session.flush()
        for cluster, members in clusters:
            db.session.execute(
                sa.update(Comment).where(Comment.id.in_(members)).values(cluster_id=cluster.id)
            )
    db.session.commit()
    report(100, "done")
    return created


def _store_reasons(
    rows: Sequence[Any],
    reasons: Sequence[Reason | None],
    final: dict[int, list[int]],
    run_labels: Sequence[int],
) -> None:
    """Write each grouped comment's reason (Comment.group_reason). Only a member whose group
    the run itself formed keeps the run's reason; a member without one there is the anchor the
    others were compared with. Members that only staff decisions brought together keep none:
    the decision is their reason (see member_decisions)."""
    values: list[dict[str, Any]] = []
    for members in final.values():
        for index in members:
            reason = reasons[index]
            if reason is not None:
                value = {
                    "kind": reason.kind,
                    "confidence": round(float(reason.confidence), 4),
                    "matched": list(reason.matched),
                }
            elif any(run_labels[o] == run_labels[index] for o in members if o != index):
                value = {"kind": "anchor", "confidence": 1.0, "matched": []}
            else:
                continue
            values.append({"id": rows[index][0], "group_reason": value})
    if values:
        # One executemany by primary key, however many members.
        db.session.execute(sa.update(Comment), values)


def request_grouping(actor: Any, case_id: int) -> Any:
    """Queue a grouping run for `flask public-comments work`; one pending run per case."""
    pending = db.session.scalar(
        sa.select(GroupingJob).where(
            GroupingJob.case_id == case_id,
            GroupingJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    )
    if pending is not None:
        return pending
    job = GroupingJob(case_id=case_id, requested_by_id=getattr(actor, "id", None))
    db.session.add(job)
    db.session.commit()
    return job


# A running job whose claim (renewed at each step of progress) is older than this was left by a
# crashed runner, and is run again. The longest step, grouping 100,000 comments, takes ~30 s.
GROUPING_CLAIM_EXPIRES = timedelta(minutes=30)


class GroupingClaimLostError(Exception):
    """Another runner took the job over (our claim had expired): stop without writing."""


def run_grouping_jobs(limit: int = 10) -> int:
    """Run queued grouping jobs in order, recording progress as they go; returns how many.
    Each job is claimed first (see app.core.jobs), so two runners at once never run the same
    job, nor two jobs of the same case."""
    runner = runner_name()
    done = 0
    while done < limit:
        job = _claim_grouping_job(runner)
        if job is None:
            break
        job_id, case_id, actor = job.id, job.case_id, job.requested_by
        db.session.commit()

        def progress(percent: int, message: str, job_id: int = job_id) -> None:
            # Written in its own statement and committed, so the page sees it while we run;
            # it renews our claim, or finds that another runner has taken the job over.
            begin_write()
            ours = db.session.execute(
                sa.update(GroupingJob)
                .where(GroupingJob.id == job_id, GroupingJob.claimed_by == runner)
                .values(progress=percent, message=message, claimed_at=clock.now())
            ).rowcount
            if not ours:
                raise GroupingClaimLostError
            db.session.commit()

        try:
            found = group_comments(case_id, progress=progress, actor=actor)
        except GroupingClaimLostError:
            db.session.rollback()
            continue
        except Exception as exc:  # recorded on the job for staff to see, then re-raised
            db.session.rollback()
            _finish_grouping_job(
                job_id, status=JobStatus.FAILED, message=str(exc)[:300], finished_at=clock.now()
            )
            raise
        _finish_grouping_job(
            job_id,
            status=JobStatus.DONE,
            progress=100,
            message=f"{found} groups",
            finished_at=clock.now(),
        )
        done += 1
    return done


def _claim_grouping_job(runner: str) -> GroupingJob | None:
    """The oldest queued job (or running one whose runner crashed) whose case has no job
    running, marked as this runner's; the caller commits the claim before running it."""
    begin_write()
    now = clock.now()
    expired = GroupingJob.claimed_at < now - GROUPING_CLAIM_EXPIRES
    running = sa.orm.aliased(GroupingJob)
    job = db.session.scalar(
        sa.select(GroupingJob)
        .where(
            sa.or_(
                GroupingJob.status == JobStatus.QUEUED,
                sa.and_(GroupingJob.status == JobStatus.RUNNING, expired),
            ),
            ~sa.exists().where(
                running.case_id == GroupingJob.case_id,
                running.id != GroupingJob.id,
                running.status == JobStatus.RUNNING,
                running.claimed_at >= now - GROUPING_CLAIM_EXPIRES,
            ),
        )
        .order_by(GroupingJob.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=GroupingJob)
    )
    if job is None:
        db.session.commit()
        return None
    job.status = JobStatus.RUNNING
    job.progress = 0
    job.claimed_at = now
    job.claimed_by = runner
    return job


def _finish_grouping_job(job_id: int, **values: Any) -> None:
    begin_write()
    db.session.execute(sa.update(GroupingJob).where(GroupingJob.id == job_id).values(**values))
    db.session.commit()


def _staff_decisions(case_id: int) -> dict[int, GroupingEdit]:
    """Each comment's latest staff decision: a later decision on the same comment supersedes
    the earlier ones (merged, then taken out: out)."""
    edits = db.session.scalars(
        sa.select(GroupingEdit).where(GroupingEdit.case_id == case_id).order_by(GroupingEdit.id)
    ).all()
    return {edit.comment_id: edit for edit in edits}


@dataclass(frozen=True)
class AppliedDecision:
    decision: GroupingEdit
    # Whether the run, left to itself, would have undone the decision (a comment taken out was
    # grouped with the same comments again, or merged groups came out apart).
    changed_the_run: bool


def apply_grouping_decisions(
    comment_ids: Sequence[int], labels: Sequence[int], decisions: Iterable[GroupingEdit]
) -> tuple[list[int], list[AppliedDecision]]:
    """Staff decisions applied to a run's group labels (one per comment, in `comment_ids`
    order); returns the new labels and the decisions applied.

    Merges and confirmed paraphrases join the run's group of the comment with the group of
    the comment it was merged or confirmed with (so the regrouped campaign and the group merged
    into it stay one). Then a comment taken out of a group is taken out again wherever it
    ended up with the comment it was split from: a split wins over a join that would bring
    it back. Decisions about comments not in the run are skipped."""
    position = {comment_id: index for index, comment_id in enumerate(comment_ids)}
    run = list(labels)
    parent: dict[int, int] = {}

    def find(label: int) -> int:
        root = label
        while parent.get(root, root) != root:
            root = parent[root]
        while label != root:  # path compression: the next look-up is one step
            parent[label], label = root, parent[label]
        return root

    pairs = []
    for decision in decisions:
        c, w = position.get(decision.comment_id), position.get(decision.with_comment_id)
        if c is None or w is None or c == w:
            continue
        pairs.append((decision, c, w))
        if decision.action in (GroupingAction.MERGE, GroupingAction.CONFIRM):
            root_c, root_w = find(run[c]), find(run[w])
            if root_c != root_w:
                parent[max(root_c, root_w)] = min(root_c, root_w)
    result = [find(label) for label in run]
    fresh = max(run, default=-1) + 1
    applied = []
    for decision, c, w in pairs:
        if decision.action == GroupingAction.SPLIT:
            if result[c] == result[w]:
                result[c], fresh = fresh, fresh + 1
            applied.append(AppliedDecision(decision, run[c] == run[w]))
        else:
            applied.append(AppliedDecision(decision, run[c] != run[w]))
    return result, applied


def _record_applied_decisions(
    actor: Any, case_id: int, applied: list[AppliedDecision], groups: int
) -> None:
    """One audit entry per run naming the staff decisions it applied: which comments, what
    was decided, by whom, when, with which comment, and which of them changed the run's own
    groups. The decisions themselves stay for the next run."""
    # Subqueries rather than a list of ids: a merged group may hold tens of thousands.
    decided = sa.select(GroupingEdit.comment_id).where(GroupingEdit.case_id == case_id)
    anchors = sa.select(GroupingEdit.with_comment_id).where(GroupingEdit.case_id == case_id)
    codes = (
        dict(
            db.session.execute(
                sa.select(Comment.id, Comment.receipt_code).where(
                    Comment.case_id == case_id,
                    sa.or_(Comment.id.in_(decided), Comment.id.in_(anchors)),
                )
            ).all()
        )
        if applied
        else {}
    )
    # A merge of a large group is one decision per comment moved: told once, with its comments.
    events: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in sorted(applied, key=lambda a: a.decision.id):
        edit = item.decision
        key = (edit.action.value, edit.edited_by_id, edit.created_at, edit.with_comment_id)
        event = events.setdefault(
            key,
            {
                "decision": edit.action.value,
                "by": edit.edited_by_id,
                "by_name": edit.edited_by.display_name if edit.edited_by else "?",
                "at": edit.created_at.isoformat(),
                "with": codes.get(edit.with_comment_id),
                "comments": [],
                "changed_the_run": [],
            },
        )
        event["comments"].append(codes.get(edit.comment_id))
        if item.changed_the_run:
            event["changed_the_run"].append(codes.get(edit.comment_id))
    done = {"split": "split from", "merge": "merged with", "confirm": "confirmed with"}

    def told(event: dict[str, Any]) -> str:
        shown = event["comments"][:5]
        more = len(event["comments"]) - len(shown)
        return (
            ", ".join(shown)
            + (f" and {more} more" if more else "")
            + f" ({done[event['decision']]} {event['with']} by {event['by_name']})"
        )

    changed = sum(len(e["changed_the_run"]) for e in events.values())
    summary = f"grouping run: {groups} groups; " + (
        f"applied {len(applied)} staff decisions ({changed} changed the run's groups): "
        + "; ".join(told(e) for e in events.values())
        if applied
        else "no staff decisions to apply"
    )
    audit.record(
        actor,
        "public_comment.regroup",
        db.session.get(CommentCase, case_id),
        summary,
        after={"groups": groups, "decisions": list(events.values())},
    )


def assign_cluster(actor: Any, cluster: Any, summary: OpinionSummary) -> int:
    """Answer every comment of a topic cluster with one summary, in one action."""
    return _assign_all(actor, cluster.case_id, Comment.cluster_id == cluster.id, summary)


def _assign_all(actor: Any, case_id: int, members: Any, summary: OpinionSummary) -> int:
    if summary.case_id != case_id:
        raise PublicCommentError(_("The summary belongs to another case."))
    member_ids = list(db.session.scalars(sa.select(Comment.id).where(members)))
    return assign_comments(actor, summary, member_ids)


def set_campaign(actor: Any, comment_group: Any, is_campaign: bool) -> None:
    comment_group.is_campaign = is_campaign
    audit.record(
        actor,
        "public_comment.campaign",
        comment_group,
        f"group {comment_group.id} {'labelled' if is_campaign else 'unlabelled'} as a campaign",
    )
    db.session.commit()


def assign_group(actor: Any, comment_group: Any, summary: OpinionSummary) -> int:
    """Answer every member of a group with one summary, in one action."""
    return _assign_all(actor, comment_group.case_id, Comment.group_id == comment_group.id, summary)


def split_from_group(actor: Any, comment: Comment) -> None:
    """Take one comment out of its group (staff judged it different: "not part of this
    campaign", or a paraphrase undone). The decision is kept: later runs never put it back in a
    group with the comment it was split from (the group's representative)."""
    comment_group = db.session.get(CommentGroup, comment.group_id) if comment.group_id else None
    if comment_group is None:
        return
    was_paraphrase = (comment.group_reason or {}).get("kind") == "paraphrase"
    remaining = db.session.scalars(
        sa.select(Comment.id)
        .where(Comment.group_id == comment_group.id, Comment.id != comment.id)
        .order_by(Comment.receipt_number)
        .limit(1)
    ).all()
    if comment_group.representative_id != comment.id:
        split_from = comment_group.representative_id
    elif remaining:
        split_from = remaining[0]
    else:  # a group of one should not exist; nothing to take it out of
        return
    _note_grouping_edit(actor, GroupingAction.SPLIT, comment.case_id, [comment.id], split_from)
    # Decisions that kept others with this comment keep them with its old group instead.
    db.session.execute(
        sa.update(GroupingEdit)
        .where(
            GroupingEdit.case_id == comment.case_id,
            GroupingEdit.with_comment_id == comment.id,
            GroupingEdit.action.in_((GroupingAction.MERGE, GroupingAction.CONFIRM)),
        )
        .values(with_comment_id=split_from)
    )
    comment.group_id = None
    comment.group_reason = None
    comment_group.size -= 1
    if comment_group.size < 2:
        # The one left is alone now: no group, and no reason to be in one.
        db.session.execute(
            sa.update(Comment)
            .where(Comment.group_id == comment_group.id)
            .values(group_id=None, group_reason=None)
        )
        db.session.flush()
        db.session.delete(comment_group)
    elif comment_group.representative_id == comment.id:
        comment_group.representative_id = split_from
    split_code = db.session.scalar(sa.select(Comment.receipt_code).where(Comment.id == split_from))
    audit.record(
        actor,
        "public_comment.split",
        comment,
        f"{comment.receipt_code} taken out of group {comment_group.id}"
        + (" (paraphrase undone)" if was_paraphrase else "")
        + f"; kept apart from {split_code} in later runs",
    )
    db.session.commit()


def confirm_in_group(actor: Any, comment: Comment) -> None:
    """Confirm that a comment belongs to its group (a paraphrase the grouping found with lower
    confidence): later runs keep it with the group's representative."""
    comment_group = db.session.get(CommentGroup, comment.group_id) if comment.group_id else None
    if comment_group is None:
        raise PublicCommentError(_("The comment is not in a group any more."))
    if comment_group.representative_id == comment.id:
        raise PublicCommentError(_("The representative text belongs to its group already."))
    _note_grouping_edit(
        actor,
        GroupingAction.CONFIRM,
        comment.case_id,
        [comment.id],
        comment_group.representative_id,
    )
    audit.record(
        actor,
        "public_comment.confirm",
        comment,
        f"{comment.receipt_code} confirmed as part of group {comment_group.id}",
        after={"reason": comment.group_reason},
    )
    db.session.commit()


def merge_groups(actor: Any, target: Any, other: Any) -> None:
    """Move every comment of `other` into `target` (staff judged them the same). The decision
    is kept: later runs keep the moved comments with the target's representative."""
    if target.case_id != other.case_id or target.id == other.id:
        raise PublicCommentError(_("Only two different groups of the same case can be merged."))
    moved = db.session.scalars(sa.select(Comment.id).where(Comment.group_id == other.id)).all()
    _note_grouping_edit(
        actor, GroupingAction.MERGE, target.case_id, moved, target.representative_id
    )
    # The grouping's reasons were about the old group; the merge is their reason now.
    db.session.execute(
        sa.update(Comment)
        .where(Comment.group_id == other.id)
        .values(group_id=target.id, group_reason=None)
    )
    target.size += other.size
    target.is_campaign = target.is_campaign or other.is_campaign
    db.session.delete(other)
    audit.record(
        actor, "public_comment.merge", target, f"group {other.id} merged into group {target.id}"
    )
    db.session.commit()


def _note_grouping_edit(
    actor: Any, action: GroupingAction, case_id: int, comment_ids: Sequence[int], with_id: int
) -> None:
    """Keep a staff decision about these comments' group, for every later grouping run."""
    db.session.add_all(
        GroupingEdit(
            case_id=case_id,
            comment_id=comment_id,
            action=action,
            with_comment_id=with_id,
            edited_by_id=getattr(actor, "id", None),
        )
        for comment_id in comment_ids
    )


def member_decisions(group_id: int) -> dict[int, GroupingEdit]:
    """The latest staff decision of each member of a group, with who made it (one statement,
    whatever the group's size)."""
    members = sa.select(Comment.id).where(Comment.group_id == group_id)
    edits = db.session.scalars(
        sa.select(GroupingEdit)
        .where(GroupingEdit.comment_id.in_(members))
        .order_by(GroupingEdit.id)
    ).all()
    return {edit.comment_id: edit for edit in edits}


def paraphrases_to_check(case_id: int) -> dict[int, int]:
    """Per group, how many members joined as paraphrases (lower confidence) that staff have
    not confirmed yet (one statement)."""
    confirmed = sa.exists().where(
        GroupingEdit.comment_id == Comment.id, GroupingEdit.action == GroupingAction.CONFIRM
    )
    return dict(
        db.session.execute(
            sa.select(Comment.group_id, sa.func.count(Comment.id))
            .where(
                Comment.case_id == case_id,
                Comment.group_id.is_not(None),
                Comment.group_reason["kind"].as_string() == "paraphrase",
                ~confirmed,
            )
            .group_by(Comment.group_id)
        ).all()
    )


def comments_per_section(case_id: int) -> list[tuple[str | None, int]]:
    """How many comments concern each part of the draft (one statement)."""
    return [
        (heading, count)
        for heading, count in db.session.execute(
            sa.select(DraftSection.heading, sa.func.count(Comment.id))
            .select_from(Comment)
            .outerjoin(DraftSection, DraftSection.id == Comment.section_id)
            .where(Comment.case_id == case_id)
            .group_by(DraftSection.position, DraftSection.heading)
            .order_by(DraftSection.position.nulls_first())
        )
    ]
