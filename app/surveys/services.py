"""Every state change of surveys, the panel and feedback (DESIGN.md §3): views, CLI commands,
the demo and tests call these, nothing else writes. Each staff change writes the audit log.

CONTRACT (filled in by the services helper; signatures are fixed, other helpers code against
them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.core.domain import DomainError
from app.surveys.models import (
    PanelMember,
    PanelTerm,
    Question,
    Response,
    Source,
    Survey,
)


class SurveyError(DomainError):
    """A refused change, with a message for the person and the field it concerns."""


# Surveys: drafting, approval, opening, closing ----------------------------------------------


def save_survey(actor: Any, survey: Survey | None, **fields: Any) -> Survey:
    """Create or update a draft (only DRAFT surveys are edited); window checked (closes after
    opens), audience PANEL needs a panel term, PARTICIPANTS needs sessions (`session_ids`)."""
    raise NotImplementedError


def save_question(actor: Any, survey: Survey, question: Question | None, **fields: Any) -> Question:
    """Add or edit a question of a draft; options for choice kinds (at least two), rows for a
    matrix; a condition only on an EARLIER choice question, with option indexes that exist."""
    raise NotImplementedError


def move_question(actor: Any, question: Question, offset: int) -> None: ...


def remove_question(actor: Any, question: Question) -> None:
    """Only from a draft (no answers exist yet); conditions on it are removed too."""
    raise NotImplementedError


def submit_for_review(actor: Any, survey: Survey) -> None:
    """DRAFT → IN_REVIEW (needs at least one question)."""
    raise NotImplementedError


def approve(reviewer: Any, survey: Survey, note: str = "") -> None:
    """広聴課: IN_REVIEW → APPROVED (opens and closes by itself at its times); for a panel or
    participants survey the invitations are created and mailed (or made printable) now."""
    raise NotImplementedError


def return_survey(reviewer: Any, survey: Survey, note: str) -> None:
    """広聴課 sends it back to DRAFT with a note (required)."""
    raise NotImplementedError


def abandon(actor: Any, survey: Survey, reason: str) -> None: ...


def publish_results(
    actor: Any, survey: Survey, afterwards_ja: str = "", afterwards_en: str = ""
) -> None:
    """After the close: results public (results_published_at, status PUBLISHED)."""
    raise NotImplementedError


def save_afterwards(actor: Any, survey: Survey, afterwards_ja: str, afterwards_en: str) -> None:
    """「その後」: how the results were used, any time after publication."""
    raise NotImplementedError


def redact_answer(actor: Any, answer_id: int, redacted_text: str | None) -> None:
    """Publish a free-text answer as redacted (None: not published)."""
    raise NotImplementedError


# Answering ---------------------------------------------------------------------------------


@dataclass
class Access:
    """Who is answering: through a one-time code (invitation), an account, or openly."""

    source: Source
    invitation_id: int | None = None
    user_id: int | None = None
    ward_id: int | None = None
    age_band: Any = None


def access_for(survey: Survey, code: str | None, user: Any) -> Access | None:
    """Whether this person may answer now (None: may not): anyone for ANYONE; an account for
    ACCOUNTS; a valid unused invitation code for PANEL / PARTICIPANTS (or the account it was
    sent to)."""
    raise NotImplementedError


def visible_questions(survey: Survey, answers: dict[str, Any]) -> list[Question]:
    """The questions shown for these answers so far (conditions applied in order)."""
    raise NotImplementedError


def check_answers(survey: Survey, answers: dict[str, Any]) -> dict[int, str]:
    """{question id: message} for every visible required question left empty and every value
    out of range; answers to hidden questions are dropped, never stored."""
    raise NotImplementedError


def save_progress(survey: Survey, key: str, answers: dict[str, Any]) -> None:
    """Keep an unfinished response (ResponseDraft keyed by sha256 of `key`: the code, or
    "user:<id>")."""
    raise NotImplementedError


def load_progress(survey: Survey, key: str) -> dict[str, Any]: ...


def submit_response(
    survey: Survey, access: Access, answers: dict[str, Any], submission_token: str
) -> tuple[Response, bool]:
    """Store one response (created, or the one this token already stored): the survey must be
    open, the invitation unused (locked: two sendings of one code store one response), answers
    checked; the invitation marked used in the same transaction; anonymous → no link to the
    invitation or account and the day only. The draft is removed. Returns (response, created).

    `answers` maps str(question id) → a str (text, single option index, scale point, number,
    date ISO), a list of str (multiple option indexes), {"<row>": point} for a matrix, and
    "<qid>-other" → the text of 「その他」."""
    raise NotImplementedError


# The panel ---------------------------------------------------------------------------------


def create_term(actor: Any, **fields: Any) -> PanelTerm: ...


def import_residents(actor: Any, term: PanelTerm, csv_text: str) -> int:
    """The resident register's extract (CSV: register_ref, name, postal_code, address, ward
    code, birth date or age band); refuses the whole file with the line and reason of the first
    bad row (nothing half-imported); stores the population per stratum as the weights' source."""
    raise NotImplementedError


def publish_seed(actor: Any, term: PanelTerm, seed: str) -> None:
    """The seed is published before the draw (as the council lottery's commitment)."""
    raise NotImplementedError


def draw(actor: Any, term: PanelTerm) -> list[PanelMember]:
    """Stratified random draw by ward × age band, proportional to the population's shares
    (largest remainder), target_size × invite_ratio invitations, reproducible from the published
    seed alone (random.Random(seed) over residents ordered by register_ref); draw_rank kept for
    replacements; invitation letters' one-time codes returned once for printing (see
    `invitation_letters`)."""
    raise NotImplementedError


def stratum_plan(population: dict[str, int], size: int) -> dict[str, int]:
    """How many to draw per stratum: proportional, largest remainder, summing to `size`."""
    raise NotImplementedError


def accept(code: str, email: str = "", user: Any = None) -> PanelMember:
    """A drawn resident accepts with the letter's code (once)."""
    raise NotImplementedError


def decline(code: str) -> PanelMember: ...


def leave(member: PanelMember, reason: str = "") -> None:
    """A member leaves the panel (by their own choice on the site, or recorded by staff)."""
    raise NotImplementedError


def replace(actor: Any, member: PanelMember) -> PanelMember:
    """Invite the next undrawn... the next resident of the same stratum in the draw's order."""
    raise NotImplementedError


def balance(term: PanelTerm) -> list[dict[str, Any]]:
    """Members per stratum against the population's shares (for the staff page and results)."""
    raise NotImplementedError


# Participant feedback ----------------------------------------------------------------------


def offer_feedback(session_id: int) -> Survey | None:
    """The standard feedback questionnaire (how you heard, clarity, length, glad I took part,
    would take part again, free comment) for one held session: created approved and open for
    FEEDBACK_DAYS, invitations mailed with one-time links to the attended (or, without a
    check-in list, confirmed) registrations; initiative 18, or 19 for a collaboration
    project's event. Once per session."""
    raise NotImplementedError


def offer_feedback_for_held_sessions() -> int:
    """For cron: every session that ended and has no feedback questionnaire yet."""
    raise NotImplementedError


def feedback_window(now: datetime) -> tuple[datetime, datetime]: ...


def today() -> date: ...
