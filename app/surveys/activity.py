"""The surveys activity kind, the module's manifest (DESIGN.md §3): figures per initiative in
one SQL statement (surveys run, responses, the response rate where people were invited, and
the participant feedback's scores that are initiative 18's and 19's quality figures), the
published results on an initiative's page, what 広聴課 and the divisions should act on, the
surveys anyone may answer now, the published results in the API and as open data, and the demo.

Only aggregates leave this module: never a response, an invitation, a resident or a member;
response counts under SUPPRESS_UNDER are suppressed in the API as on the results pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.activity import (
    JSON,
    ActivityFilter,
    ActivityKind,
    ActivityRecord,
    ApiItem,
    ApiList,
    Figures,
    Metric,
    time_left,
)
from app.core.i18n import to_jst
from app.core.opendata import Dataset, Distribution
from app.core.urls import public_url
from app.extensions import db
from app.plan.models import Department
from app.surveys.demo import load_demo
from app.surveys.models import (
    SUPPRESS_UNDER,
    Answer,
    Audience,
    Invitation,
    Question,
    Response,
    Source,
    Survey,
    SurveyKind,
    SurveyStatus,
    favourable_answer,
)

# A survey counts as run once approved (it opens by itself) and as long as it is not abandoned.
RUN = (SurveyStatus.APPROVED, SurveyStatus.PUBLISHED)
# The feedback questions whose "yes" is a quality figure: a five-point scale's 4 and 5, or a
# choice's first option (「参加したい」), found by their key whatever the wording.
SCORE_KEYS = {"glad": "glad_share", "again": "again_share"}


def _count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def figures(flt: ActivityFilter) -> Figures:
    """Per initiative: surveys run, responses (hidden ones not counted), invitations sent and
    used (the response rate: a used one-time code is a response, in anonymous surveys too), and
    the shares of feedback answers saying "glad I took part" and "would take part again". One
    statement: the surveys grouped by initiative, joined to responses, invitations and
    feedback answers grouped likewise. A score is left out where fewer than SUPPRESS_UNDER
    answered it (a share of a handful would say how each one answered)."""
    run = sa.and_(Survey.status.in_(RUN), Survey.opens_at <= clock.now())

    def narrowed(stmt: sa.Select[Any]) -> sa.Select[Any]:
        return flt.apply(stmt.where(run), Survey)

    surveys = narrowed(
        sa.select(
            Survey.initiative_id.label("initiative_id"), sa.func.count().label("surveys")
        ).group_by(Survey.initiative_id)
    ).subquery("surveys")
    responses = narrowed(
        sa.select(Survey.initiative_id.label("initiative_id"), sa.func.count().label("n"))
        .join(Response, Response.survey_id == Survey.id)
        .where(Response.hidden_reason == "")
        .group_by(Survey.initiative_id)
    ).subquery("responses")
    invitations = narrowed(
        sa.select(
            Survey.initiative_id.label("initiative_id"),
            sa.func.count().label("sent"),
            _count(Invitation.used_at.is_not(None)).label("used"),
        )
        .join(Invitation, Invitation.survey_id == Survey.id)
        .group_by(Survey.initiative_id)
    ).subquery("invitations")
    scores = narrowed(
        sa.select(
            Survey.initiative_id.label("initiative_id"),
            _count(Question.key == "glad").label("glad_n"),
            _count(sa.and_(Question.key == "glad", favourable_answer())).label("glad_yes"),
            _count(Question.key == "again").label("again_n"),
            _count(sa.and_(Question.key == "again", favourable_answer())).label("again_yes"),
        )
        .join(Question, Question.survey_id == Survey.id)
        .join(Answer, Answer.question_id == Question.id)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Survey.kind == SurveyKind.FEEDBACK,
            Question.key.in_(list(SCORE_KEYS)),
            Answer.option.is_not(None),
            Response.hidden_reason == "",
        )
        .group_by(Survey.initiative_id)
    ).subquery("scores")
    rows = db.session.execute(
        sa.select(
            surveys.c.initiative_id,
            surveys.c.surveys,
            responses.c.n,
            invitations.c.sent,
            invitations.c.used,
            scores.c.glad_n,
            scores.c.glad_yes,
            scores.c.again_n,
            scores.c.again_yes,
        )
        .outerjoin(responses, responses.c.initiative_id == surveys.c.initiative_id)
        .outerjoin(invitations, invitations.c.initiative_id == surveys.c.initiative_id)
        .outerjoin(scores, scores.c.initiative_id == surveys.c.initiative_id)
    ).mappings()
    result: Figures = {}
    for row in rows:
        sent, used = int(row["sent"] or 0), int(row["used"] or 0)
        values: dict[str, float] = {
            "surveys": int(row["surveys"]),
            "responses": int(row["n"] or 0),
            "invitations": sent,
            "response_rate": round(100 * used / sent, 1) if sent else 0,
        }
        for key, metric in SCORE_KEYS.items():
            answered = int(row[f"{key}_n"] or 0)
            if answered >= SUPPRESS_UNDER:
                values[metric] = round(100 * int(row[f"{key}_yes"]) / answered, 1)
        result[row["initiative_id"]] = values
    return result


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    """The surveys of an initiative whose results are published, newest first."""
    rows = db.session.execute(
        sa.select(Survey.id, Survey.title_ja, Survey.title_en, Survey.results_published_at)
        .where(Survey.initiative_id == initiative_id, Survey.results_published_at.is_not(None))
        .order_by(Survey.results_published_at.desc(), Survey.id.desc())
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=_title(title_ja, title_en),
            url=url_for("surveys.results", survey_id=survey_id),
            day=to_jst(published).date(),
            status=_("Results published"),
            updated=published,
        )
        for survey_id, title_ja, title_en, published in rows
    ]


def _title(title_ja: str, title_en: str) -> str:
    from app.core.i18n import current_language

    return title_en if current_language() == "en" and title_en else title_ja


def attention(limit: int) -> list[ActivityRecord]:
    """Surveys waiting for 広聴課's approval (oldest first), then surveys closed without their
    results published (the longest closed first; participant feedback is read on the staff
    feedback page and needs no publication). One statement."""
    now = clock.now()
    waiting = Survey.status == SurveyStatus.IN_REVIEW
    unpublished = sa.and_(
        Survey.status == SurveyStatus.APPROVED,
        Survey.kind == SurveyKind.SURVEY,
        Survey.closes_at <= now,
        Survey.results_published_at.is_(None),
    )
    rows = db.session.execute(
        sa.select(Survey, Department)
        .join(Department, Department.id == Survey.department_id)
        .where(sa.or_(waiting, unpublished))
        .order_by(sa.case((waiting, 0), else_=1), Survey.closes_at, Survey.id)
        .limit(limit)
    )
    today = clock.today()
    records_: list[ActivityRecord] = []
    for survey, department in rows:
        if survey.status == SurveyStatus.IN_REVIEW:
            status = _("Waiting for 広聴課's approval.")
            day = to_jst(survey.opens_at).date()
        else:
            day = to_jst(survey.closes_at).date()
            days = (today - day).days
            status = ngettext(
                "Closed %(num)d day ago; results not published.",
                "Closed %(num)d days ago; results not published.",
                days,
            )
        records_.append(
            ActivityRecord(
                title=f"{survey.tr('title')} ({department.tr('name')})",
                url=url_for("surveys_staff.edit", survey_id=survey.id),
                day=day,
                status=status,
            )
        )
    return records_


def open_now(limit: int) -> list[ActivityRecord]:
    """Surveys open now that anyone may answer, the soonest to close first (one statement)."""
    now = clock.now()
    rows = db.session.execute(
        sa.select(Survey.id, Survey.title_ja, Survey.title_en, Survey.closes_at)
        .where(
            Survey.status == SurveyStatus.APPROVED,
            Survey.audience == Audience.ANYONE,
            Survey.opens_at <= now,
            Survey.closes_at > now,
        )
        .order_by(Survey.closes_at, Survey.id)
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=_title(title_ja, title_en),
            url=url_for("surveys.answer", survey_id=survey_id),
            day=to_jst(closes_at).date(),
            status=time_left(closes_at),
        )
        for survey_id, title_ja, title_en, closes_at in rows
    ]


# The API and open data: published results, public fields and suppressed counts only ---------

SOURCES = [source.value for source in Source]
COUNT_SCHEMA: JSON = {
    "type": "object",
    "required": ["count", "suppressed"],
    "properties": {
        "count": {"type": ["integer", "null"], "description": "null when under 10"},
        "suppressed": {"type": "boolean"},
    },
}
SURVEY_SCHEMA: JSON = {
    "type": "object",
    "required": [
        "id",
        "title",
        "title_en",
        "purpose",
        "kind",
        "audience",
        "anonymous",
        "department",
        "department_name",
        "initiative",
        "fiscal_year",
        "opens_at",
        "closes_at",
        "results_published_at",
        "responses",
        "afterwards",
        "url",
        "results_json",
        "results_csv",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "title_en": {"type": "string"},
        "purpose": {"type": "string"},
        "kind": {"enum": [k.value for k in SurveyKind]},
        "audience": {"enum": [a.value for a in Audience]},
        "anonymous": {"type": "boolean"},
        "department": {"type": "string", "description": "The division's code."},
        "department_name": {"type": "string"},
        "initiative": {"type": "integer", "description": "The initiative the survey fulfils."},
        "fiscal_year": {"type": "integer"},
        "opens_at": {"type": "string", "format": "date-time"},
        "closes_at": {"type": "string", "format": "date-time"},
        "results_published_at": {"type": "string", "format": "date-time"},
        "responses": {
            "type": "object",
            "description": "Responses per sample (never pooled); null under 10.",
            "properties": {source: COUNT_SCHEMA for source in SOURCES},
        },
        "afterwards": {"type": "string", "description": "「その後」: how the results were used."},
        "url": {"type": "string"},
        "results_json": {"type": "string"},
        "results_csv": {"type": "string"},
        "results": {
            "type": "object",
            "description": "The whole results (the survey's item only), as results_json.",
        },
    },
}


def published_surveys() -> sa.Select[Any]:
    """Surveys with published results, newest publication first."""
    return (
        sa.select(Survey)
        .where(Survey.results_published_at.is_not(None))
        .order_by(Survey.results_published_at.desc(), Survey.id.desc())
        .options(selectinload(Survey.department), selectinload(Survey.initiative))
    )


def _response_counts(survey_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if survey_ids:
        for survey_id, source, n in db.session.execute(
            sa.select(Response.survey_id, Response.source, sa.func.count())
            .where(Response.survey_id.in_(survey_ids), Response.hidden_reason == "")
            .group_by(Response.survey_id, Response.source)
        ):
            counts[survey_id][source.value] = n
    return counts


def _count_json(n: int) -> JSON:
    shown = n >= SUPPRESS_UNDER or n == 0
    return {"count": n if shown else None, "suppressed": not shown}


def api_survey(survey: Survey, counts: dict[str, int]) -> JSON:
    return {
        "id": survey.id,
        "title": survey.title_ja,
        "title_en": survey.title_en,
        "purpose": survey.purpose_ja,
        "kind": survey.kind.value,
        "audience": survey.audience.value,
        "anonymous": survey.anonymous,
        "department": survey.department.code,
        "department_name": survey.department.name_ja,
        "initiative": survey.initiative.number,
        "fiscal_year": survey.fiscal_year,
        "opens_at": survey.opens_at.isoformat(),
        "closes_at": survey.closes_at.isoformat(),
        "results_published_at": survey.results_published_at.isoformat()
        if survey.results_published_at
        else None,
        "responses": {source: _count_json(counts.get(source, 0)) for source in SOURCES},
        "afterwards": survey.afterwards_ja,
        "url": public_url("surveys.results", survey_id=survey.id),
        "results_json": public_url("surveys.results_json", survey_id=survey.id),
        "results_csv": public_url("surveys.results_csv", survey_id=survey.id),
    }


def api_surveys(items: Sequence[Survey]) -> list[JSON]:
    """A page of published surveys: their response counts in one statement for the page."""
    counts = _response_counts([survey.id for survey in items])
    return [api_survey(survey, counts.get(survey.id, {})) for survey in items]


def api_survey_item(survey_id: int) -> JSON | None:
    from app.surveys.results import load_survey, results_for, results_json_data

    survey = db.session.scalar(published_surveys().where(Survey.id == survey_id))
    if survey is None:
        return None
    item = api_survey(survey, _response_counts([survey.id]).get(survey.id, {}))
    loaded = load_survey(survey.id)
    item["results"] = results_json_data(loaded, results_for(loaded))
    return item


API_SURVEYS = ApiList(
    path="/surveys",
    operation_id="listSurveys",
    summary="Surveys with published results (aggregates only, counts under 10 suppressed)",
    schema_name="Survey",
    schema=SURVEY_SCHEMA,
    query=published_surveys,
    serialize=api_surveys,
    item=ApiItem(
        parameter="survey_id",
        operation_id="getSurvey",
        summary="A survey's published results",
        schema={"$ref": "#/components/schemas/Survey"},
        load=api_survey_item,
    ),
)


def open_datasets() -> list[Dataset]:
    """The results of the newest published surveys, each as CSV, XLSX and JSON (one
    statement)."""
    rows = db.session.execute(
        sa.select(Survey.id, Survey.title_ja, Survey.title_en, Survey.results_published_at)
        .where(Survey.results_published_at.is_not(None), Survey.kind == SurveyKind.SURVEY)
        .order_by(Survey.results_published_at.desc(), Survey.id.desc())
        .limit(20)
    )
    return [
        Dataset(
            f"survey_results_{survey_id}",
            _l("Survey results: %(title)s", title=_title(title_ja, title_en)),
            [
                Distribution("HTML", url_for("surveys.results", survey_id=survey_id)),
                Distribution("CSV", url_for("surveys.results_csv", survey_id=survey_id)),
                Distribution("XLSX", url_for("surveys.results_xlsx", survey_id=survey_id)),
                Distribution("JSON", url_for("surveys.results_json", survey_id=survey_id)),
            ],
            published,
            description=_l(
                "Counts and shares per question and sample, weighted for the citizens' panel, "
                "with margins of error; counts under 10 suppressed."
            ),
        )
        for survey_id, title_ja, title_en, published in rows
    ]


KIND = ActivityKind(
    key="surveys",
    label=_l("Surveys"),
    model=Survey,
    metrics=[
        Metric("surveys", _l("Surveys run")),
        Metric("responses", _l("Survey responses")),
        Metric("invitations", _l("Survey invitations sent")),
        Metric("response_rate", _l("Response rate of invited (%)")),
        Metric("glad_share", _l("Participants glad they took part (%)")),
        Metric("again_share", _l("Participants who would take part again (%)")),
    ],
    figures=figures,
    records=records,
    list_endpoint="surveys.index",
    order=70,
    attention=attention,
    open_now=open_now,
    api=[API_SURVEYS],
    datasets=open_datasets,
    demo=load_demo,
)
