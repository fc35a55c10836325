"""Who may take a public seat (公募委員), as the city's guidelines say: pure functions of the
applicant's facts and the guidelines, each rule with its edge tested (tests/councils/
test_eligibility.py). The service gathers the facts (services.membership_facts) and calls these."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from app.councils.models import (
    CouncilGuidelines,
    RecruitmentCall,
)


def count_characters(text: str | None) -> int:
    """Count characters as the city does: Unicode characters (code points) after NFC
    normalisation, so full-width and half-width characters count one each and a character
    typed as a base letter plus a combining mark counts once; line breaks are not counted.
    app/static/js/councils.js counts the same way for the live counter."""
    if not text:
        return 0
    normalised = unicodedata.normalize("NFC", text)
    return sum(1 for ch in normalised if ch not in "\r\n")


def essay_length_error(call: RecruitmentCall, essay: str | None) -> str | None:
    """The call's rule on the essay's length, or None when it is kept. The application form
    checks it with its other fields, so one submit reports every error; the service again."""
    length = count_characters(essay)
    if call.essay_min_chars <= length <= call.essay_max_chars:
        return None
    return _(
        "The essay has %(count)s characters; it must have between %(min)s and %(max)s.",
        count=length,
        min=call.essay_min_chars,
        max=call.essay_max_chars,
    )


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day`: a person is 18 from their 18th birthday on."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


@dataclass(frozen=True)
class EligibilityFacts:
    birth_date: date
    closing_date: date
    residency: str
    address: str
    current_memberships: int
    pending_appointments: int
    consecutive_terms: int
    declared_exclusions: frozenset[str]


def eligibility_reasons(facts: EligibilityFacts, guidelines: CouncilGuidelines) -> list[str]:
    """Why an applicant may not take a public seat, as reason codes (models.INELIGIBILITY_LABELS);
    an empty list means eligible. Memberships appointed but not yet begun count as held."""
    reasons = []
    if age_on(facts.birth_date, facts.closing_date) < guidelines.minimum_age:
        reasons.append("too_young")
    if facts.residency not in guidelines.residency_categories:
        reasons.append("residency")
    elif facts.residency == "lives" and not address_in_city(facts.address):
        # 在住 is a fact of the address; 在勤 and 在学 are not, so only this one is checked.
        reasons.append("address")
    held = facts.current_memberships + facts.pending_appointments
    if held >= guidelines.max_concurrent_memberships:
        reasons.append("too_many_memberships")
    if facts.consecutive_terms >= guidelines.max_consecutive_terms:
        reasons.append("consecutive_terms")
    for exclusion in guidelines.exclusions:
        if exclusion in facts.declared_exclusions:
            reasons.append(f"exclusion:{exclusion}")
    return reasons


# How an address in the city is written: 熊本市 (also in full-width or with spaces, folded by
# NFKC), or romanised as Kumamoto City / Kumamoto-shi.
CITY_ADDRESS_NAMES = ("熊本市", "kumamotocity", "kumamoto-shi", "kumamotoshi")


def address_in_city(address: str) -> bool:
    """Whether an address is in Kumamoto City: it names the city (熊本市). A ward alone
    (中央区…) is not enough, since other cities have wards of the same names."""
    folded = "".join(unicodedata.normalize("NFKC", address or "").lower().split())
    return any(name in folded for name in CITY_ADDRESS_NAMES)


def consecutive_terms(terms: Iterable[tuple[date, date]], next_start: date) -> int:
    """How many terms, given as (appointed on, last day), form an unbroken run that ends just
    before `next_start`; a gap of more than 31 days between terms breaks the run."""
    count, start = 0, next_start
    for appointed_on, last_day in sorted(terms, key=lambda t: t[1], reverse=True):
        if last_day >= start:  # overlaps the run (e.g. the current term): not an earlier term
            continue
        if (start - last_day).days > 31:
            break
        count += 1
        start = appointed_on
    return count
