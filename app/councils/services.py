"""Every change to councils, meetings, calls and applications goes through here; views, the CLI
and the tests call these functions, nothing else writes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.core import audit, clock, reviewers
from app.core.db import begin_write
from app.core.domain import DomainError
from app.core.i18n import fiscal_year, to_jst
from app.core.mail import queue_mail
from app.core.receipts import format_receipt, next_receipt_number
from app.core.urls import public_url
from app.councils.eligibility import (
    EligibilityFacts,
    consecutive_terms,
    eligibility_reasons,
    essay_length_error,
)
from app.councils.lottery import lottery_order, seat_numbers
from app.councils.models import (
    Application,
    ApplicationStatus,
    Council,
    CouncilGuidelines,
    CouncilMeeting,
    CouncilMember,
    Gender,
    MeetingOpenness,
    MemberCategory,
    ObserverRegistration,
    RecruitmentCall,
    Residency,
    ReviewerAssignment,
    ReviewScore,
)
from app.extensions import db
from app.plan import services as plan_services

DEFAULT_INITIATIVE_NUMBER = 7  # 審議会への公募委員の登用促進
MIN_NOTICE_DAYS = 7
MIN_CALL_DAYS = 21

COUNCIL_FIELDS = [
    "department_id",
    "name_ja",
    "name_en",
    "purpose_ja",
    "purpose_en",
    "legal_basis_ja",
    "legal_basis_en",
    "total_seats",
    "public_seat_target",
    "term_years",
    "meetings_open_by_default",
]
GUIDELINE_FIELDS = [
    "minimum_age",
    "residency_categories",
    "exclusions",
    "max_concurrent_memberships",
    "max_consecutive_terms",
    "public_seat_target_percent",
    "women_target_percent",
]
CALL_FIELDS = [
    "initiative_id",
    "title_ja",
    "title_en",
    "purpose_ja",
    "purpose_en",
    "seats",
    "opens_at",
    "closes_at",
    "term_starts_on",
    "term_ends_on",
    "meeting_frequency_ja",
    "meeting_frequency_en",
    "fee_per_meeting",
    "essay_theme_ja",
    "essay_theme_en",
    "essay_min_chars",
    "essay_max_chars",
    "selection_method",
    "criteria_ja",
    "criteria_en",
    "pass_mark",
    "contact_ja",
    "contact_en",
]
MEETING_FIELDS = [
    "title_ja",
    "title_en",
    "starts_at",
    "place_ja",
    "place_en",
    "openness",
    "closed_reason_ja",
    "closed_reason_en",
    "observer_seats",
]


class CouncilError(DomainError):
    """A request the council rules refuse (core.domain.DomainError)."""


# Guidelines ------------------------------------------------------------------------------


def get_guidelines() -> CouncilGuidelines:
    """The city's single guidelines record, made with the defaults the first time it is read."""
    guidelines = db.session.scalar(sa.select(CouncilGuidelines).order_by(CouncilGuidelines.id))
    if guidelines is None:
        guidelines = CouncilGuidelines()
        db.session.add(guidelines)
        db.session.flush()
    return guidelines


def update_guidelines(actor: Any, **values: Any) -> CouncilGuidelines:
    guidelines = get_guidelines()
    before = audit.snapshot(guidelines, GUIDELINE_FIELDS)
    for key, value in values.items():
        setattr(guidelines, key, value)
    guidelines.updated_by_id = actor.id
    audit.record(
        actor,
        "councils.guidelines.update",
        guidelines,
        "updated the council guidelines",
        before=before,
        after=audit.snapshot(guidelines, GUIDELINE_FIELDS),
    )
    db.session.commit()
    return guidelines


def sha256_hex(text: str) -> str:
    """SHA-256 of UTF-8 text in lowercase hexadecimal: the seed's published hash, and the
    stored form of an observer's cancel token."""
    return hashlib.sha256(text.encode()).hexdigest()


# Councils and members ----------------------------------------------------------------------


