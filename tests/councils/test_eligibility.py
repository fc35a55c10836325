"""The eligibility rules, the character count and the lottery as pure functions, at their
boundaries."""

from datetime import date

import pytest

from app.councils.eligibility import (
    EligibilityFacts,
    age_on,
    consecutive_terms,
    count_characters,
    eligibility_reasons,
)
from app.councils.lottery import LOTTERY_SOURCE, lottery_order
from app.councils.models import CouncilGuidelines

CLOSING = date(2025, 6, 30)


def guidelines(**overrides):
    values = {
        "minimum_age": 18,
        "residency_categories": ["lives", "works", "studies"],
        "exclusions": ["city_employee", "assembly_member"],
        "max_concurrent_memberships": 3,
        "max_consecutive_terms": 3,
        "public_seat_target_percent": 10,
        "women_target_percent": 40,
    }
    values.update(overrides)
    return CouncilGuidelines(**values)


def facts(**overrides):
    values = {
        "birth_date": date(1980, 1, 1),
        "closing_date": CLOSING,
        "residency": "lives",
        "address": "熊本市中央区手取本町1番1号",
        "current_memberships": 0,
        "pending_appointments": 0,
        "consecutive_terms": 0,
        "declared_exclusions": frozenset(),
    }
    values.update(overrides)
    return EligibilityFacts(**values)


def test_a_typical_citizen_is_eligible():
    assert eligibility_reasons(facts(), guidelines()) == []


def test_eighteen_exactly_on_the_closing_date_is_eligible():
    assert eligibility_reasons(facts(birth_date=date(2007, 6, 30)), guidelines()) == []


def test_eighteen_the_day_after_the_closing_date_is_not():
    assert eligibility_reasons(facts(birth_date=date(2007, 7, 1)), guidelines()) == ["too_young"]


def test_the_minimum_age_comes_from_the_guidelines():
    assert (
        eligibility_reasons(facts(birth_date=date(2005, 6, 30)), guidelines(minimum_age=20)) == []
    )
    assert eligibility_reasons(facts(birth_date=date(2005, 7, 1)), guidelines(minimum_age=20)) == [
        "too_young"
    ]


def test_age_on_a_leap_day_birthday():
    assert age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17
    assert age_on(date(2004, 2, 29), date(2022, 3, 1)) == 18


@pytest.mark.parametrize("residency", ["lives", "works", "studies"])
def test_each_accepted_residency_category(residency):
    assert eligibility_reasons(facts(residency=residency), guidelines()) == []


def test_no_link_to_the_city_is_refused_and_categories_are_editable():
    assert eligibility_reasons(facts(residency="none"), guidelines()) == ["residency"]
    assert eligibility_reasons(
        facts(residency="studies"), guidelines(residency_categories=["lives"])
    ) == ["residency"]


def test_concurrent_limit_one_below_is_eligible():
    assert eligibility_reasons(facts(current_memberships=2), guidelines()) == []


def test_concurrent_limit_reached_by_current_memberships():
    assert eligibility_reasons(facts(current_memberships=3), guidelines()) == [
        "too_many_memberships"
    ]


def test_concurrent_limit_counts_pending_appointments():
    assert eligibility_reasons(
        facts(current_memberships=2, pending_appointments=1), guidelines()
    ) == ["too_many_memberships"]
    assert eligibility_reasons(facts(pending_appointments=3), guidelines()) == [
        "too_many_memberships"
    ]
    assert (
        eligibility_reasons(facts(current_memberships=1, pending_appointments=1), guidelines())
        == []
    )


def test_consecutive_terms_limit():
    assert eligibility_reasons(facts(consecutive_terms=2), guidelines()) == []
    assert eligibility_reasons(facts(consecutive_terms=3), guidelines()) == ["consecutive_terms"]


@pytest.mark.parametrize("exclusion", ["city_employee", "assembly_member"])
def test_each_declared_exclusion(exclusion):
    assert eligibility_reasons(facts(declared_exclusions=frozenset({exclusion})), guidelines()) == [
        f"exclusion:{exclusion}"
    ]


def test_an_exclusion_the_guidelines_drop_no_longer_applies():
    assert (
        eligibility_reasons(
            facts(declared_exclusions=frozenset({"city_employee"})),
            guidelines(exclusions=["assembly_member"]),
        )
        == []
    )


def test_all_reasons_are_given_together():
    reasons = eligibility_reasons(
        facts(
            birth_date=date(2010, 1, 1),
            residency="none",
            current_memberships=3,
            declared_exclusions=frozenset({"city_employee", "assembly_member"}),
        ),
        guidelines(),
    )
    assert reasons == [
        "too_young",
        "residency",
        "too_many_memberships",
        "exclusion:city_employee",
        "exclusion:assembly_member",
    ]


def test_consecutive_terms_counts_an_unbroken_run():
    start = date(2026, 4, 1)
    terms = [
        (date(2020, 4, 1), date(2022, 3, 31)),
        (date(2022, 4, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2026, 3, 31)),
    ]
    assert consecutive_terms(terms, start) == 3
    # A gap of more than a month breaks the run.
    assert consecutive_terms([(date(2018, 4, 1), date(2020, 1, 31)), *terms[1:]], start) == 2
    assert consecutive_terms([terms[0]], start) == 0


def test_characters_are_counted_as_the_city_does():
    assert count_characters("あいう") == 3
    assert count_characters("ＡＢＣ") == 3  # full-width letters count one each
    assert count_characters("ABC") == 3
    assert count_characters("ｱｲｳ") == 3  # half-width kana too
    assert count_characters("一行目\n二行目\r\n三") == 7  # line breaks are not counted
    assert count_characters("が") == 1  # か + combining voiced mark, normalised to one
    assert count_characters("𠮷野家") == 3  # a character outside the BMP counts once
    assert count_characters("") == 0


def test_the_same_seed_gives_the_same_lottery_order():
    receipts = [f"KB001-{n:05d}" for n in range(1, 30)]
    first = lottery_order("seed-1", receipts)
    assert first == lottery_order("seed-1", list(reversed(receipts)))
    assert sorted(first) == sorted(receipts)
    assert first != lottery_order("seed-2", receipts)


def test_the_published_source_reruns_the_lottery():
    namespace: dict = {}
    exec(LOTTERY_SOURCE, namespace)  # the code printed on the lottery page
    receipts = [f"KB001-{n:05d}" for n in range(1, 30)]
    assert namespace["lottery_order"]("abc", receipts) == lottery_order("abc", receipts)


@pytest.mark.parametrize(
    "address",
    [
        "熊本市中央区手取本町1番1号",
        "熊本県熊本市北区植木町1",
        "熊本 市東区",
        "1-1 Tetori-honcho, Chuo-ku, Kumamoto City",
    ],
)
def test_lives_in_the_city_with_an_address_in_the_city(address):
    assert eligibility_reasons(facts(address=address), guidelines()) == []


@pytest.mark.parametrize(
    "address", ["福岡県福岡市中央区天神1丁目", "中央区水前寺1丁目", "熊本県合志市竹迫", ""]
)
def test_lives_in_the_city_with_an_address_elsewhere_is_not(address):
    assert eligibility_reasons(facts(address=address), guidelines()) == ["address"]


@pytest.mark.parametrize("residency", ["works", "studies"])
def test_working_or_studying_in_the_city_needs_no_address_in_it(residency):
    assert eligibility_reasons(facts(residency=residency, address="福岡市"), guidelines()) == []
