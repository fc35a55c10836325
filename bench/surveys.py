"""A generated survey for the benchmarks (bench.generate calls `generate_surveys`): one panel
survey closed and its results published, with `count` responses (100,000 at national scale),
so the results page is measured over 100,000 respondents' answers (about nine answer rows each:
900,000 rows). Every kind of question the results count (one choice with 「その他」, several
choices, a five-point scale, a grid of scales, a number, a date, a free answer); most responses
from the panel, weighted to the population of a panel term by ward and age band, the rest from
the open sample beside it (never pooled); a tenth of the free answers published as redacted.
Written with bulk inserts, deterministic by the generator's seed.

The open survey the load answers is made by bench.run's `prepare_targets` (its window must
include the day of the run, which generated data do not).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

SURVEY_TITLE = "ベンチマーク市民委員会アンケート"
OPEN_SURVEY_TITLE = "ベンチマーク受付中アンケート"
# The city's adults, spread over the strata in Kumamoto's shares (app/surveys/demo.py).
POPULATION = 600_000
PANEL_SHARE = 0.85  # the rest are the open sample's
BATCH = 10_000  # responses written at a time
TEXTS = [
    "市政だよりをもっと読みやすくしてほしい。",
    "夜や休日にも参加できる説明会を開いてほしい。",
    "バスの本数を増やしてほしい。",
    "若い人の意見を聞く機会を増やしてください。",
    "子育て世代が参加しやすい時間帯にしてほしい。",
]
OPTIONS = [
    {"ja": "よく知っていた", "en": "Knew well"},
    {"ja": "少し知っていた", "en": "Knew a little"},
    {"ja": "知らなかった", "en": "Did not know"},
]
CHANNELS = [
    {"ja": "市政だより", "en": "City newsletter"},
    {"ja": "市のホームページ", "en": "City website"},
    {"ja": "SNS", "en": "Social media"},
    {"ja": "テレビ・新聞", "en": "TV or newspapers"},
]
ROWS = [
    {"ja": "パブリックコメント", "en": "Public comment"},
    {"ja": "意見交換会", "en": "Consultation meetings"},
    {"ja": "アンケート", "en": "Surveys"},
]


def generate_surveys(
    count: int,
    rng: random.Random,
    now: datetime,
    fiscal: Callable[[datetime], int],
    insert: Callable[[sa.Table, Iterator[dict[str, Any]]], int],
) -> dict[str, int]:
    """The published panel survey with `count` responses; returns row counts."""
    from app.core.enums import AgeBand
    from app.extensions import db
    from app.plan.models import Department, Initiative, Ward
    from app.surveys.demo import ANSWERS, BAND_SHARES, WARD_SHARES
    from app.surveys.models import (
        SURVEY_INITIATIVE,
        Answer,
        Audience,
        PanelTerm,
        Question,
        QuestionKind,
        Response,
        Source,
        Survey,
        SurveyStatus,
    )

    if not count:
        return {}
    wards = dict(db.session.execute(sa.select(Ward.code, Ward.id)).all())
    population = {
        f"{ward}|{band}": round(POPULATION * w / 100 * b / 100)
        for ward, w in WARD_SHARES.items()
        if ward in wards
        for band, b in BAND_SHARES.items()
    }
    opens = now - timedelta(days=90)
    closes = opens + timedelta(days=20)
    term = PanelTerm(
        name_ja="ベンチマーク市民委員会",
        starts_on=(opens - timedelta(days=60)).date(),
        ends_on=(opens + timedelta(days=670)).date(),
        target_size=count,
        seed="bench",
        population=population,
        population_source="ベンチマーク用に生成した18歳以上の人口（住民基本台帳の区・年齢区分別の割合）",
    )
    department = db.session.scalar(
        sa.select(Department.id).where(Department.code == "kocho")
    ) or db.session.scalar(sa.select(Department.id).order_by(Department.id))
    panel = round(count * PANEL_SHARE)
    survey = Survey(
        title_ja=SURVEY_TITLE,
        title_en="Benchmark citizens' panel survey",
        purpose_ja="ベンチマーク用のアンケートです。",
        audience=Audience.PANEL,
        anonymous=True,
        opens_at=opens,
        closes_at=closes,
        status=SurveyStatus.PUBLISHED,
        panel_term=term,
        results_published_at=closes + timedelta(days=10),
        afterwards_ja="結果を踏まえ、広報の方法を見直しました。",
        afterwards_en="The city changed how it publicises its work.",
        # Panel invitations sent: the members who answered at about 45 %.
        invited_count=round(panel / 0.45),
        initiative_id=db.session.scalar(
            sa.select(Initiative.id).where(Initiative.number == SURVEY_INITIATIVE)
        ),
        department_id=department,
        fiscal_year=fiscal(opens),
    )
    kinds = [
        (QuestionKind.SINGLE, {"options": OPTIONS, "allow_other": True, "required": True}),
        (QuestionKind.MULTIPLE, {"options": CHANNELS}),
        (QuestionKind.SCALE, {"required": True}),
        (QuestionKind.MATRIX, {"rows": ROWS}),
        (QuestionKind.NUMBER, {}),
        (QuestionKind.DATE, {}),
        (QuestionKind.LONG_TEXT, {}),
    ]
    survey.questions = [
        Question(position=i, kind=kind, text_ja=f"ベンチマーク設問{i + 1}", **fields)
        for i, (kind, fields) in enumerate(kinds)
    ]
    db.session.add_all([term, survey])
    db.session.commit()
    single, multiple, scale, matrix, number, day, text = (q.id for q in survey.questions)
    # Panel respondents by stratum: the population's share times the answering rate by age
    # (the young answer least), so the weights move the shares as in life.
    strata = [(key, wards[key.split("|")[0]], AgeBand(key.split("|")[1])) for key in population]
    answering = [population[key] * ANSWERS[band.value] for key, _w, band in strata]
    start = (db.session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1

    def cell(response_id: int, question_id: int, **values: Any) -> dict[str, Any]:
        # Every row has every column: one executemany needs the same keys throughout.
        return {
            "response_id": response_id,
            "question_id": question_id,
            "row": None,
            "option": None,
            "number": None,
            "day": None,
            "text": "",
            "redacted_text": None,
        } | values

    free = 0

    def batch(first: int, last: int, answers: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Responses first..last-1, their answer rows appended to `answers`."""
        nonlocal free
        for index in range(first, last):
            response_id = start + index
            if index < panel:
                _key, ward_id, band = rng.choices(strata, weights=answering)[0]
                source = Source.PANEL
            else:
                source = Source.OPEN
                # The open sample says its ward and age if it likes.
                ward_id = rng.choice(list(wards.values())) if rng.random() < 0.6 else None
                band = rng.choice(list(AgeBand)) if rng.random() < 0.6 else None
            age = list(AgeBand).index(band) if band is not None else 3
            answered = opens + timedelta(days=rng.randrange(20), hours=rng.randrange(12))
            if rng.random() < 0.02:
                # 「その他」 with its text, instead of an option (one row: a single choice).
                answers.append(cell(response_id, single, option=-1, text="わからない"))
            else:
                choice = rng.choices(range(3), weights=[1 + age, 3, 7 - age])[0]
                answers.append(cell(response_id, single, option=choice))
            likely = [0.25 + 0.08 * age, 0.35, 0.7 - 0.08 * age, 0.35]
            chosen = [i for i in range(4) if rng.random() < likely[i]] or [1]
            answers.extend(cell(response_id, multiple, option=i) for i in chosen)
            answers.append(cell(response_id, scale, option=_point(rng.gauss(2.6 + 0.15 * age, 1))))
            answers.extend(
                cell(response_id, matrix, row=row, option=_point(rng.gauss(3 + 0.3 * (row - 1), 1)))
                for row in range(len(ROWS))
            )
            answers.append(
                cell(response_id, number, number=float(max(1, round(rng.gauss(3, 1.3)))))
            )
            answers.append(
                cell(response_id, day, day=(answered - timedelta(days=rng.randrange(400))).date())
            )
            if rng.random() < 0.1:
                free += 1
                written = TEXTS[rng.randrange(len(TEXTS))]
                # A tenth published after redaction (what staff checked); the rest not.
                redacted = written if free % 10 == 0 else None
                answers.append(cell(response_id, text, text=written, redacted_text=redacted))
            yield {
                "id": response_id,
                "survey_id": survey.id,
                "source": source,
                "submitted_on": (answered + timedelta(hours=9)).date(),
                "submitted_at": None,
                "ward_id": ward_id,
                "age_band": band,
                "invitation_id": None,
                "user_id": None,
                "submission_token": f"bench-survey-{response_id}",
                "receipt_code": f"RB{response_id:09d}",
                "hidden_reason": "",
            }

    counts = {"survey_response": 0, "survey_answer": 0}
    # In batches, responses then their answers: 900,000 answer rows are not held at once.
    for first in range(0, count, BATCH):
        answers: list[dict[str, Any]] = []
        last = min(count, first + BATCH)
        counts["survey_response"] += insert(Response.__table__, batch(first, last, answers))
        counts["survey_answer"] += insert(Answer.__table__, iter(answers))
    return counts