def save_council(actor: Any, council: Council | None, **values: Any) -> Council:
    created = council is None
    if council is None:
        council = Council()
        db.session.add(council)
        before = None
    else:
        before = audit.snapshot(council, COUNCIL_FIELDS)
    for key, value in values.items():
        setattr(council, key, value)
    db.session.flush()
    audit.record(
        actor,
        "councils.council.create" if created else "councils.council.update",
        council,
        f"{'created' if created else 'updated'} council {council.name_ja}",
        before=before,
        after=audit.snapshot(council, COUNCIL_FIELDS),
    )
    db.session.commit()
    return council


def add_member(
    actor: Any,
    council: Council,
    name: str,
    category: MemberCategory,
    appointed_on: date,
    term_ends_on: date,
    gender: Gender | None = None,
    user_id: int | None = None,
    application_id: int | None = None,
    commit: bool = True,
) -> CouncilMember:
    if term_ends_on < appointed_on:
        raise CouncilError(_("The term cannot end before the appointment."), "term_ends_on")
    member = CouncilMember(
        council_id=council.id,
        name=name,
        category=category,
        gender=gender,
        appointed_on=appointed_on,
        term_ends_on=term_ends_on,
        user_id=user_id,
        application_id=application_id,
    )
    db.session.add(member)
    db.session.flush()
    audit.record(
        actor,
        "councils.member.appoint",
        member,
        f"appointed a {category.value} member to council {council.id}",
        after={"council_id": council.id, "category": category.value},
    )
    if commit:
        db.session.commit()
    return member


def end_membership(actor: Any, member: CouncilMember, ended_on: date, reason: str) -> None:
    if ended_on < member.appointed_on:
        raise CouncilError(_("A membership cannot end before it began."), "ended_on")
    member.ended_on = ended_on
    audit.record(
        actor,
        "councils.member.end",
        member,
        f"ended membership: {reason}"[:500],
        after={"ended_on": ended_on.isoformat(), "reason": reason},
    )
    db.session.commit()


def memberships_on(day: date) -> sa.ColumnElement[bool]:
    """SQL condition: a member who holds the seat on `day`."""
    return sa.and_(
        CouncilMember.appointed_on <= day,
        CouncilMember.term_ends_on >= day,
        sa.or_(CouncilMember.ended_on.is_(None), CouncilMember.ended_on > day),
    )


def current_members(council: Council, day: date | None = None) -> list[CouncilMember]:
    day = day or clock.today()
    return list(
        db.session.scalars(
            sa.select(CouncilMember)
            .where(CouncilMember.council_id == council.id, memberships_on(day))
            .order_by(CouncilMember.category, CouncilMember.id)
        )
    )


# Meetings and observers --------------------------------------------------------------------


def save_meeting(
    actor: Any, council: Council, meeting: CouncilMeeting | None, **values: Any
) -> tuple[CouncilMeeting, list[str]]:
    """Schedule or change a meeting; returns it with warnings (a notice shorter than 7 days)."""
    openness = values.get("openness")
    if openness in (MeetingOpenness.CLOSED, MeetingOpenness.PARTLY_CLOSED) and not values.get(
        "closed_reason_ja"
    ):
        raise CouncilError(
            _("Give the reason why the meeting is closed or partly closed."), "closed_reason_ja"
        )
    if openness is MeetingOpenness.CLOSED:
        values["observer_seats"] = 0
    created = meeting is None
    if meeting is None:
        meeting = CouncilMeeting(council_id=council.id, noticed_at=clock.now())
        db.session.add(meeting)
        before = None
    else:
        before = audit.snapshot(meeting, MEETING_FIELDS)
    for key, value in values.items():
        setattr(meeting, key, value)
    db.session.flush()
    audit.record(
        actor,
        "councils.meeting.create" if created else "councils.meeting.update",
        meeting,
        f"{'scheduled' if created else 'changed'} meeting of council {council.id}",
        before=before,
        after=audit.snapshot(meeting, MEETING_FIELDS),
    )
    db.session.commit()
    warnings = []
    if meeting.notice_days < MIN_NOTICE_DAYS:
        warnings.append(
            _(
                "The meeting is announced only %(days)s days ahead; the guidelines ask for at "
                "least %(minimum)s.",
                days=max(meeting.notice_days, 0),
                minimum=MIN_NOTICE_DAYS,
            )
        )
    return meeting, warnings


