"""Survey results (app/surveys/results.py): public only once published; every sample apart;
multiple choice counted per option; weighted shares for the panel equal to a hand computation;
margins of error; every count under 10 suppressed in the page, the CSV, the XLSX and the JSON,
with a second cell hidden where the total minus the others would give it away; free text only
as redacted; a fixed number of statements whatever the number of answers.

The rows are written directly, as the services leave them (the results read rows; the
services have their own tests), so each figure here is known by construction."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from tests.conftest import count_statements

_serial = itertools.count(1)
YES_NO = [
    {"ja": "はい", "en": "Yes"},
    {"ja": "いいえ", "en": "No"},
    {"ja": "わからない", "en": "Not sure"},
]


def ward_id(code: str) -> int:
    from app.plan.models import Ward

    return db.session.scalar(sa.select(Ward.id).where(Ward.code == code))


def add_survey(
    questions: list[dict[str, Any]],
    *,
    published: bool = True,
    population: dict[str, int] | None = None,
    initiative: int = 9,
    kind: str = "survey",
    audience: str = "anyone",
    **fields: Any,
) -> tuple[int, list[int]]:
    """A closed survey (its results published unless told otherwise) with these questions;
    a panel term with `population` per "ward|band" stratum when given. Returns (id, question
    ids)."""
    from app.plan.models import Department
    from app.plan.services import initiative_id
    from app.surveys.models import (
        Audience,
        PanelTerm,
        Question,
        QuestionKind,
        Survey,
        SurveyKind,
        SurveyStatus,
    )

    now = clock.now()
    term = None
    if population is not None:
        term = PanelTerm(
            name_ja="第1期",
            starts_on=date(2026, 4, 1),
            ends_on=date(2028, 3, 31),
            target_size=2000,
            population=population,
            population_source="住民基本台帳（令和8年1月1日現在）",
        )
        db.session.add(term)
    survey = Survey(
        kind=SurveyKind(kind),
        title_ja=f"市政アンケート{next(_serial)}",
        title_en="City survey",
        audience=Audience.PANEL if population is not None else Audience(audience),
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=2),
        status=SurveyStatus.PUBLISHED if published else SurveyStatus.APPROVED,
        results_published_at=now - timedelta(days=1) if published else None,
        afterwards_ja="結果を踏まえ、広報の方法を見直しました。",
        panel_term=term,
        initiative_id=initiative_id(initiative),
        department_id=db.session.scalar(sa.select(Department.id).where(Department.code == "kocho")),
        fiscal_year=2026,
        **fields,
    )
    db.session.add(survey)
    db.session.flush()
    ids = []
    for position, spec in enumerate(questions):
        question = Question(
            survey_id=survey.id,
            position=position,
            kind=QuestionKind(spec["kind"]),
            text_ja=spec.get("text_ja", f"設問{position + 1}"),
            options=spec.get("options", []),
            rows=spec.get("rows", []),
            allow_other=spec.get("allow_other", False),
            key=spec.get("key", ""),
        )
        db.session.add(question)
        db.session.flush()
        ids.append(question.id)
    db.session.commit()
    return survey.id, ids


def add_responses(
    survey_id: int,
    count: int,
    answers: Callable[[int], list[dict[str, Any]]],
    *,
    source: str = "open",
    ward: str | None = None,
    band: str | None = None,
) -> None:
    """`count` responses from one sample and stratum; answers(i) gives each one's answer rows
    (question_id, option, row, number, day, text, redacted_text)."""
    from app.core.enums import AgeBand
    from app.surveys.models import Answer, Response, Source

    wid = ward_id(ward) if ward else None
    for i in range(count):
        response = Response(
            survey_id=survey_id,
            source=Source(source),
            submitted_on=clock.today() - timedelta(days=5),
            ward_id=wid,
            age_band=AgeBand(band) if band else None,
            submission_token=f"t-{next(_serial)}",
        )
        db.session.add(response)
        db.session.flush()
        for row in answers(i):
            db.session.add(Answer(response_id=response.id, **row))
    db.session.commit()


def choice(question_id: int, *options: int) -> list[dict[str, Any]]:
    return [{"question_id": question_id, "option": option} for option in options]


# Margins of error ---------------------------------------------------------------------------


def test_margin_of_error_as_the_cabinet_office_gives_it():
    from app.surveys.results import margin

    assert round(margin(0.5, 1000), 1) == 3.1
    assert round(margin(0.5, 500), 1) == 4.4
    # With the population known: the finite population correction; a census has none.
    assert round(margin(0.5, 1000, 2000), 2) == round(
        100 * 1.96 * math.sqrt(0.25 / 1000) * math.sqrt(1000 / 1999), 2
    )
    assert margin(0.3, 50, 50) == 0.0


def test_protect_leaves_no_line_with_a_single_hidden_cell():
    from app.surveys.results import protect

    counts = {"n": 41, "a": 25, "b": 12, "c": 4}
    assert protect(counts, [["n", "a", "b", "c"]]) == {"c", "b"}
    # Two small cells already: nothing more is hidden.
    counts = {"n": 31, "a": 25, "b": 3, "c": 3}
    assert protect(counts, [["n", "a", "b", "c"]]) == {"b", "c"}
    # Not additive (multiple choice): only the small cell.
    assert protect({"a": 25, "b": 12, "c": 4}, []) == {"c"}


# Publication --------------------------------------------------------------------------------


def test_results_are_not_found_before_publication(app, client, plan):
    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}], published=False)
        add_responses(survey_id, 12, lambda i: choice(qid, 0))
    for suffix in ("", ".csv", ".xlsx", ".json"):
        assert client.get(f"/surveys/{survey_id}/results{suffix}").status_code == 404
    assert client.get("/surveys/999999/results").status_code == 404
    with app.app_context():
        from app.surveys.models import Survey

        db.session.get(Survey, survey_id).results_published_at = clock.now()
        db.session.commit()
    for suffix in ("", ".csv", ".xlsx", ".json"):
        assert client.get(f"/surveys/{survey_id}/results{suffix}").status_code == 200


def test_staff_preview_before_publication_is_suppressed_too(app, plan):
    from app.surveys.results import load_survey, staff_preview

    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}], published=False)
        add_responses(survey_id, 20, lambda i: choice(qid, 0 if i < 16 else 1))
        with app.test_request_context("/?lang=en"):
            page = staff_preview(load_survey(survey_id))
    assert "Preview for staff" in page
    # 16 yes, 4 no: the 4 hidden (and "not sure", 0, beside it, or 20 − 16 would give it).
    assert "fewer than 10" in page and ">4<" not in page and ">16<" in page


# Suppression in every output ------------------------------------------------------------------


@pytest.fixture
def small_cell(app, plan):
    """Open sample: 41 answered; 25 yes, 12 no, 4 not sure (under 10). The 12 must be hidden
    too, or 41 − 25 − 12 would give the 4."""
    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}])
        answers = [0] * 25 + [1] * 12 + [2] * 4
        add_responses(survey_id, len(answers), lambda i: choice(qid, answers[i]))
        return survey_id


def test_a_small_cell_is_suppressed_in_the_page(client, small_cell):
    page = client.get(f"/surveys/{small_cell}/results?lang=ja")
    assert page.status_code == 200
    text = page.text
    assert "10未満" in text
    assert ">25<" in text and ">41<" in text
    # Neither the 4 nor the 12 (which would give the 4 away), nor their shares.
    assert ">4<" not in text and ">12<" not in text
    assert "9.8" not in text and "29.3" not in text
    assert "<svg" in text and "61.0%" in text  # the chart, with the visible share


def test_a_small_cell_is_suppressed_in_the_csv(client, small_cell):
    response = client.get(f"/surveys/{small_cell}/results.csv?lang=en")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    count, share = header.index("Count"), header.index("Share (%)")
    answers = {row[header.index("Answer")]: row for row in body if row[0] == "Answers"}
    assert answers["Yes"][count] == "25" and answers["Yes"][share] == "61.0"
    for hidden in ("No", "Not sure"):
        assert answers[hidden][count] == "fewer than 10" and answers[hidden][share] == ""
    assert not any(cell in ("4", "12") for row in body for cell in row)


def test_a_small_cell_is_suppressed_in_the_xlsx(client, small_cell):
    response = client.get(f"/surveys/{small_cell}/results.xlsx?lang=ja")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    answers = {row[5]: row for row in values if row[0] == "回答数"}
    assert answers["はい"][7] == 25
    assert answers["わからない"][7] == "10未満" and answers["わからない"][8] in (None, "")
    assert answers["いいえ"][7] == "10未満"
    assert not any(value in (4, 12) for row in values for value in row)


def test_a_small_cell_is_suppressed_in_the_json(client, small_cell):
    response = client.get(f"/surveys/{small_cell}/results.json")
    assert response.status_code == 200
    (section,) = response.json["sections"]
    (question,) = section["questions"]
    by_value = {a["value"]: a for a in question["answers"]}
    assert by_value[0]["count"] == 25 and by_value[0]["share"] == 61.0
    for hidden in (1, 2):
        assert by_value[hidden]["count"] is None and by_value[hidden]["suppressed"] is True
        assert by_value[hidden]["share"] is None and by_value[hidden]["margin"] is None
    assert question["respondents"]["count"] == 41
    assert response.json["suppressed_under"] == 10


def test_a_sample_under_ten_shows_nothing(app, client, plan):
    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}])
        add_responses(survey_id, 9, lambda i: choice(qid, 0))
    data = client.get(f"/surveys/{survey_id}/results.json").json
    (section,) = data["sections"]
    assert section["respondents"]["count"] is None and section["questions"] == []


def test_crosstab_by_ward_suppresses_and_protects(app, client, plan):
    """By ward: 中央区 20 yes + 15 no, 北区 12 yes + 3 no. The 3 is hidden, so is a second cell
    in its column (北区) and in its row (no), and the row's and column's totals stay safe."""
    from app.surveys.results import SUPPRESS_UNDER

    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO[:2]}])
        add_responses(survey_id, 35, lambda i: choice(qid, 0 if i < 20 else 1), ward="chuo")
        add_responses(survey_id, 15, lambda i: choice(qid, 0 if i < 12 else 1), ward="kita")
    data = client.get(f"/surveys/{survey_id}/results.json").json
    (question,) = data["sections"][0]["questions"]
    (by_ward,) = [tab for tab in question["crosstabs"] if tab["by"] == "ward"]
    rows = {row["value"]: row["cells"] for row in by_ward["rows"]}
    assert rows[1]["kita"]["suppressed"]
    # Every additive line (a column with its total, a row with the main table's count) hides
    # none or at least two cells.
    main = {a["value"]: a for a in question["answers"]}
    columns = {c["key"]: c["respondents"] for c in by_ward["columns"]}
    lines = [[columns[key]] + [rows[v][key] for v in rows] for key in columns]
    lines += [[main[v], *rows[v].values()] for v in rows]
    lines.append([question["respondents"], *columns.values()])
    for line in lines:
        assert sum(cell["suppressed"] for cell in line) != 1
    every = [cell for line in lines for cell in line]
    assert all(cell["count"] is None or cell["count"] >= SUPPRESS_UNDER for cell in every)


# Samples apart, options counted, weights ------------------------------------------------------


def test_panel_and_open_answers_are_reported_apart(app, client, plan):
    population = {"chuo|40s": 600, "kita|70_plus": 400}
    with app.app_context():
        survey_id, (qid,) = add_survey(
            [{"kind": "single", "options": YES_NO[:2]}], population=population
        )
        add_responses(
            survey_id, 30, lambda i: choice(qid, 0), source="panel", ward="chuo", band="40s"
        )
        add_responses(survey_id, 40, lambda i: choice(qid, 1), source="open")
    data = client.get(f"/surveys/{survey_id}/results.json").json
    sections = {s["source"]: s for s in data["sections"]}
    assert set(sections) == {"panel", "open"}
    panel = {a["value"]: a for a in sections["panel"]["questions"][0]["answers"]}
    open_ = {a["value"]: a for a in sections["open"]["questions"][0]["answers"]}
    assert sections["panel"]["respondents"]["count"] == 30 and panel[0]["share"] == 100.0
    assert sections["open"]["respondents"]["count"] == 40 and open_[1]["share"] == 100.0
    assert sections["panel"]["weighted"] and not sections["open"]["weighted"]
    # Nowhere pooled: no 70 respondents, no 30/70 or 40/70 share.
    flat = str(data)
    assert "'count': 70" not in flat and "42.9" not in flat and "57.1" not in flat
    page = client.get(f"/surveys/{survey_id}/results?lang=en").text
    assert 'id="source-panel"' in page and 'id="source-open"' in page


def test_multiple_choice_counts_options_not_combinations(app, client, plan):
    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "multiple", "options": YES_NO}])
        add_responses(survey_id, 20, lambda i: choice(qid, 0, 1))
        add_responses(survey_id, 15, lambda i: choice(qid, 0))
        add_responses(survey_id, 12, lambda i: choice(qid, 2))
    data = client.get(f"/surveys/{survey_id}/results.json").json
    (question,) = data["sections"][0]["questions"]
    answers = {a["value"]: a for a in question["answers"]}
    assert question["respondents"]["count"] == 47
    assert [answers[v]["count"] for v in (0, 1, 2)] == [35, 20, 12]
    assert answers[0]["share"] == round(100 * 35 / 47, 1)
    assert answers[1]["share"] == round(100 * 20 / 47, 1)
    assert len(answers) == 3  # no "0 and 1" combination anywhere
    page = client.get(f"/surveys/{survey_id}/results?lang=en").text
    assert "more than 100%" in page


def test_weighted_shares_equal_a_hand_computation(app, client, plan):
    """Population: 中央区 40s 600, 北区 70+ 400, 中央区 20s 1,000 (no respondent: merged with
    the next band of its ward). Panel sample: 中央区 40s 30 (20 yes), 北区 70+ 10 (4 yes)."""
    population = {"chuo|40s": 600, "kita|70_plus": 400, "chuo|20s": 1000}
    with app.app_context():
        survey_id, (qid,) = add_survey(
            [{"kind": "single", "options": YES_NO[:2]}], population=population
        )
        add_responses(
            survey_id,
            30,
            lambda i: choice(qid, 0 if i < 20 else 1),
            source="panel",
            ward="chuo",
            band="40s",
        )
        add_responses(
            survey_id,
            10,
            lambda i: choice(qid, 0 if i < 4 else 1),
            source="panel",
            ward="kita",
            band="70_plus",
        )
    data = client.get(f"/surveys/{survey_id}/results.json").json
    (section,) = data["sections"]
    # By hand: 中央区 (20s + 40s) is 1,600 of 2,000 people and 30 of 40 respondents, 北区 70+
    # is 400 of 2,000 and 10 of 40.
    w_chuo = (1600 / 2000) / (30 / 40)
    w_kita = (400 / 2000) / (10 / 40)
    weights = {tuple(w["strata"]): w for w in section["weights"]}
    assert weights[("chuo|20s", "chuo|40s")]["weight"] == pytest.approx(w_chuo)
    assert weights[("kita|70_plus",)]["weight"] == pytest.approx(w_kita)
    assert weights[("chuo|20s", "chuo|40s")]["population"] == 1600
    yes = (w_chuo * 20 + w_kita * 4) / (w_chuo * 30 + w_kita * 10)
    effective = (w_chuo * 30 + w_kita * 10) ** 2 / (w_chuo**2 * 30 + w_kita**2 * 10)
    moe = 100 * 1.96 * math.sqrt(yes * (1 - yes) / effective) * math.sqrt((2000 - effective) / 1999)
    answers = {a["value"]: a for a in section["questions"][0]["answers"]}
    assert answers[0]["share"] == 60.0  # 24 of 40, as answered
    assert answers[0]["weighted_share"] == round(100 * yes, 1)
    assert answers[0]["weighted_margin"] == round(moe, 1)
    assert answers[1]["weighted_share"] == round(100 * (1 - yes), 1)
    # The weights and their source are on the page.
    page = client.get(f"/surveys/{survey_id}/results?lang=ja").text
    assert "住民基本台帳（令和8年1月1日現在）" in page and f"{w_kita:.3f}" in page
    assert f"{100 * yes:.1f}" in page


def test_a_small_stratum_is_merged_before_weighting():
    from app.surveys.results import SUPPRESS_UNDER, weighting_cells

    cells = weighting_cells(
        {"chuo|20s": 100, "chuo|30s": 100, "kita|20s": 50, "nishi|20s": 50},
        {"chuo|20s": 4, "chuo|30s": 12, "kita|20s": 3, "nishi|20s": 8},
    )
    assert all(cell.sample >= SUPPRESS_UNDER for cell in cells)
    assert sorted(key for cell in cells for key in cell.strata) == sorted(
        ["chuo|20s", "chuo|30s", "kita|20s", "nishi|20s"]
    )
    assert sum(cell.weight * cell.sample for cell in cells) == pytest.approx(27)


# Other kinds of question, free text ------------------------------------------------------------


def test_scales_matrices_numbers_dates_and_redacted_texts(app, client, plan):
    with app.app_context():
        survey_id, ids = add_survey(
            [
                {"kind": "scale"},
                {"kind": "matrix", "rows": [{"ja": "わかりやすさ", "en": "Clarity"}]},
                {"kind": "number"},
                {"kind": "date"},
                {"kind": "long_text"},
            ]
        )
        scale, matrix, number, day, text = ids

        def answers(i: int) -> list[dict[str, Any]]:
            rows = [
                {"question_id": scale, "option": 4 if i < 12 else 5},
                {"question_id": matrix, "row": 0, "option": 3 if i < 10 else 5},
                {"question_id": number, "number": float(i)},
                {"question_id": day, "day": date(2026, 5, 1) if i < 11 else date(2026, 6, 1)},
            ]
            if i < 3:
                rows.append(
                    {
                        "question_id": text,
                        "text": f"山田花子です。電話090-0000-000{i}。公園を増やして",
                        "redacted_text": "公園を増やしてほしい。",
                    }
                )
            elif i == 3:
                rows.append(
                    {"question_id": text, "text": "未確認の回答SECRET", "redacted_text": None}
                )
            return rows

        add_responses(survey_id, 22, answers)
    data = client.get(f"/surveys/{survey_id}/results.json").json
    q = {question["id"]: question for question in data["sections"][0]["questions"]}
    # Zeros are published (they describe no one); the scale's mean with them.
    assert [a["count"] for a in q[scale]["answers"]] == [0, 0, 0, 12, 10]
    assert q[scale]["mean"] == round((4 * 12 + 5 * 10) / 22, 2)
    (item,) = q[matrix]["items"]
    assert item["respondents"]["count"] == 22 and item["answers"][2]["count"] == 10
    assert item["answers"][4]["count"] == 12 and item["mean"] == round((3 * 10 + 5 * 12) / 22, 2)
    assert q[number]["respondents"]["count"] == 22 and q[number]["mean"] == 10.5
    assert q[number]["median"] == 10.5
    assert [(a["value"], a["count"]) for a in q[day]["answers"]] == [
        ("2026-05", 11),
        ("2026-06", 11),
    ]
    # Free text: the three redacted answers as one group; the unchecked one nowhere.
    assert q[text]["texts"] == [
        {"text": "公園を増やしてほしい。", "similar": None, "suppressed": True}
    ]
    for path in ("", ".csv", ".json"):
        body = client.get(f"/surveys/{survey_id}/results{path}").data.decode("utf-8")
        assert "SECRET" not in body and "山田花子" not in body and "090-0000" not in body
    page = client.get(f"/surveys/{survey_id}/results?lang=ja").text
    assert "公園を増やしてほしい。" in page and "結果を踏まえ、広報の方法を見直しました。" in page


# Cost --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_statements_do_not_grow_with_the_answers(app, client, plan, suffix):
    counts = []
    with app.app_context():
        survey_id, ids = add_survey(
            [
                {"kind": "single", "options": YES_NO, "allow_other": True},
                {"kind": "multiple", "options": YES_NO},
                {"kind": "scale"},
                {"kind": "matrix", "rows": [{"ja": "長さ", "en": "Length"}]},
                {"kind": "number"},
                {"kind": "short_text"},
            ],
            population={"chuo|40s": 5000, "kita|70_plus": 3000},
        )

    def answers(i: int) -> list[dict[str, Any]]:
        return [
            *choice(ids[0], i % 3),
            *choice(ids[1], 0, 1 + i % 2),
            {"question_id": ids[2], "option": 1 + i % 5},
            {"question_id": ids[3], "row": 0, "option": 1 + i % 5},
            {"question_id": ids[4], "number": float(i)},
            {"question_id": ids[5], "text": "x", "redacted_text": f"意見{i % 4}です"},
        ]

    for total in (20, 200):
        with app.app_context():
            have = db.session.scalar(sa.text("SELECT count(*) FROM response"))
            half = (total - have) // 2
            add_responses(survey_id, half, answers, source="panel", ward="chuo", band="40s")
            add_responses(survey_id, total - have - half, answers, source="open", ward="kita")
        client.get(f"/surveys/{survey_id}/results{suffix}")  # warm
        with app.app_context(), count_statements() as statements:
            assert client.get(f"/surveys/{survey_id}/results{suffix}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 15
