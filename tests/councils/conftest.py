"""Factories for councils tests: a council with members and a call, made through the services."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db

ESSAY = "市民参画の大切さについて、私の考えを述べます。" * 3  # 69 characters


def department_id(code: str) -> int:
    from app.plan.models import Department

    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


def call_values(**overrides: Any) -> dict[str, Any]:
    from app.councils.models import SelectionMethod

    now = clock.now()
    values = {
        "title_ja": "公募委員の募集",
        "title_en": "Call for public members",
        "purpose_ja": "市民の声を審議に反映するため。",
        "purpose_en": "So that citizens' views shape the work.",
        "seats": 2,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "term_starts_on": date.today() + timedelta(days=60),
        "term_ends_on": date.today() + timedelta(days=60 + 730),
        "meeting_frequency_ja": "年3回",
        "meeting_frequency_en": "Three times a year",
        "fee_per_meeting": 9800,
        "essay_theme_ja": "まちづくりへの市民参画",
        "essay_theme_en": "Citizen participation",
        "essay_min_chars": 20,
        "essay_max_chars": 100,
        "selection_method": SelectionMethod.DOCUMENTS,
        "criteria_ja": "理解度\n具体性",
        "criteria_en": "Understanding\nConcreteness",
        "pass_mark": None,
        "contact_ja": "企画課",
        "contact_en": "Planning Division",
    }
    values.update(overrides)
    return values


def create_council(
    app: Any, department: str = "kikaku", name: str = "テスト審議会", **extra: Any
) -> int:
    from app.councils import services

    with app.app_context():
        council = services.save_council(
            None,
            None,
            department_id=department_id(department),
            name_ja=name,
            name_en=extra.get("name_en", "Test Council"),
            purpose_ja="テストのための審議会です。",
            purpose_en="A council for tests.",
            legal_basis_ja="条例",
            legal_basis_en="Ordinance",
            total_seats=extra.get("total_seats", 10),
            public_seat_target=extra.get("public_seat_target", 2),
            term_years=2,
            meetings_open_by_default=True,
        )
        return council.id


def create_call(
    app: Any, council_id: int | None = None, publish: bool = True, **overrides: Any
) -> int:
    """A recruitment call (open now unless told otherwise); the response table must be loaded."""
    from app.councils import services
    from app.councils.models import Council

    council_id = council_id or create_council(app)
    with app.app_context():
        council = db.session.get(Council, council_id)
        call, _warnings = services.save_call(None, council, None, **call_values(**overrides))
        if publish:
            services.publish_call(None, call)
        return call.id


@pytest.fixture
def make_council(app: Any, plan: Any) -> Any:
    return lambda **kwargs: create_council(app, **kwargs)


@pytest.fixture
def make_call(app: Any, plan: Any) -> Any:
    return lambda council_id=None, **kwargs: create_call(app, council_id, **kwargs)


def application_values(**overrides: Any) -> dict[str, Any]:
    from app.councils.models import Gender, Residency

    values = {
        "name": "蒼井 ツバメ",
        "kana": "あおい つばめ",
        "address": "熊本市中央区水前寺公園9丁目87番",
        "birth_date": date(1975, 7, 19),
        "gender": Gender.FEMALE,
        "phone": "096-555-0199",
        "email": "tsubame@example.jp",
        "residency": Residency.LIVES,
        "occupation": "会社員",
        "experience": "",
        "motivation": "参加したいからです。",
        "essay": ESSAY,
        "declared_exclusions": [],
    }
    values.update(overrides)
    return values


@pytest.fixture
def apply_as(app: Any, make_user: Any) -> Any:
    """Submit an application through the service as a new citizen; returns its id."""

    def factory(call_id: int, **overrides: Any) -> SimpleNamespace:
        from app.accounts.models import User
        from app.councils import services

        citizen = make_user("citizen")
        with app.app_context():
            user = db.session.get(User, citizen.id)
            application = services.submit_application(
                user, call_id, **application_values(**overrides)
            )
            return SimpleNamespace(
                id=application.id,
                receipt=application.receipt_number,
                user_id=citizen.id,
                reasons=application.ineligible_reasons,
            )

    return factory


def close_call(app: Any, call_id: int) -> None:
    """Move a call's window into the past (as time passing would)."""
    from app.councils.models import RecruitmentCall

    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        call.opens_at = clock.now() - timedelta(days=40)
        call.closes_at = clock.now() - timedelta(minutes=1)
        db.session.commit()