def publish_minutes(actor: Any, meeting: CouncilMeeting, minutes_ja: str, minutes_en: str) -> None:
    meeting.minutes_ja = minutes_ja
    meeting.minutes_en = minutes_en
    meeting.minutes_published_at = clock.now()
    audit.record(actor, "councils.meeting.minutes", meeting, "published the minutes")
    db.session.commit()


def seats_taken(meeting: CouncilMeeting) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(ObserverRegistration.id)).where(
            ObserverRegistration.meeting_id == meeting.id,
            ObserverRegistration.cancelled_at.is_(None),
        )
    )


def register_observer(
    meeting_id: int, name: str, email: str, submission_token: str | None = None
) -> ObserverRegistration:
    """Take an observer seat, first come first served: the meeting row is locked while the seats
    are counted, so concurrent registrations never exceed the seats.

    The same submission token (the form's) finds the seat already booked, so a double click or
    a form sent again books once and mails once; the meeting's lock orders the two sends. An
    e-mail address holds one seat per meeting (compared in lower case): a second booking is
    refused with a message saying so, without its number, which went to that address.
    """
    email = email.strip().lower()
    begin_write()
    meeting = db.session.scalar(
        sa.select(CouncilMeeting).where(CouncilMeeting.id == meeting_id).with_for_update()
    )
    if meeting is None:
        raise CouncilError(_("There is no such meeting."))
    if submission_token:
        existing = db.session.scalar(
            sa.select(ObserverRegistration).where(
                ObserverRegistration.meeting_id == meeting.id,
                ObserverRegistration.submission_token == submission_token,
            )
        )
        if existing is not None:
            db.session.rollback()
            return existing
    if meeting.openness is MeetingOpenness.CLOSED or meeting.observer_seats <= 0:
        db.session.rollback()
        raise CouncilError(_("This meeting takes no observers."))
    if meeting.starts_at <= clock.now():
        db.session.rollback()
        raise CouncilError(_("Registration for this meeting has ended."))
    holds_seat = db.session.scalar(
        sa.select(ObserverRegistration.id).where(
            ObserverRegistration.meeting_id == meeting.id,
            sa.func.lower(ObserverRegistration.email) == email,
            ObserverRegistration.cancelled_at.is_(None),
        )
    )
    if holds_seat is not None:
        db.session.rollback()
        raise CouncilError(
            _(
                "This e-mail address already has a seat at this meeting; its number was sent "
                "to that address. One seat per address."
            )
        )
    if seats_taken(meeting) >= meeting.observer_seats:
        db.session.rollback()
        raise CouncilError(_("All observer seats are taken."))
    number = next_receipt_number(f"council-meeting:{meeting.id}")
    token = secrets.token_urlsafe(32)
    registration = ObserverRegistration(
        meeting_id=meeting.id,
        receipt_number=format_receipt(f"KM{meeting.id:04d}", number),
        submission_token=submission_token,
        name=name,
        email=email,
        cancel_token_hash=sha256_hex(token),
    )
    db.session.add(registration)
    db.session.flush()
    with force_locale("ja"):
        cancel_link = public_url(
            "councils.cancel_observer", registration_id=registration.id, token=token
        )
        body = render_template(
            "councils/mail/observer.txt",
            registration=registration,
            meeting=meeting,
            cancel_link=cancel_link,
        )
        queue_mail(
            email, _("Your observer seat: %(number)s", number=registration.receipt_number), body
        )
    db.session.commit()
    return registration


