"""The surveys manifest (app/surveys/activity.py): figures per initiative in one statement,
including the participant feedback's scores under initiative 18, and the kind in the API, the
OpenAPI document and open data with its counts suppressed under 10."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema_rs
import sqlalchemy as sa

from app.core import clock
from app.core.activity import ActivityFilter
from app.extensions import db
from tests.api.test_openapi_snapshot import SNAPSHOT, breaks
from tests.conftest import count_statements
from tests.surveys.test_results import YES_NO, add_responses, add_survey, choice

AGAIN = [{"ja": "参加したい", "en": "Yes"}, {"ja": "どちらともいえない", "en": "Not sure"}]


def _feedback_survey(initiative: int, glad: list[int], again: list[int], invited: int) -> int:
    from app.surveys.models import Invitation

    survey_id, (glad_q, again_q) = add_survey(
        [{"kind": "scale", "key": "glad"}, {"kind": "single", "options": AGAIN, "key": "again"}],
        kind="feedback",
        audience="participants",
        initiative=initiative,
    )
    add_responses(
        survey_id,
        len(glad),
        lambda i: [
            {"question_id": glad_q, "option": glad[i]},
            *choice(again_q, again[i]),
        ],
        source="participants",
    )
    db.session.add_all(
        Invitation(
            survey_id=survey_id,
            code_hash=f"{survey_id}-{n}",
            used_at=clock.now() if n < len(glad) else None,
        )
        for n in range(invited)
    )
    db.session.commit()
    return survey_id


def test_figures_per_initiative_with_feedback_scores(app, plan):
    from app.plan.services import initiative_id
    from app.surveys.activity import figures

    with app.app_context():
        # Initiative 18: 12 answered of 16 invited; glad (4 or 5): 9 of 12; again (first
        # option): 8 of 12. A hidden response is counted nowhere.
        _feedback_survey(18, [5] * 6 + [4] * 3 + [2] * 3, [0] * 8 + [1] * 4, 16)
        # Initiative 19: 5 answers only: its scores are left out (a share of five).
        _feedback_survey(19, [5] * 5, [0] * 5, 5)
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}])
        add_responses(survey_id, 11, lambda i: choice(qid, 0))
        from app.surveys.models import Response

        db.session.execute(
            sa.update(Response)
            .where(Response.id == db.session.scalar(sa.select(sa.func.max(Response.id))))
            .values(hidden_reason="試験回答")
        )
        db.session.commit()
        with count_statements() as statements:
            result = figures(ActivityFilter())
        assert len([s for s in statements if s != "BEGIN"]) == 1
        i18, i19, i9 = initiative_id(18), initiative_id(19), initiative_id(9)
        assert result[i18] == {
            "surveys": 1,
            "responses": 12,
            "invitations": 16,
            "response_rate": 75.0,
            "glad_share": 75.0,
            "again_share": round(100 * 8 / 12, 1),
        }
        assert result[i19]["responses"] == 5 and "glad_share" not in result[i19]
        assert result[i9]["responses"] == 10 and result[i9]["invitations"] == 0
        assert figures(ActivityFilter(fiscal_years=(2030,))) == {}


def test_the_kind_in_the_api_openapi_and_open_data(app, client, plan):
    from app.surveys.activity import KIND

    with app.app_context():
        survey_id, (qid,) = add_survey([{"kind": "single", "options": YES_NO}])
        add_responses(survey_id, 25, lambda i: choice(qid, i % 2))
        add_responses(survey_id, 4, lambda i: choice(qid, 0), source="panel")
        unpublished, _ids = add_survey([{"kind": "single", "options": YES_NO}], published=False)
    listed = client.get("/api/v1/surveys")
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    jsonschema_rs.validate(KIND.api[0].schema, item)
    assert item["id"] == survey_id
    assert item["responses"]["open"] == {"count": 25, "suppressed": False}
    assert item["responses"]["panel"] == {"count": None, "suppressed": True}
    one = client.get(f"/api/v1/surveys/{survey_id}")
    assert one.status_code == 200 and one.json["results"]["sections"][0]["source"] == "panel"
    assert client.get(f"/api/v1/surveys/{unpublished}").status_code == 404
    document = client.get("/api/v1/openapi.json").json
    assert document["paths"]["/surveys"]["get"]["operationId"] == "listSurveys"
    assert breaks(json.loads(SNAPSHOT.read_text()), document) == []
    catalogue = json.loads(client.get("/open-data/catalog.jsonld").text)
    keys = {entry["dct:identifier"] for entry in catalogue["dcat:dataset"]}
    assert f"survey_results_{survey_id}" in keys
    page = client.get("/initiatives/9?lang=en").text
    assert "Surveys run" in page


def test_open_now_and_attention(app, plan):
    from app.surveys.activity import attention, open_now
    from app.surveys.models import Survey, SurveyStatus

    with app.app_context():
        open_id, _ids = add_survey([{"kind": "scale"}], published=False)
        closed_id, _ids = add_survey([{"kind": "scale"}], published=False)
        survey = db.session.get(Survey, open_id)
        survey.opens_at = clock.now() - timedelta(days=1)
        survey.closes_at = clock.now() + timedelta(days=5)
        db.session.commit()
        with app.test_request_context("/?lang=en"):
            (record,) = open_now(5)
            assert record.url == f"/surveys/{open_id}"
            (waiting,) = [r for r in attention(5) if f"/{closed_id}" in r.url]
            assert "results not published" in waiting.status
        db.session.get(Survey, closed_id).status = SurveyStatus.PUBLISHED
        db.session.commit()


def test_the_demo_loads_once(app, plan):
    from app.core.demo import load_demo
    from app.surveys.models import PanelMember, Response, Survey, SurveyKind
    from tests.conftest import PLAN_FILE

    with app.app_context():
        load_demo(str(PLAN_FILE))
        counts = [
            db.session.scalar(sa.select(sa.func.count(Response.id))),
            db.session.scalar(sa.select(sa.func.count(PanelMember.id))),
        ]
        published = db.session.scalars(
            sa.select(Survey).where(Survey.results_published_at.is_not(None))
        ).all()
        assert len(published) == 2 and all(s.afterwards_ja for s in published)
        assert db.session.scalar(
            sa.select(sa.func.count(Survey.id)).where(Survey.kind == SurveyKind.FEEDBACK)
        )
        load_demo(str(PLAN_FILE))
        assert counts == [
            db.session.scalar(sa.select(sa.func.count(Response.id))),
            db.session.scalar(sa.select(sa.func.count(PanelMember.id))),
        ]
