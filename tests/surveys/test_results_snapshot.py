"""Stored results (Survey.results_snapshot, app/surveys/results.py): computed when published,
a redaction rewriting the free text at once; the public page, files and API read the stored
row, never the answers, at a fixed cost whatever the number of responses; a survey published
before snapshots existed is computed on its first read and stored; the stored JSON holds no
count from 1 to 9 (it is as safe to publish as the pages)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import count_statements
from tests.surveys.test_results import YES_NO, add_responses, add_survey, choice


def _staff(make_user: Any) -> int:
    return make_user("staff", "kocho").id


def _publish(actor_id: int, survey_id: int) -> None:
    from app.accounts.models import User
    from app.surveys import services
    from app.surveys.models import Survey

    db.session.expire_all()
    services.publish_results(db.session.get(User, actor_id), db.session.get(Survey, survey_id))


def _snapshot(survey_id: int) -> Any:
    from app.surveys.models import Survey

    db.session.expire_all()
    return db.session.scalar(sa.select(Survey.results_snapshot).where(Survey.id == survey_id))


def _touches_answers(statements: list[str]) -> bool:
    return any(" answer" in s.lower().replace('"', "") for s in statements)


def _survey_of(app: Any, actor_id: int, responses: int) -> tuple[int, list[int]]:
    """A published survey (through the service) of `responses` open and panel answers."""
    with app.app_context():
        survey_id, ids = add_survey(
            [
                {"kind": "single", "options": YES_NO, "allow_other": True},
                {"kind": "multiple", "options": YES_NO},
                {"kind": "scale"},
                {"kind": "matrix", "rows": [{"ja": "長さ", "en": "Length"}]},
                {"kind": "number"},
                {"kind": "long_text"},
            ],
            published=False,
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

        half = responses // 2
        add_responses(survey_id, half, answers, source="panel", ward="chuo", band="40s")
        add_responses(survey_id, responses - half, answers, source="open", ward="kita")
        _publish(actor_id, survey_id)
    return survey_id, ids


def test_the_public_outputs_read_the_stored_results(app, client, plan, make_user):
    actor = _staff(make_user)
    counts = []
    for responses in (20, 200):
        survey_id, ids = _survey_of(app, actor, responses)
        with app.app_context():
            assert _snapshot(survey_id)["version"] >= 1  # stored with the publication
        for path in ("", ".json", ".csv"):
            with app.app_context(), count_statements() as statements:
                assert client.get(f"/surveys/{survey_id}/results{path}").status_code == 200
            assert not _touches_answers(statements), statements
            if path == "":
                counts.append(len(statements))
        with app.app_context(), count_statements() as statements:
            item = client.get(f"/api/v1/surveys/{survey_id}")
        assert item.status_code == 200 and not _touches_answers(statements)
        assert item.json["results"]["sections"][0]["respondents"]["count"] == responses // 2
    assert counts[0] == counts[1] and counts[0] <= 10, counts
    # Answers written behind the services' back are not counted: the page reads what is stored.
    with app.app_context():
        add_responses(survey_id, 30, lambda i: choice(ids[0], 0), source="open", ward="kita")
    data = client.get(f"/surveys/{survey_id}/results.json").json
    assert [s["respondents"]["count"] for s in data["sections"]] == [100, 100]


@pytest.fixture(params=["uncached", "cached"])
def pages(request, app, client, another_app):
    """The public client, and one of an app that caches the results page (per survey and
    version): a redaction or a note on how the results were used shows at once on both."""
    if request.param == "uncached":
        return client
    return another_app({**app.config, "FIGURES_CACHE_SECONDS": 3600}).test_client()


def test_a_redaction_shows_at_once(app, pages, plan, make_user):
    client = pages
    from app.accounts.models import User
    from app.surveys import services
    from app.surveys.models import Answer

    actor = _staff(make_user)
    survey_id, ids = _survey_of(app, actor, 20)
    with app.app_context():
        add_responses(
            survey_id, 1, lambda i: [{"question_id": ids[5], "text": "山田です。歩道を広げて"}]
        )
        answer_id = db.session.scalar(sa.select(Answer.id).where(Answer.text.like("山田%")))
    # The answer came after the publication: not counted, not published.
    assert "歩道" not in client.get(f"/surveys/{survey_id}/results?lang=ja").text
    with app.app_context():
        services.redact_answer(db.session.get(User, actor), answer_id, "歩道を広げてほしい。")
    page = client.get(f"/surveys/{survey_id}/results?lang=ja").text
    assert "歩道を広げてほしい。" in page and "山田" not in page
    data = client.get(f"/surveys/{survey_id}/results.json").json
    texts = [g["text"] for s in data["sections"] for q in s["questions"] for g in q["texts"]]
    assert "歩道を広げてほしい。" in texts
    # Unpublished again: gone at once as well; the counts are kept as they were.
    with app.app_context():
        services.redact_answer(db.session.get(User, actor), answer_id, None)
    again = client.get(f"/surveys/{survey_id}/results.json").json
    assert "歩道" not in client.get(f"/surveys/{survey_id}/results?lang=ja").text
    assert "歩道" not in str(again)
    assert again["sections"][1]["respondents"]["count"] == 10


def test_afterwards_shows_at_once(app, pages, plan, make_user):
    client = pages
    from app.accounts.models import User
    from app.surveys import services
    from app.surveys.models import Survey

    actor = _staff(make_user)
    survey_id, _ids = _survey_of(app, actor, 20)
    seen = client.get(f"/surveys/{survey_id}/results?lang=ja")
    assert seen.status_code == 200
    # A browser's copy is revalidated by the survey's version: unchanged, 304 without a body.
    tag = {"If-None-Match": seen.headers["ETag"]}
    assert client.get(f"/surveys/{survey_id}/results?lang=ja", headers=tag).status_code == 304
    with app.app_context():
        stored = _snapshot(survey_id)
        services.save_afterwards(
            db.session.get(User, actor),
            db.session.get(Survey, survey_id),
            "自転車道の計画に反映しました。",
            "",
        )
        assert _snapshot(survey_id) == stored  # no figure changed: nothing counted again
    changed = client.get(f"/surveys/{survey_id}/results?lang=ja", headers=tag)
    assert changed.status_code == 200 and "自転車道の計画に反映しました。" in changed.text
    data = client.get(f"/surveys/{survey_id}/results.json").json
    assert data["afterwards"]["ja"] == "自転車道の計画に反映しました。"


def test_a_survey_published_before_snapshots_is_stored_on_its_first_read(app, client, plan):
    from app.surveys.models import Survey

    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}])
        add_responses(survey_id, 25, lambda i: choice(qid, i % 2))
        assert _snapshot(survey_id) is None
        updated = db.session.get(Survey, survey_id).updated_at
    assert client.get(f"/surveys/{survey_id}/results").status_code == 200
    with app.app_context():
        assert _snapshot(survey_id)["sections"][0]["respondents"][0] == 25
        assert db.session.get(Survey, survey_id).updated_at == updated  # nobody changed it
    with app.app_context(), count_statements() as statements:
        assert client.get(f"/surveys/{survey_id}/results").status_code == 200
    assert not _touches_answers(statements)


def _counts(node: Any, key: str = "") -> list[Any]:
    """Every count in the stored JSON: a cell is [count, share, margin, weighted share,
    weighted margin]; a weighting cell has its sample; a group of texts is [text, size]."""
    found: list[Any] = []
    if isinstance(node, dict):
        for k, value in node.items():
            if k in ("respondents", "total", "cell"):
                found.append(value[0])
            elif k == "sample":
                found.append(value)
            elif k in ("texts", "other_texts"):
                found += [size for _text, size in value if size != 1]  # a lone answer: 1
            elif k == "columns":
                found += [cell[0] for _key, _label, cell in value]
            elif k == "cells":
                found += [cell[0] for _key, row in value for cell in row.values()]
            else:
                found += _counts(value, k)
    elif isinstance(node, list):
        for item in node:
            found += _counts(item, key)
    return found


def test_the_stored_results_hold_no_count_from_1_to_9(app, client, plan, make_user):
    actor = _staff(make_user)
    with app.app_context():
        survey_id, (single, text) = add_survey(
            [{"kind": "single", "options": YES_NO, "allow_other": True}, {"kind": "long_text"}],
            population={"chuo|40s": 5000, "chuo|50s": 4000, "kita|40s": 3000},
            published=False,
        )

        def answers(option: int, said: str) -> Any:
            return lambda i: [
                *choice(single, option),
                {"question_id": text, "text": "x", "redacted_text": said},
            ]

        # Raw counts of 3, 4 and 7 in the cross-tabs, a group of 3 alike texts, a lone one.
        add_responses(
            survey_id, 12, answers(0, "公園がほしい"), source="panel", ward="chuo", band="40s"
        )
        add_responses(
            survey_id, 3, answers(1, "道路を直して"), source="panel", ward="chuo", band="50s"
        )
        add_responses(survey_id, 7, answers(2, "図書館を"), source="panel", ward="chuo", band="50s")
        add_responses(
            survey_id, 11, answers(0, "公園がほしい"), source="panel", ward="kita", band="40s"
        )
        add_responses(survey_id, 4, answers(1, "バスを増やして"), source="open", ward="kita")
        add_responses(survey_id, 1, answers(1, "ひとりの意見"), source="open", ward="kita")
        add_responses(survey_id, 9, answers(0, "公園がほしい"), source="open", ward="chuo")
        _publish(actor, survey_id)
        stored = _snapshot(survey_id)
    counts = _counts(stored)
    assert None in counts and any(n and n >= 10 for n in counts), counts  # hidden and shown
    assert all(n is None or n == 0 or n >= 10 for n in counts), counts
    weights = [w for section in stored["sections"] for w in section["weights"]]
    assert weights and all(w["sample"] >= 10 for w in weights)
    # What the public JSON says agrees with what is stored.
    data = client.get(f"/surveys/{survey_id}/results.json").json
    assert data["sections"][0]["respondents"]["count"] == stored["sections"][0]["respondents"][0]


def test_weights_need_ten_respondents_of_known_stratum(app, client, plan):
    """A panel sample of 12 of which only 5 gave ward and age band: no weighting cell (its
    sample would be 5), unweighted shares only."""
    with app.app_context():
        survey_id, (qid,) = add_survey(
            [{"kind": "single", "options": YES_NO}], population={"chuo|40s": 5000}
        )
        add_responses(
            survey_id, 5, lambda i: choice(qid, 0), source="panel", ward="chuo", band="40s"
        )
        add_responses(survey_id, 7, lambda i: choice(qid, 1), source="panel")
    data = client.get(f"/surveys/{survey_id}/results.json").json
    (section,) = data["sections"]
    assert section["respondents"]["count"] == 12
    assert section["weights"] == [] and section["weighted"] is False