def check_observer_token(registration: ObserverRegistration, token: str) -> bool:
    """Whether `token` is the one in the seat's cancel link (seats booked before links were
    sent have none)."""
    if registration.cancel_token_hash is None:
        return False
    return hmac.compare_digest(registration.cancel_token_hash, sha256_hex(token))


def cancel_observer(registration_id: int) -> ObserverRegistration:
    """The person who booked gives the seat back (the link in the seat's mail), up to the
    start of the meeting; the row is kept, marked cancelled, and the seat is free for the next
    person. Under the meeting's lock, like booking, so a seat is never counted twice."""
    begin_write()
    registration = db.session.get(ObserverRegistration, registration_id)
    if registration is None:
        db.session.rollback()
        raise CouncilError(_("There is no such seat."))
    meeting = db.session.scalar(
        sa.select(CouncilMeeting)
        .where(CouncilMeeting.id == registration.meeting_id)
        .with_for_update()
    )
    db.session.refresh(registration)
    if registration.cancelled_at is not None:
        db.session.rollback()
        raise CouncilError(_("This seat has already been cancelled."))
    if meeting.starts_at <= clock.now():
        db.session.rollback()
        raise CouncilError(_("The meeting has begun; the seat can no longer be cancelled."))
    registration.cancelled_at = clock.now()
    db.session.commit()
    return registration


# Recruitment calls ---------------------------------------------------------------------------


def call_warnings(call: RecruitmentCall) -> list[str]:
    days = (call.closes_at - call.opens_at).days
    if days < MIN_CALL_DAYS:
        return [
            _(
                "The call is open for only %(days)s days; the guidelines ask for at least "
                "three weeks.",
                days=days,
            )
        ]
    return []


def save_call(
    actor: Any, council: Council, call: RecruitmentCall | None, **values: Any
) -> tuple[RecruitmentCall, list[str]]:
    if values["closes_at"] <= values["opens_at"]:
        raise CouncilError(_("The call must close after it opens."), "closes_at")
    if values["essay_max_chars"] < values["essay_min_chars"]:
        raise CouncilError(_("The maximum length is below the minimum."), "essay_max_chars")
    if values["term_ends_on"] < values["term_starts_on"]:
        raise CouncilError(_("The term cannot end before it starts."), "term_ends_on")
    if values["seats"] > council.total_seats:
        raise CouncilError(_("The call offers more seats than the council has."), "seats")
    created = call is None
    # Staff choose the initiative a call fulfils; without a choice it is 7 (公募委員の登用促進),
    # or for a call being changed, the one it had.
    if not values.get("initiative_id"):
        values["initiative_id"] = (
            call.initiative_id
            if call
            else plan_services.default_initiative_id(DEFAULT_INITIATIVE_NUMBER, CouncilError)
        )
    if call is None:
        call = RecruitmentCall(council_id=council.id, department_id=council.department_id)
        db.session.add(call)
        before = None
    else:
        if call.applications:
            raise CouncilError(_("A call that has applications can no longer be changed."))
        before = audit.snapshot(call, CALL_FIELDS)
    for key, value in values.items():
        setattr(call, key, value)
    call.fiscal_year = fiscal_year(call.opens_at)
    db.session.flush()
    audit.record(
        actor,
        "councils.call.create" if created else "councils.call.update",
        call,
        f"{'created' if created else 'updated'} recruitment call {call.id}",
        before=before,
        after=audit.snapshot(call, CALL_FIELDS),
    )
    db.session.commit()
    return call, call_warnings(call)


def publish_call(actor: Any, call: RecruitmentCall) -> None:
    call.published = True
    audit.record(actor, "councils.call.publish", call, f"published recruitment call {call.id}")
    db.session.commit()


# Applications ------------------------------------------------------------------------------


