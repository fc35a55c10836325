"""Generated 市民の声 for the benchmarks (bench.generate calls `generate_voices`): voices of every
kind and channel over the scale's years, most answered (some late), some duplicates, some
published with the city's summary and their follow-ups, receipt counters per fiscal year.
Written with bulk inserts, deterministic by the generator's seed. 500,000 at national scale."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

# Where generated voices stand: most are long answered; the newest are open.
CHANNEL_WEIGHTS = [("web", 50), ("letter", 10), ("phone", 20), ("visit", 8), ("email", 8)]
CHANNEL_WEIGHTS += [("fax", 2), ("dialogue", 2)]
RESPONSE_WEIGHTS = [
    ("explained", 35),
    ("done", 20),
    ("reflected", 10),
    ("noted", 20),
    ("difficult", 10),
    ("out_of_scope", 5),
]


# What an open voice has not got yet (answered, closed, published, followed up), all None.
OPEN: dict[str, Any] = dict.fromkeys(
    [
        "duplicate_of_id",
        "response_kind",
        "reflection",
        "reflection_on",
        "answered_at",
        "closed_at",
        "follow_up_sent_at",
        "follow_up_answer",
        "follow_up_answered_at",
        "published_at",
    ]
) | {"answer_body": "", "public_title": "", "public_summary": "", "public_view": ""}


def generate_voices(
    count: int,
    rng: random.Random,
    moment: Callable[[], datetime],
    fiscal: Callable[[datetime], int],
    initiatives: list[int],
    departments: list[int],
    wards: list[int],
    insert: Callable[[sa.Table, Iterator[dict[str, Any]]], int],
) -> dict[str, int]:
    from app.core.receipts import ReceiptCounter
    from app.extensions import db
    from app.plan.models import Initiative
    from app.voice.models import (
        FollowUpAnswer,
        Reflection,
        ReplyBy,
        ResponseKind,
        Voice,
        VoiceChannel,
        VoiceFollowUp,
        VoiceKind,
        VoiceStatus,
    )

    if not count:
        return {}
    default = db.session.scalar(sa.select(Initiative.id).where(Initiative.number == 8))
    channels = [VoiceChannel(c) for c, weight in CHANNEL_WEIGHTS for _ in range(weight)]
    responses = [ResponseKind(r) for r, weight in RESPONSE_WEIGHTS for _ in range(weight)]
    kinds = list(VoiceKind)
    follow_answers = list(FollowUpAnswer)
    # Sorted by receipt, as they arrived: receipt numbers run in that order in each year.
    received = sorted(moment() for _ in range(count))
    newest = received[-1]
    start = (db.session.scalar(sa.select(sa.func.max(Voice.id))) or 0) + 1
    # Numbers continue each year's counter (the demo's voices come first, through the services).
    existing = {
        int(scope.split(":", 1)[1]): last
        for scope, last in db.session.execute(
            sa.select(ReceiptCounter.scope, ReceiptCounter.last).where(
                ReceiptCounter.scope.like("voice:%")
            )
        )
    }
    last_number: dict[int, int] = dict(existing)
    follow_ups: list[dict[str, Any]] = []

    def rows() -> Iterator[dict[str, Any]]:
        for index, when in enumerate(received):
            voice_id = start + index
            year = fiscal(when)
            number = last_number[year] = last_number.get(year, 0) + 1
            received_on = (when + timedelta(hours=9)).date()
            due_on = received_on + timedelta(days=14)
            anonymous = index % 10 == 0
            row: dict[str, Any] = {
                "id": voice_id,
                "receipt_number": number,
                "receipt_code": f"V{year}-{number:05d}",
                "submission_token": f"bench-voice-{voice_id}",
                "channel": channels[rng.randrange(len(channels))],
                "received_at": when,
                "due_on": due_on,
                "kind": kinds[rng.randrange(len(kinds))],
                "title": f"ベンチマークの声{voice_id}",
                "body": "ベンチマーク用の市民の声です。" * 4,
                "reply_by": ReplyBy.NONE if anonymous else ReplyBy.EMAIL,
                "name": "" if anonymous else f"送信者{voice_id}",
                "email": "" if anonymous else f"v{voice_id}@example.jp",
                "consent_to_publish": index % 3 != 0,
                "follow_up_wanted": not anonymous and index % 5 == 0,
                "sender_ward_id": wards[rng.randrange(len(wards))],
                "ward_id": wards[rng.randrange(len(wards))] if index % 2 else None,
                "initiative_id": default if index % 10 else rng.choice(initiatives),
                "department_id": rng.choice(departments),
                "fiscal_year": year,
                "status": VoiceStatus.ROUTED,
                "created_at": when,
                "updated_at": when,
                # Every row has every column: one executemany needs the same keys throughout.
                **OPEN,
            }
            age = (newest - when).days
            if index % 100 == 99:
                row.update(status=VoiceStatus.DUPLICATE, duplicate_of_id=voice_id - 1)
            elif age > 30 or rng.random() < 0.5:
                # Answered in 2–30 days: about one in six after its due date.
                answered = when + timedelta(days=rng.randrange(2, 31), hours=rng.randrange(8))
                response = responses[rng.randrange(len(responses))]
                reflection = (
                    Reflection.REFLECTED
                    if response == ResponseKind.REFLECTED
                    else Reflection.CONSIDERING
                    if response == ResponseKind.NOTED
                    else None
                )
                row.update(
                    status=VoiceStatus.CLOSED,
                    response_kind=response,
                    reflection=reflection,
                    reflection_on=(answered + timedelta(hours=9)).date() if reflection else None,
                    answer_body="ご意見ありがとうございました。" * 3,
                    answered_at=None if anonymous else answered,
                    closed_at=answered,
                    updated_at=answered,
                )
                if row["follow_up_wanted"] and index % 2 == 0:
                    row.update(
                        follow_up_sent_at=answered + timedelta(days=28),
                        follow_up_answer=follow_answers[rng.randrange(len(follow_answers))],
                        follow_up_answered_at=answered + timedelta(days=30),
                    )
                if row["consent_to_publish"] and index % 2 == 1:
                    published = answered + timedelta(days=5)
                    row.update(
                        public_title=f"市民の声{voice_id}について",
                        public_summary="市がまとめたご意見の要旨です。" * 3,
                        public_view="市の考え方と対応です。" * 3,
                        published_at=published,
                        updated_at=published,
                    )
                    if reflection is not None:
                        follow_ups.append(
                            {
                                "voice_id": voice_id,
                                "reflection": Reflection.REFLECTED,
                                "note": "事業に反映しました。",
                                "noted_on": (published + timedelta(days=60)).date(),
                                "created_at": published + timedelta(days=60),
                            }
                        )
            yield row

    counts = {"voice": insert(Voice.__table__, rows())}
    counts["voice_follow_up"] = insert(VoiceFollowUp.__table__, iter(follow_ups))
    insert(
        ReceiptCounter.__table__,
        (
            {"scope": f"voice:{year}", "last": last}
            for year, last in last_number.items()
            if year not in existing
        ),
    )
    for year in existing:
        db.session.execute(
            sa.update(ReceiptCounter)
            .where(ReceiptCounter.scope == f"voice:{year}")
            .values(last=last_number[year])
        )
    db.session.commit()
    return counts


def main() -> None:
    """Only the voices at national scale (the other tables tiny), for the voice pages' own
    benchmarks without generating the whole national database:

        DATABASE_URL=sqlite:////tmp/voices.sqlite3 .venv/bin/python -m bench.voice
    """
    import argparse
    import time

    from flask_migrate import upgrade

    from app import create_app
    from app.core.demo import load_demo
    from app.extensions import db
    from bench.generate import SCALES, generate, sync_sequences

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--voices", type=int, default=SCALES["national"].voices)
    parser.add_argument("--years", type=int, default=SCALES["national"].years)
    args = parser.parse_args()
    scale = replace(SCALES["tiny"], years=args.years, voices=args.voices)
    app = create_app({"DEVELOPMENT": True, "VOICE_DEMO_VOICES": 0})
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_demo(app.config["PLAN_FILE"])
        counts = generate(scale)
        sync_sequences()
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM (ANALYZE)")
                )
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        print(f"{counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
