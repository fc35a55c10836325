"""Realistic, deterministic data for benchmarks, written with bulk inserts.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python -m bench.generate --scale city
    DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python -m bench.generate \\
        --scale national

Scales (issue 9): `city` is one year of a city of 740,000; `national` is ten years at the scale
of a national portal, with one public comment case of 100,000 comments. The schema is built by
the migrations; the response table and the demo accounts are loaded first. The same seed gives
the same data. Collaboration proposals come in calls of fifty, at every stage of the round; voices
(市民の声, bench/voice.py) number 500,000 at national scale; one panel survey has its results
published over 100,000 responses at national scale (bench/surveys.py).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.surveys import generate_surveys
from bench.voice import generate_voices

CHUNK = 5000


@dataclass(frozen=True)
class Scale:
    years: int
    cases: int
    comments: int
    big_case: int  # comments on the largest case
    sessions: int
    registrations: int
    councils: int
    proposals: int = 10
    voices: int = 200  # 市民の声 (bench/voice.py)
    survey_responses: int = 200  # of the published panel survey (bench/surveys.py)


SCALES = {
    "tiny": Scale(
        years=1, cases=5, comments=200, big_case=50, sessions=20, registrations=200, councils=5
    ),
    "city": Scale(
        years=1,
        cases=30,
        comments=5_000,
        big_case=1_000,
        sessions=500,
        registrations=20_000,
        councils=80,
        proposals=50,
        voices=5_000,
        survey_responses=5_000,
    ),
    "national": Scale(
        years=10,
        cases=30_000,
        comments=1_000_000,
        big_case=100_000,
        sessions=100_000,
        registrations=1_000_000,
        councils=2_000,
        proposals=5_000,
        voices=500_000,
        survey_responses=100_000,
    ),
}


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(table: sa.Table, rows: Iterator[dict[str, Any]]) -> int:
    from app.extensions import db

    count = 0
    for batch in _chunks(rows):
        db.session.execute(sa.insert(table), batch)
        count += len(batch)
    db.session.commit()
    return count


def sync_sequences() -> None:
    """Rows were inserted with explicit ids (to link them without reading them back), which
    PostgreSQL's sequences do not see: move each past its table's largest id, so the next
    row the application inserts does not collide. SQLite needs nothing."""
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        id_column = table.c.get("id")
        if id_column is None or not id_column.autoincrement:
            continue
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f'coalesce(max(id), 0) + 1, false) FROM "{table.name}"'
            )
        )
    db.session.commit()


def generate(scale: Scale, seed: int = 1) -> dict[str, int]:
    """Fill the current app's database; returns row counts per table."""
    from app.consultations.models import (
        Consultation,
        ConsultationKind,
        Registration,
        RegistrationStatus,
        Session,
        Venue,
    )
    from app.consultations.services import ensure_default_kinds
    from app.core.receipts import ReceiptCounter
    from app.councils.models import Council, CouncilMember, MemberCategory
    from app.extensions import db
    from app.plan.models import Department, Initiative, Ward
    from app.public_comment.models import (
        CaseStatus,
        Channel,
        Comment,
        CommentCase,
        SubmitterCategory,
    )
    from bench.corpus import generate as corpus

    rng = random.Random(seed)
    initiatives = list(db.session.scalars(sa.select(Initiative.id)))
    departments = list(
        db.session.scalars(sa.select(Department.id).where(Department.per_ward.is_(False)))
    )
    wards = list(db.session.scalars(sa.select(Ward.id)))
    ensure_default_kinds()
    db.session.commit()
    kinds = list(db.session.scalars(sa.select(ConsultationKind.id)))
    now = datetime(2026, 4, 1, tzinfo=UTC)
    first_year = now - timedelta(days=365 * scale.years)

    def moment() -> datetime:
        return first_year + timedelta(seconds=rng.randrange(scale.years * 365 * 86400))

    def fiscal(when: datetime) -> int:
        jst = when + timedelta(hours=9)
        return jst.year if jst.month >= 4 else jst.year - 1

    counts: dict[str, int] = {}
    # Public comment: cases, then comments. The first case is the big one, and its results are
    # published: the bench's case and results pages are those of a contested draft.
    case_ids_start = (db.session.scalar(sa.select(sa.func.max(CommentCase.id))) or 0) + 1
    case_rows = []
    for number in range(scale.cases):
        opens = moment()
        case_rows.append(
            {
                "id": case_ids_start + number,
                "title": f"ベンチマーク案件{number}",
                "summary": "ベンチマーク用の案件です。",
                "opens_at": opens,
                "closes_at": opens + timedelta(days=30),
                "fiscal_year": fiscal(opens),
                "status": CaseStatus.PUBLISHED if number % 3 != 2 else CaseStatus.APPROVED,
                "initiative_id": rng.choice(initiatives),
                "department_id": rng.choice(departments),
                "ward_id": rng.choice(wards) if number % 4 == 0 else None,
                "channels": ["web"],
                "published_at": opens + timedelta(days=60) if number % 3 != 2 else None,
            }
        )
    counts["comment_case"] = _insert(CommentCase.__table__, iter(case_rows))
    texts, _truth = corpus(min(scale.comments, 20_000), seed=seed)
    per_case = [scale.big_case] + [0] * (scale.cases - 1)
    remaining = scale.comments - scale.big_case
    for index in range(remaining):
        per_case[1 + index % (scale.cases - 1)] += 1

    def comment_rows() -> Iterator[dict[str, Any]]:
        serial = 0
        for case, count in zip(case_rows, per_case, strict=True):
            for number in range(1, count + 1):
                serial += 1
                name = f"利用者{serial}"
                yield {
                    "case_id": case["id"],
                    "initiative_id": case["initiative_id"],
                    "receipt_number": number,
                    "receipt_code": f"PC{case['id']}-{number:05d}",
                    "submission_token": f"bench-{serial}",
                    "channel": Channel.WEB,
                    "received_at": case["opens_at"] + timedelta(minutes=number % 40000),
                    "submitter_category": SubmitterCategory.RESIDENT,
                    "name": name,
                    "address": "熊本市",
                    "person_key": hashlib.sha256(name.encode()).hexdigest(),
                    "body": texts[serial % len(texts)],
                }

    counts["comment"] = _insert(Comment.__table__, comment_rows())
    _insert(
        ReceiptCounter.__table__,
        (
            {"scope": f"public_comment:{c['id']}", "last": n}
            for c, n in zip(case_rows, per_case, strict=True)
            if n
        ),
    )
    # Consultations: venues, one consultation per ten sessions, sessions, registrations.
    venue_start = (db.session.scalar(sa.select(sa.func.max(Venue.id))) or 0) + 1
    venues = [
        {
            "id": venue_start + i,
            "name_ja": f"会場{i}",
            "address_ja": "熊本市",
            "ward_id": wards[i % len(wards)],
            "capacity": 200,
        }
        for i in range(50)
    ]
    counts["venue"] = _insert(Venue.__table__, iter(venues))
    consultation_start = (db.session.scalar(sa.select(sa.func.max(Consultation.id))) or 0) + 1
    programmes = max(1, scale.sessions // 10)
    consultations = []
    for i in range(programmes):
        when = moment()
        consultations.append(
            {
                "id": consultation_start + i,
                "kind_id": rng.choice(kinds),
                "title_ja": f"ベンチマーク意見交換会{i}",
                "initiative_id": rng.choice(initiatives),
                "department_id": rng.choice(departments),
                "ward_id": rng.choice(wards),
                "fiscal_year": fiscal(when),
                "_when": when,
            }
        )
    counts["consultation"] = _insert(
        Consultation.__table__,
        ({k: v for k, v in c.items() if k != "_when"} for c in consultations),
    )
    session_start = (db.session.scalar(sa.select(sa.func.max(Session.id))) or 0) + 1
    sessions = []
    for i in range(scale.sessions):
        programme = consultations[i % programmes]
        starts = programme["_when"] + timedelta(days=7 * (i // programmes))
        venue = venues[i % len(venues)]
        sessions.append(
            {
                "id": session_start + i,
                "consultation_id": programme["id"],
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "venue_id": venue["id"],
                "ward_id": venue["ward_id"],
                "capacity": 60,
                # The confirmed of registration_rows (the first 60 of each session).
                "places_taken": min(scale.registrations // scale.sessions, 60),
            }
        )
    counts["consultation_session"] = _insert(Session.__table__, iter(sessions))
    per_session = scale.registrations // scale.sessions

    def registration_rows() -> Iterator[dict[str, Any]]:
        serial = 0
        for session in sessions:
            for number in range(1, per_session + 1):
                serial += 1
                yield {
                    "session_id": session["id"],
                    "receipt_number": number,
                    "name": f"参加者{serial}",
                    "email": f"p{serial}@example.jp",
                    "status": RegistrationStatus.CONFIRMED
                    if number <= 60
                    else RegistrationStatus.WAITLISTED,
                    "waitlist_position": None if number <= 60 else number - 60,
                    "cancel_token_hash": hashlib.sha256(str(serial).encode()).hexdigest(),
                }

    counts["registration"] = _insert(Registration.__table__, registration_rows())
    # Councils with members of every category.
    council_start = (db.session.scalar(sa.select(sa.func.max(Council.id))) or 0) + 1
    councils = [
        {
            "id": council_start + i,
            "department_id": rng.choice(departments),
            "name_ja": f"ベンチマーク審議会{i}",
            "purpose_ja": "ベンチマーク用",
            "total_seats": 15,
            "public_seat_target": 3,
        }
        for i in range(scale.councils)
    ]
    counts["council"] = _insert(Council.__table__, iter(councils))
    categories = list(MemberCategory)
    counts["council_member"] = _insert(
        CouncilMember.__table__,
        (
            {
                "council_id": c["id"],
                "name": f"委員{c['id']}-{n}",
                "category": categories[n % 5],
                "appointed_on": (now - timedelta(days=400)).date(),
                "term_ends_on": (now + timedelta(days=330)).date(),
            }
            for c in councils
            for n in range(12)
        ),
    )
    counts.update(_proposals(scale, rng, moment, fiscal, initiatives, departments))
    counts.update(
        generate_voices(scale.voices, rng, moment, fiscal, initiatives, departments, wards, _insert)
    )
    counts.update(generate_surveys(scale.survey_responses, rng, now, fiscal, _insert))
    return counts


# Where generated proposals stand: most rounds are over, so most are decided.
PROPOSAL_STAGES = [
    ("rejected", 40),
    ("evaluated", 20),
    ("completed", 5),
    ("agreed", 15),
    ("adopted", 5),
    ("final_review", 5),
    ("document_review", 5),
    ("submitted", 5),
]


def _proposals(
    scale: Scale,
    rng: random.Random,
    moment: Any,
    fiscal: Any,
    initiatives: list[int],
    departments: list[int],
) -> dict[str, int]:
    """Calls of fifty proposals each, with two budget lines and the submission event each."""
    from app.extensions import db
    from app.proposals.models import (
        ADOPTED_STAGES,
        CARRIED_OUT_STAGES,
        BudgetLine,
        CallType,
        Proposal,
        ProposalCall,
        ProposalEvent,
        Stage,
        default_criteria,
    )

    owner = db.session.scalar(sa.text('SELECT id FROM "user" ORDER BY id LIMIT 1'))
    call_start = (db.session.scalar(sa.select(sa.func.max(ProposalCall.id))) or 0) + 1
    calls = []
    for i in range(max(1, scale.proposals // 50)):
        opens = moment()
        calls.append(
            {
                "id": call_start + i,
                "title_ja": f"ベンチマーク協働提案{i}",
                "call_type": CallType.CITIZEN if i % 2 else CallType.ADMINISTRATION,
                "opens_at": opens,
                "closes_at": opens + timedelta(days=45),
                "max_contribution": 1_000_000,
                "criteria": default_criteria(),
                "published": True,
                "initiative_id": rng.choice(initiatives),
                "department_id": rng.choice(departments),
                "fiscal_year": fiscal(opens),
            }
        )
    counts = {"proposal_call": _insert(ProposalCall.__table__, iter(calls))}
    stages = [Stage(name) for name, weight in PROPOSAL_STAGES for _ in range(weight)]
    start = (db.session.scalar(sa.select(sa.func.max(Proposal.id))) or 0) + 1
    proposals = []
    for i in range(scale.proposals):
        call = calls[i % len(calls)]
        stage = stages[rng.randrange(len(stages))]
        number = i // len(calls) + 1
        submitted = call["opens_at"] + timedelta(days=rng.randrange(45))
        decided = stage is Stage.REJECTED or stage in ADOPTED_STAGES
        carried = stage in CARRIED_OUT_STAGES
        share = rng.randrange(100, 1000) * 1000
        proposals.append(
            {
                "id": start + i,
                "call_id": call["id"],
                "user_id": owner,
                "stage": stage,
                "number": number,
                "receipt_number": f"KT{call['id']:03d}-{number:05d}",
                "group_name": f"ベンチマーク団体{i}",
                "representative": f"代表者{i}",
                "members": 5 + i % 40,
                "founded_on": (call["opens_at"] - timedelta(days=900)).date(),
                "address": "熊本市",
                "phone": "096-000-0000",
                "email": f"g{i}@example.jp",
                "title": f"ベンチマーク協働事業{i}",
                "summary": "ベンチマーク用の提案です。",
                "problem": "課題",
                "plan": "内容",
                "schedule": "日程",
                "group_role": "団体の役割",
                "city_role": "市の役割",
                "eligibility": [],
                "declarations": [],
                "submitted_at": submitted,
                "decided_at": submitted + timedelta(days=60) if decided else None,
                "agreed_on": (submitted + timedelta(days=75)).date() if carried else None,
                "agreement_budget": share if carried else None,
                "initiative_id": call["initiative_id"],
                "department_id": rng.choice(departments),
                "fiscal_year": call["fiscal_year"],
                "_share": share,
            }
        )
    counts["proposal"] = _insert(
        Proposal.__table__, ({k: v for k, v in p.items() if k != "_share"} for p in proposals)
    )
    counts["budget_line"] = _insert(
        BudgetLine.__table__,
        (
            {
                "proposal_id": p["id"],
                "position": n,
                "item": item,
                "amount": p["_share"],
                "city_share": p["_share"] // 2,
            }
            for p in proposals
            for n, item in enumerate(("謝礼", "消耗品"))
        ),
    )
    counts["proposal_event"] = _insert(
        ProposalEvent.__table__,
        (
            {"proposal_id": p["id"], "stage": Stage.SUBMITTED, "created_at": p["submitted_at"]}
            for p in proposals
        ),
    )
    return counts


def main() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.core.demo import load_demo
    from app.extensions import db

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="city")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    # A bench database, never production; the demo's voices taken through the services would
    # take half a minute, and the generator writes its own (bench/voice.py).
    app = create_app({"DEVELOPMENT": True, "VOICE_DEMO_VOICES": 0})
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_demo(app.config["PLAN_FILE"])
        counts = generate(SCALES[args.scale], args.seed)
        sync_sequences()
        # Planner statistics, as after any bulk load: without them SQLite walks a million rows
        # in index order where a table of a few rows should lead. On PostgreSQL, VACUUM as
        # well, as autovacuum would soon after the load (it may be off on a test server): it
        # marks the pages all-visible, without which no count is answered from an index alone.
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM (ANALYZE)")
                )
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        seconds = time.perf_counter() - started
        print(f"{args.scale} on {db.engine.dialect.name}: {counts} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