def membership_facts(
    user_id: int, council_id: int, day: date, term_start: date
) -> tuple[int, int, int]:
    """Of an account: (memberships held on `day`, appointments made but not yet begun on
    `day`, consecutive terms on this council up to `term_start`)."""
    rows = db.session.execute(
        sa.select(
            CouncilMember.council_id,
            CouncilMember.appointed_on,
            CouncilMember.term_ends_on,
            CouncilMember.ended_on,
        ).where(CouncilMember.user_id == user_id)
    ).all()
    current = pending = 0
    terms = []
    for member_council, appointed_on, term_ends_on, ended_on in rows:
        if ended_on is None or ended_on > day:
            if appointed_on > day:
                pending += 1
            elif term_ends_on >= day:
                current += 1
        if member_council == council_id:
            last_day = min(term_ends_on, ended_on) if ended_on else term_ends_on
            terms.append((appointed_on, last_day))
    return current, pending, consecutive_terms(terms, term_start)


def submit_application(user: Any, call_id: int, **values: Any) -> Application:
    """Store an application with its receipt number and eligibility result, in one
    transaction, and queue the receipt e-mail. Ineligible applications are stored too."""
    begin_write()
    call = db.session.scalar(
        sa.select(RecruitmentCall).where(RecruitmentCall.id == call_id).with_for_update()
    )
    if call is None or not call.published:
        db.session.rollback()
        raise CouncilError(_("There is no such call."))
    now = clock.now()
    if not call.is_open(now):
        db.session.rollback()
        raise CouncilError(_("This call is not open for applications."))
    already = db.session.scalar(
        sa.select(Application.id).where(
            Application.call_id == call.id,
            Application.user_id == user.id,
            Application.withdrawn_at.is_(None),
        )
    )
    if already is not None:
        db.session.rollback()
        raise CouncilError(_("You have already applied to this call."))
    essay_error = essay_length_error(call, values["essay"])
    if essay_error:
        db.session.rollback()
        raise CouncilError(essay_error, "essay")
    values["residency"] = Residency(values["residency"])
    closing_date = to_jst(call.closes_at).date()
    current, pending, terms = membership_facts(
        user.id, call.council_id, closing_date, call.term_starts_on
    )
    facts = EligibilityFacts(
        birth_date=values["birth_date"],
        closing_date=closing_date,
        residency=values["residency"].value,
        address=values["address"],
        current_memberships=current,
        pending_appointments=pending,
        consecutive_terms=terms,
        declared_exclusions=frozenset(values["declared_exclusions"]),
    )
    reasons = eligibility_reasons(facts, get_guidelines())
    number = next_receipt_number(f"council-call:{call.id}")
    application = Application(
        call_id=call.id,
        user_id=user.id,
        number=number,
        receipt_number=format_receipt(call.receipt_prefix, number),
        status=ApplicationStatus.INELIGIBLE if reasons else ApplicationStatus.SUBMITTED,
        ineligible_reasons=reasons,
        **values,
    )
    db.session.add(application)
    db.session.flush()
    _mail_applicant(application, "received")
    db.session.commit()
    return application


def withdraw_application(user: Any, application_id: int, reason: str) -> Application:
    """The applicant withdraws (辞退), before the closing date or after it, until the selection:
    kept, with who, when and why, and left out of screening, the lottery and the figures.
    Withdrawn before the lottery's commitment, the number is not in the published pool;
    withdrawn after it, the published pool and order stay as they are and the number is passed
    over when the seats are given (seat_numbers)."""
    begin_write()
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id).with_for_update()
    )
    if application is None or application.user_id != user.id:
        db.session.rollback()
        raise CouncilError(_("There is no such application."))
    if (
        application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE)
        or application.call.selected_at is not None
    ):
        db.session.rollback()
        raise CouncilError(_("This application can no longer be withdrawn."))
    before = audit.snapshot(application, ["status"])
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_at = clock.now()
    application.withdrawn_reason = reason
    application.withdrawn_by_id = user.id
    audit.record(
        user,
        "councils.application.withdraw",
        application,
        f"withdrew {application.receipt_number}",
        before=before,
        after=audit.snapshot(application, ["status"]),
    )
    db.session.commit()
    return application


