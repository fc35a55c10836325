"""schemathesis checks every API operation against the OpenAPI document."""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.public_comment.fixtures import post_comment


def test_api_matches_its_openapi_document(app, make_case, client, frozen):
    """Every operation, with data generated from the document, answers as the document says.
    (Driven through hypothesis directly: schemathesis' pytest plugin does not run on pytest 9.)"""
    case_id = make_case()
    post_comment(client, case_id)
    make_case(title="二つ目", initiative=17)
    from app.core.demo import load_demo
    from tests.conftest import PLAN_FILE

    with app.app_context():
        load_demo(str(PLAN_FILE))  # sessions, councils, cases of every kind to serve
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # 8, the citizens' voice list and item (issue 21), the survey results list and item (22)
    assert len(operations) == 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case):
            case.call_and_validate()

        check()


def test_openapi_document_is_3_1(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert {
        "/plan",
        "/initiatives",
        "/figures",
        "/public-comments",
        "/public-comments/{case_id}",
    } <= set(document["paths"])


def test_get_responses_have_etag_cors_and_honour_if_none_match(client, plan):
    response = client.get("/api/v1/plan")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    etag = response.headers["ETag"]
    again = client.get("/api/v1/plan", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_pagination(client, make_case):
    for n in range(5):
        make_case(title=f"案件{n}")
    first = client.get("/api/v1/public-comments?per_page=2").json
    assert first["total"] == 5 and len(first["items"]) == 2 and first["next"]
    last = client.get("/api/v1/public-comments?per_page=2&page=3").json
    assert len(last["items"]) == 1 and last["next"] is None
    assert client.get("/api/v1/public-comments?per_page=1000").status_code == 400


def test_figures_filters(client, make_case):
    make_case()
    data = client.get("/api/v1/figures?year=2024").json
    eight = next(i for i in data["initiatives"] if i["number"] == 8)
    assert eight["figures"]["public_comment"]["cases"] == 1
    data = client.get("/api/v1/figures?year=2023").json
    eight = next(i for i in data["initiatives"] if i["number"] == 8)
    assert eight["figures"]["public_comment"]["cases"] == 0
    assert client.get("/api/v1/figures?ward=nowhere").status_code == 400


def test_published_results_in_the_api_have_no_personal_data(app, client, make_case, frozen):
    from datetime import date, time

    from tests.public_comment.test_public_pages import SECRETS, _publish

    case_id = make_case()
    post_comment(client, case_id, SECRETS)
    frozen.set_jst(date(2024, 11, 5), time(9, 0))
    _publish(app, case_id)
    response = client.get(f"/api/v1/public-comments/{case_id}")
    assert response.json["results"]["counts"]["comments"] == 1
    for value in SECRETS.values():
        assert value not in response.text


def test_sessions_and_councils_carry_no_personal_data(app, client, plan):
    import sqlalchemy as sa

    from app.consultations.models import Registration
    from app.core.demo import load_demo
    from app.councils.models import Application, CouncilMember
    from app.extensions import db
    from tests.conftest import PLAN_FILE

    with app.app_context():
        load_demo(str(PLAN_FILE))
        personal = set(db.session.scalars(sa.select(Registration.name)))
        personal |= set(db.session.scalars(sa.select(Registration.email)))
        personal |= set(db.session.scalars(sa.select(CouncilMember.name)))
        personal |= set(db.session.scalars(sa.select(Application.name)))
    assert personal
    sessions = client.get("/api/v1/sessions?per_page=100")
    councils = client.get("/api/v1/councils?per_page=100")
    assert sessions.json["total"] > 0 and councils.json["total"] > 0
    for value in personal:
        assert value not in sessions.text and value not in councils.text


def test_figures_are_plain_numbers_on_every_backend(app, client, plan):
    """PostgreSQL returns ratios as Decimal; the API must still send JSON numbers."""
    from app.core.demo import load_demo
    from tests.conftest import PLAN_FILE

    with app.app_context():
        load_demo(str(PLAN_FILE))
    data = client.get("/api/v1/figures").json
    values = [
        v for i in data["initiatives"] for kind in i["figures"].values() for v in kind.values()
    ]
    assert values and all(isinstance(v, int | float) for v in values)
    assert any(v for v in values)


def test_staff_only_sessions_are_not_listed(app, client, plan):
    """Training and internal meetings count in the figures but are never offered (issue 17)."""
    import sqlalchemy as sa

    from app.consultations.models import Audience, Consultation, ConsultationKind, Session
    from app.core.demo import load_demo
    from app.extensions import db
    from tests.conftest import PLAN_FILE

    with app.app_context():
        load_demo(str(PLAN_FILE))
        staff_only = set(
            db.session.scalars(
                sa.select(Session.id)
                .join(Consultation, Session.consultation_id == Consultation.id)
                .join(ConsultationKind, Consultation.kind_id == ConsultationKind.id)
                .where(ConsultationKind.audience == Audience.STAFF)
            )
        )
    assert staff_only, "the demo records staff training"
    listed = {item["id"] for item in client.get("/api/v1/sessions?per_page=100").json["items"]}
    assert listed and not listed & staff_only
