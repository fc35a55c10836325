"""The citizens' panel: the stratified draw reproduces from the published seed and follows the
strata's shares; the list is imported whole or not at all; accept, decline, leave, replace."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.surveys import services
from app.surveys.models import MemberState, PanelMember, Resident
from tests.surveys.conftest import (
    BANDS,
    WARDS,
    accept_all,
    drawn_term,
    make_term,
    residents_csv,
    term,
    user,
)

# Uneven strata, so that the quotas have remainders to share out.
COUNTS = {(w, b): 2 + (i * 7 + j * 3) % 9 for i, w in enumerate(WARDS) for j, b in enumerate(BANDS)}


def _drawn(term_id: int) -> list[tuple[str, str]]:
    return sorted(
        db.session.execute(
            sa.select(Resident.register_ref, Resident.age_band)
            .join(PanelMember, PanelMember.resident_id == Resident.id)
            .where(PanelMember.term_id == term_id)
        ).all()
    )


def test_the_largest_remainder_plan_by_hand():
    assert services.stratum_plan({"a": 5, "b": 3, "c": 2}, 5) == {"a": 3, "b": 1, "c": 1}
    assert services.stratum_plan({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert services.stratum_plan({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}
    plan = services.stratum_plan({"x": 18160, "y": 7, "z": 999}, 2124)
    assert sum(plan.values()) == 2124


def test_the_stratified_draw_reproduces_from_the_published_seed(app, kocho, frozen):
    with app.app_context():
        csv_text = residents_csv(COUNTS)
        first = drawn_term(kocho.id, seed="令和8年度-公開抽選", csv_text=csv_text, target_size=40)
        second = drawn_term(kocho.id, seed="令和8年度-公開抽選", csv_text=csv_text, target_size=40)
        other = drawn_term(kocho.id, seed="another seed", csv_text=csv_text, target_size=40)
        assert _drawn(first) == _drawn(second) and len(_drawn(first)) == 80
        assert _drawn(first) != _drawn(other)
        # Each stratum's count is the largest-remainder plan of the population × size.
        drawn_term_ = term(first)
        plan = services.stratum_plan(drawn_term_.population, 80)
        assert sum(plan.values()) == 80
        counts = Counter(
            f"{ward}|{band}"
            for ward, band in db.session.execute(
                sa.select(sa.literal_column("ward.code"), Resident.age_band)
                .select_from(PanelMember)
                .join(Resident, Resident.id == PanelMember.resident_id)
                .join(
                    sa.table("ward", sa.column("id"), sa.column("code")),
                    sa.literal_column("ward.id") == Resident.ward_id,
                )
                .where(PanelMember.term_id == first)
            ).all()
        )
        assert {k: v for k, v in plan.items() if v} == dict(counts)
        assert drawn_term_.population == {f"{w}|{b}": n for (w, b), n in COUNTS.items()}


def test_the_published_code_gives_the_same_order(app, kocho, frozen):
    namespace: dict = {}
    exec(services.DRAW_SOURCE, namespace)
    refs = [f"R{n:07d}" for n in range(1, 30)]
    assert namespace["draw_order"]("seed", refs) == services.draw_order("seed", refs)


def test_a_bad_row_refuses_the_whole_file_with_its_line(app, kocho, frozen):
    with app.app_context():
        good = residents_csv(per_stratum=1)
        bad = good + "R9999999,住民,860-0001,熊本市,港区,40s\n"
        created = services.create_term(
            user(kocho.id),
            name_ja="第2期",
            starts_on=__import__("datetime").date(2025, 4, 1),
            ends_on=__import__("datetime").date(2027, 3, 31),
            target_size=10,
        )
        with pytest.raises(services.SurveyError) as refused:
            services.import_residents(user(kocho.id), created, bad)
        assert str(refused.value) == "37行目：「港区」は本市の区ではありません。"
        assert refused.value.field == "csv"
        assert db.session.scalar(sa.select(sa.func.count(Resident.id))) == 0
        assert term(created.id).population == {}
        with pytest.raises(services.SurveyError, match="不足している列"):
            services.import_residents(user(kocho.id), created, "氏名,住所\n山田,熊本市\n")
        with pytest.raises(services.SurveyError, match="3行目：住民番号R0000001が重複"):
            services.import_residents(
                user(kocho.id),
                created,
                "住民番号,氏名,住所,区,生年月日\nR0000001,甲,熊本市,chuo,1980-01-01\n"
                "R0000001,乙,熊本市,中央区,1990-01-01\n",
            )


def test_the_seed_comes_after_the_list_and_before_the_draw(app, kocho, frozen):
    with app.app_context():
        term_id = make_term(kocho.id)
        with pytest.raises(services.SurveyError, match="シードを公表してください"):
            services.draw(user(kocho.id), term(term_id))
        services.publish_seed(user(kocho.id), term(term_id), "seed-1")
        with pytest.raises(services.SurveyError, match="変更できません"):
            services.publish_seed(user(kocho.id), term(term_id), "seed-2")
        with pytest.raises(services.SurveyError, match="名簿は変更できません"):
            services.import_residents(user(kocho.id), term(term_id), residents_csv())
        services.draw(user(kocho.id), term(term_id))
        with pytest.raises(services.SurveyError, match="既に行われています"):
            services.draw(user(kocho.id), term(term_id))


def test_accept_once_decline_leave_replace_and_balance(app, kocho, frozen):
    with app.app_context():
        term_id = drawn_term(kocho.id, target_size=10, invite_ratio=2.0)
        letters = services.invitation_letters(term(term_id))
        assert len(letters) == 20
        (_first, code), (_second, code2) = letters[0], letters[1]
        member = services.accept(code.lower().replace("-", " "), email="panel@example.jp")
        assert member.state == MemberState.ACCEPTED
        with pytest.raises(services.SurveyError, match="既に市民委員会"):
            services.accept(code)
        services.decline(code2)
        with pytest.raises(services.SurveyError, match="無効"):
            services.accept("AAAA-BBBB-CCCC")
        services.leave(db.session.get(PanelMember, member.id), "転居のため")
        left = db.session.get(PanelMember, member.id)
        new = services.replace(user(kocho.id), left)
        old_resident = db.session.get(Resident, left.resident_id)
        new_resident = db.session.get(Resident, new.resident_id)
        assert (new_resident.ward_id, new_resident.age_band) == (
            old_resident.ward_id,
            old_resident.age_band,
        )
        assert new_resident.draw_rank > old_resident.draw_rank and new.replaces_id == member.id
        with pytest.raises(services.SurveyError, match="既に依頼"):
            services.replace(user(kocho.id), db.session.get(PanelMember, member.id))
        accept_all(term_id)
        rows = services.balance(term(term_id))
        assert len(rows) == 35 and sum(r["accepted"] for r in rows) == 19
        assert sum(r["planned"] for r in rows) == 10
        assert sum(r["population"] for r in rows) == 105


def test_only_kocho_runs_the_panel(app, staff, frozen):
    with app.app_context(), pytest.raises(services.SurveyPermissionError):
        services.create_term(user(staff.id), name_ja="x")