def _mail_applicant(application: Application, kind: str) -> None:
    """The receipt ("received") or the outcome ("outcome"), in the applicant's language."""
    language = getattr(application.user, "language", None) or "ja"
    with force_locale(language):
        link = public_url("councils.my_application", application_id=application.id)
        number = application.receipt_number
        if kind == "received":
            subject = _("Application received: %(number)s", number=number)
        else:
            subject = _("Result of your application: %(number)s", number=number)
        body = render_template(f"councils/mail/{kind}.txt", application=application, link=link)
        queue_mail(application.email, subject, body)


# Screening ---------------------------------------------------------------------------------


def assign_reviewer(actor: Any, call: RecruitmentCall, reviewer: Any) -> ReviewerAssignment:
    assignment, new = reviewers.assign(ReviewerAssignment, call.id, reviewer.id)
    if not new:
        return assignment
    audit.record(
        actor, "councils.reviewer.assign", assignment, f"assigned reviewer to call {call.id}"
    )
    with force_locale(reviewer.language or "ja"):
        link = public_url("councils_review.call_for_review", call_id=call.id)
        body = render_template("councils/mail/reviewer.txt", call=call, link=link)
        queue_mail(
            reviewer.email, _("Applications to score: %(title)s", title=call.tr("title")), body
        )
    db.session.commit()
    return assignment


def is_assigned(reviewer: Any, call_id: int) -> bool:
    return reviewers.is_assigned(ReviewerAssignment, reviewer.id, call_id)


def reviewable_applications(call: RecruitmentCall) -> sa.Select[Any]:
    return sa.select(Application).where(
        Application.call_id == call.id, Application.status == ApplicationStatus.SUBMITTED
    )


def record_score(
    reviewer: Any, application: Application, points: list[int], comment: str
) -> ReviewScore:
    call = application.call
    if not call.selection_method.uses_review or call.selected_at is not None:
        raise CouncilError(_("Scores are not taken for this call."))
    if call.lottery_committed_at is not None:
        # The pool was chosen by the scores and published: a later score would not change it.
        raise CouncilError(_("The lottery's pool is published; the scores can no longer change."))
    if application.status is not ApplicationStatus.SUBMITTED:
        raise CouncilError(_("This application is not being screened."))
    if len(points) != len(call.criteria()) or any(not 0 <= p <= 5 for p in points):
        raise CouncilError(_("Give every criterion a score from 0 to 5."))
    score = db.session.scalar(
        sa.select(ReviewScore).where(
            ReviewScore.application_id == application.id,
            ReviewScore.reviewer_id == reviewer.id,
        )
    )
    if score is None:
        score = ReviewScore(application_id=application.id, reviewer_id=reviewer.id)
        db.session.add(score)
    score.points = points
    score.total = sum(points)
    score.comment = comment
    db.session.flush()
    audit.record(reviewer, "councils.review.score", score, f"scored {application.receipt_number}")
    db.session.commit()
    return score


def combined_scores(call_id: int) -> dict[int, tuple[float, int]]:
    """{application id: (average total over reviewers, number of reviewers)}, in SQL."""
    rows = db.session.execute(
        sa.select(
            ReviewScore.application_id,
            sa.func.avg(ReviewScore.total),
            sa.func.count(ReviewScore.id),
        )
        .join(Application, ReviewScore.application_id == Application.id)
        .where(Application.call_id == call_id)
        .group_by(ReviewScore.application_id)
    )
    return {app_id: (float(avg), count) for app_id, avg, count in rows}


def lottery_pool(call: RecruitmentCall) -> list[Application]:
    """Eligible applications that enter the lottery: all of them, or for screening then
    lottery those whose average score reaches the pass mark."""
    applications = db.session.scalars(reviewable_applications(call)).all()
    if call.selection_method.uses_review:
        scores = combined_scores(call.id)
        mark = call.pass_mark or 0
        applications = [a for a in applications if scores.get(a.id, (-1.0, 0))[0] >= mark]
    return list(applications)