def _point(value: float) -> int:
    return min(5, max(1, round(value)))


def make_open_survey(now: datetime) -> tuple[int, list[int]]:
    """The survey anyone may answer during the load (found again by its title): a required
    single choice, several choices, a scale and a free answer. Returns (id, question ids)."""
    from app.extensions import db
    from app.plan.models import Department, Initiative
    from app.surveys.models import (
        SURVEY_INITIATIVE,
        Audience,
        Question,
        QuestionKind,
        Survey,
        SurveyStatus,
    )

    survey = db.session.scalar(sa.select(Survey).where(Survey.title_ja == OPEN_SURVEY_TITLE))
    if survey is None:
        survey = Survey(
            title_ja=OPEN_SURVEY_TITLE,
            title_en="Benchmark survey open to anyone",
            purpose_ja="負荷試験で回答を受け付けるアンケートです。",
            audience=Audience.ANYONE,
            anonymous=True,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=3650),
            status=SurveyStatus.APPROVED,
            initiative_id=db.session.scalar(
                sa.select(Initiative.id).where(Initiative.number == SURVEY_INITIATIVE)
            ),
            department_id=db.session.scalar(sa.select(Department.id).order_by(Department.id)),
            fiscal_year=now.year if now.month >= 4 else now.year - 1,
        )
        survey.questions = [
            Question(
                position=0,
                kind=QuestionKind.SINGLE,
                text_ja="市が意見を募集していることを知っていましたか。",
                options=OPTIONS,
                required=True,
            ),
            Question(
                position=1,
                kind=QuestionKind.MULTIPLE,
                text_ja="何で知りましたか。",
                options=CHANNELS,
            ),
            Question(
                position=2,
                kind=QuestionKind.SCALE,
                text_ja="満足度を教えてください。",
                required=True,
            ),
            Question(position=3, kind=QuestionKind.LONG_TEXT, text_ja="ご意見をお書きください。"),
        ]
        db.session.add(survey)
        db.session.commit()
    return survey.id, [q.id for q in sorted(survey.questions, key=lambda q: q.position)]


def main() -> None:
    """Only the survey at national scale (the other tables tiny), for the survey pages' own
    benchmarks without generating the whole national database:

        DATABASE_URL=sqlite:////tmp/surveys.sqlite3 .venv/bin/python -m bench.surveys
    """
    import argparse
    import time

    from flask_migrate import upgrade

    from app import create_app
    from app.core.demo import load_demo
    from app.extensions import db
    from bench.generate import SCALES, generate, sync_sequences

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--responses", type=int, default=SCALES["national"].survey_responses)
    args = parser.parse_args()
    scale = replace(SCALES["tiny"], survey_responses=args.responses)
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