def _lock_lottery_call(call: RecruitmentCall) -> RecruitmentCall:
    """The call, locked for a step of its lottery (commitment, draw), which it must use."""
    begin_write()
    locked = db.session.scalar(
        sa.select(RecruitmentCall).where(RecruitmentCall.id == call.id).with_for_update()
    )
    if not locked.selection_method.uses_lottery:
        db.session.rollback()
        raise CouncilError(_("This call is not decided by lottery."))
    return locked


def commit_lottery(actor: Any, call: RecruitmentCall, seed: str | None = None) -> str:
    """Commit to the lottery before drawing it, once, after the call closes: publish the pool
    (the receipt numbers that enter it) and the SHA-256 of a seed drawn now by the server, and
    keep the seed secret until the draw. Nobody can then choose an order: the pool is fixed, the
    seed cannot be changed without its hash giving it away, and a second commitment is refused.
    Returns the published hash. `seed` is for tests; staff cannot give one."""
    locked = _lock_lottery_call(call)
    if locked.lottery_committed_at is not None or locked.lottery_drawn_at is not None:
        db.session.rollback()
        raise CouncilError(_("The lottery's pool and seed hash have already been published."))
    if locked.closes_at > clock.now():
        db.session.rollback()
        raise CouncilError(_("The lottery's pool is published after the call closes."))
    locked.lottery_pool = sorted(a.receipt_number for a in lottery_pool(locked))
    locked.lottery_seed = seed or secrets.token_hex(16)
    locked.lottery_seed_hash = sha256_hex(locked.lottery_seed)
    locked.lottery_committed_at = clock.now()
    audit.record(
        actor,
        "councils.call.lottery_commit",
        locked,
        f"published the lottery pool and seed hash for call {locked.id}",
        # Not the seed: the audit log is read by people who must not know it before the draw.
        after={"pool": locked.lottery_pool, "seed_hash": locked.lottery_seed_hash},
    )
    db.session.commit()
    return locked.lottery_seed_hash


def draw_lottery(actor: Any, call: RecruitmentCall) -> list[str]:
    """Draw the committed lottery, once: publish the seed and the order it gives the published
    pool (lottery_order), so anyone can check the hash and re-run the order."""
    locked = _lock_lottery_call(call)
    if locked.lottery_drawn_at is not None:
        db.session.rollback()
        raise CouncilError(_("The lottery has already been drawn."))
    if locked.lottery_committed_at is None:
        db.session.rollback()
        raise CouncilError(_("Publish the pool and the seed hash before the draw."))
    locked.lottery_order = lottery_order(locked.lottery_seed, locked.lottery_pool or [])
    locked.lottery_drawn_at = clock.now()
    audit.record(
        actor,
        "councils.call.lottery",
        locked,
        f"drew the lottery for call {locked.id}",
        after={"seed": locked.lottery_seed, "order": locked.lottery_order},
    )
    db.session.commit()
    return locked.lottery_order


def ranked_applications(
    call: RecruitmentCall,
) -> list[tuple[Application, float | None, int | None]]:
    """Eligible applications in the order selection considers them: lottery order, or the
    combined score (highest first, then receipt order); with (average, lottery position)."""
    applications = db.session.scalars(
        reviewable_applications(call).order_by(Application.number)
    ).all()
    scores = combined_scores(call.id)
    position = {r: i + 1 for i, r in enumerate(call.lottery_order or [])}
    rows = [
        (a, scores[a.id][0] if a.id in scores else None, position.get(a.receipt_number))
        for a in applications
    ]
    if call.lottery_order is not None:
        rows.sort(key=lambda row: (row[2] is None, row[2] or 0))
    else:
        rows.sort(key=lambda row: (row[1] is None, -(row[1] or 0), row[0].number))
    return rows


def select_applicants(
    actor: Any, call: RecruitmentCall, application_ids: list[int]
) -> list[CouncilMember]:
    """Appoint the chosen applicants (a membership for the call's term each) and tell every
    applicant the outcome by e-mail."""
    if call.selected_at is not None:
        raise CouncilError(_("The selection for this call has already been made."))
    if call.closes_at > clock.now():
        raise CouncilError(_("Applicants are selected after the call closes."))
    if call.selection_method.uses_lottery and call.lottery_drawn_at is None:
        raise CouncilError(_("Draw the lottery first."))
    if not application_ids:
        raise CouncilError(_("Choose at least one applicant."))
    if len(set(application_ids)) > call.seats:
        raise CouncilError(_("You chose more applicants than there are seats."))
    eligible = {a.id: a for a in db.session.scalars(reviewable_applications(call))}
    if any(i not in eligible for i in application_ids):
        raise CouncilError(_("Only eligible applications can be selected."))
    if call.lottery_order is not None:
        allowed = set(seat_numbers(call))
        if any(eligible[i].receipt_number not in allowed for i in application_ids):
            raise CouncilError(_("A lottery call appoints the first numbers in the drawn order."))
    members = []
    for application in eligible.values():
        if application.id in application_ids:
            application.status = ApplicationStatus.SELECTED
            members.append(
                add_member(
                    actor,
                    call.council,
                    application.name,
                    MemberCategory.PUBLIC,
                    call.term_starts_on,
                    call.term_ends_on,
                    gender=application.gender,
                    user_id=application.user_id,
                    application_id=application.id,
                    commit=False,
                )
            )
        else:
            application.status = ApplicationStatus.NOT_SELECTED
    call.selected_at = clock.now()
    audit.record(
        actor,
        "councils.call.select",
        call,
        f"selected {len(members)} applicants for call {call.id}",
        after={"selected": sorted(application_ids)},
    )
    for application in call.applications:
        if application.status is not ApplicationStatus.WITHDRAWN:
            _mail_applicant(application, "outcome")
    db.session.commit()
    return members


# Reading for pages ---------------------------------------------------------------------------


def councils_with_counts(day: date) -> list[tuple[Council, int, int]]:
    """Every council with (current members, current public members): two statements."""
    counts = dict(
        (row[0], (row[1], row[2]))
        for row in db.session.execute(
            sa.select(
                CouncilMember.council_id,
                sa.func.count(CouncilMember.id),
                sa.func.sum(sa.case((CouncilMember.category == MemberCategory.PUBLIC, 1), else_=0)),
            )
            .where(memberships_on(day))
            .group_by(CouncilMember.council_id)
        )
    )
    councils = db.session.scalars(
        sa.select(Council).options(selectinload(Council.department)).order_by(Council.id)
    ).all()
    return [(c, *(int(v or 0) for v in counts.get(c.id, (0, 0)))) for c in councils]


def public_calls(initiative_id: int | None = None) -> list[RecruitmentCall]:
    stmt = (
        sa.select(RecruitmentCall)
        .where(RecruitmentCall.published.is_(True))
        .options(selectinload(RecruitmentCall.council))
        .order_by(RecruitmentCall.closes_at.desc())
    )
    if initiative_id is not None:
        stmt = stmt.where(RecruitmentCall.initiative_id == initiative_id)
    return list(db.session.scalars(stmt))


# Reading for the activity kind (activity.py) and the staff pages ------------------------------


def councils_initiative_id() -> int | None:
    """Initiative 7 (審議会への公募委員の登用促進) of the current plan, the initiative of opening
    councils to citizens: a new call's default, and the one council meeting observers count
    under. None before the response table is loaded."""
    return plan_services.initiative_id(DEFAULT_INITIATIVE_NUMBER)


def end_of_day(day: date) -> datetime:
    """23:59 Asia/Tokyo of `day`, the usual closing minute of a call."""
    from datetime import time

    from app.core.i18n import jst_to_utc

    return jst_to_utc(day, time(23, 59))
