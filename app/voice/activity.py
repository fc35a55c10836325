"""The citizens' voice activity kind, the module's manifest (DESIGN.md §3): figures per
initiative in one SQL statement, the newest published voices on an initiative's page, the
overdue voices on the staff dashboard, the published voices in the API and as open data, and
the demo.

Only what 広聴課 wrote for publication leaves this module: never the sender's name, contact,
age band, 校区 or ward, never the sender's own title or words, never the receipt code (a
sender's private handle on their voice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
    each,
)
from app.core.i18n import fiscal_year, format_fiscal_year, to_jst
from app.core.opendata import Dataset, Distribution
from app.core.urls import public_url
from app.extensions import db
from app.plan.models import Department
from app.voice.demo import load_demo
from app.voice.models import (
    OPEN_STATUSES,
    FollowUpAnswer,
    Reflection,
    ReplyBy,
    ResponseKind,
    Voice,
    VoiceKind,
    VoiceStatus,
)

# Expressions shared with the statistics and the annual report (app/voice/statistics.py), so
# that a voice counts the same everywhere.


def jst_day(column: Any) -> Any:
    """The Japan date of a UTC timestamp column, in SQL, as something that compares with
    `day(...)` and subtracts to whole days. PostgreSQL: the date (a timestamp without time zone
    holding UTC, moved 9 hours). SQLite: the Julian day number of that date, from the naive UTC
    text: julianday() counts days from noon UTC, so 9 hours (0.375) and the half day (0.5) put
    a day's start at midnight in Japan; cheaper than formatting a date() string for each of a
    million rows."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(column + sa.literal_column("interval '9 hours'"), sa.Date)
    return sa.cast(sa.func.julianday(column) + 0.875, sa.Integer)


def day(column: Any) -> Any:
    """A date column, comparable with `jst_day` (SQLite: its Julian day number likewise)."""
    if db.engine.dialect.name == "postgresql":
        return column
    return sa.cast(sa.func.julianday(column) + 0.5, sa.Integer)


def days_to_answer() -> Any:
    """Calendar days from the day of receipt to the day the answer was sent (Japan dates)."""
    return jst_day(Voice.answered_at) - jst_day(Voice.received_at)


# A duplicate is the same voice received twice: counted once, as its original.
COUNTED = sa.and_(Voice.status != VoiceStatus.DUPLICATE, Voice.duplicate_of_id.is_(None))
# Answered: closed with the answer sent. A same-sender repeat answered together with its first
# voice is counted once, as the first (models.Voice.repeat_of_id).
ANSWERED = sa.and_(
    COUNTED,
    Voice.status == VoiceStatus.CLOSED,
    Voice.answered_at.is_not(None),
    Voice.repeat_of_id.is_(None),
)
REFLECTED = sa.or_(
    Voice.response_kind == ResponseKind.REFLECTED, Voice.reflection == Reflection.REFLECTED
)


def answered_on_time() -> Any:
    """Answered by the date the sender was told: the due date, or an interim answer's."""
    return sa.and_(
        ANSWERED,
        jst_day(Voice.answered_at) <= day(sa.func.coalesce(Voice.expected_on, Voice.due_on)),
    )


def count(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def days_histogram(group: Any, narrow: Callable[[Any], Any]) -> dict[Any, list[tuple[int, int]]]:
    """How many answered voices took each number of days, per `group` (a column of Voice): one
    GROUP BY statement whose rows are few (days run to a few dozen), from which `median` reads
    the median. SQLite has no median aggregate (PostgreSQL's percentile_cont is its own);
    ranking every answered voice with window functions, which both have, cost 2.7 s over
    500,000 voices, the histogram a third of that."""
    days = days_to_answer()
    rows = db.session.execute(
        narrow(sa.select(group, days, sa.func.count()).where(ANSWERED)).group_by(group, days)
    )
    histogram: dict[Any, list[tuple[int, int]]] = {}
    for key, value, n in rows:
        histogram.setdefault(key, []).append((int(value), int(n)))
    return histogram


def median(histogram: list[tuple[int, int]]) -> float:
    """The median of values given as (value, how many) pairs: the middle one, or the mean of
    the middle two; 0 for none."""
    total = sum(n for _value, n in histogram)
    if not total:
        return 0
    lower, upper = (total + 1) // 2, (total + 2) // 2  # 1-based positions
    found: list[int] = []
    seen = 0
    for value, n in sorted(histogram):
        seen += n
        while len(found) < 2 and seen >= (lower, upper)[len(found)]:
            found.append(value)
    return (found[0] + found[1]) / 2


def figures(flt: ActivityFilter) -> Figures:
    """Per initiative: voices received, answered, answered on time, the median days to answer,
    reflected, published, and the share of follow-up answers saying the answer helped. Two
    statements whatever the data: the counts grouped by initiative, and the days to answer
    grouped by initiative and day, from which the median is read (`days_histogram`)."""
    answered_follow_up = sa.and_(COUNTED, Voice.follow_up_answer.is_not(None))
    counts = flt.apply(
        sa.select(
            Voice.initiative_id.label("initiative_id"),
            sa.func.count().label("received"),
            count(ANSWERED).label("answered"),
            count(answered_on_time()).label("on_time"),
            count(sa.and_(COUNTED, REFLECTED)).label("reflected"),
            count(Voice.published_at.is_not(None)).label("published"),
            count(answered_follow_up).label("follow_ups"),
            count(Voice.follow_up_answer == FollowUpAnswer.HELPED).label("helped"),
        )
        .where(COUNTED)
        .group_by(Voice.initiative_id),
        Voice,
    )
    rows = db.session.execute(counts).mappings().all()
    histograms = days_histogram(Voice.initiative_id, lambda stmt: flt.apply(stmt, Voice))
    result: Figures = {}
    for row in rows:
        answered = int(row["answered"])
        follow_ups = int(row["follow_ups"])
        result[row["initiative_id"]] = {
            "received": int(row["received"]),
            "answered": answered,
            "answered_on_time": int(row["on_time"]),
            "on_time_share": round(100 * int(row["on_time"]) / answered, 1) if answered else 0,
            "median_days": median(histograms.get(row["initiative_id"], [])),
            "reflected": int(row["reflected"]),
            "published": int(row["published"]),
            "helped_share": round(100 * int(row["helped"]) / follow_ups, 1) if follow_ups else 0,
        }
    return result


def records(initiative_id: int, limit: int) -> list[ActivityRecord]:
    """The newest published voices of an initiative: the city's title, never the sender's."""
    rows = db.session.execute(
        sa.select(Voice.id, Voice.public_title, Voice.published_at)
        .where(Voice.initiative_id == initiative_id, Voice.published_at.is_not(None))
        .order_by(Voice.published_at.desc(), Voice.id.desc())
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=title,
            url=url_for("voice.detail", voice_id=voice_id),
            day=to_jst(published_at).date(),
            updated=published_at,
        )
        for voice_id, title, published_at in rows
    ]


def answer_due_sentence(due: date, today: date) -> str:
    days = (due - today).days
    if days < 0:
        return ngettext("Answer overdue by %(num)d day.", "Answer overdue by %(num)d days.", -days)
    if days == 0:
        return _("Answer due today.")
    return ngettext("Answer due in %(num)d day.", "Answer due in %(num)d days.", days)


def attention(limit: int) -> list[ActivityRecord]:
    """Open voices awaiting an answer that are overdue or due within VOICE_REMINDER_DAYS, the
    most overdue first (one statement). Anonymous voices get no answer, so never a deadline.
    Named by receipt number, kind and division: the staff dashboard is every staff member's,
    and the sender's own title belongs to 広聴課 and the divisions the voice is routed to."""
    today = clock.today()
    horizon = today + timedelta(days=current_app.config["VOICE_REMINDER_DAYS"])
    due = sa.func.coalesce(Voice.expected_on, Voice.due_on)
    rows = db.session.execute(
        sa.select(Voice.id, Voice.receipt_code, Voice.kind, due.label("due"), Department)
        .join(Department, Department.id == Voice.department_id)
        .where(
            Voice.status.in_(OPEN_STATUSES),
            Voice.reply_by != ReplyBy.NONE,
            due <= horizon,
        )
        .order_by(due, Voice.id)
        .limit(limit)
    )
    return [
        ActivityRecord(
            title=f"{code} {kind.label} ({department.tr('name')})",
            url=url_for("voice_staff.voice", voice_id=voice_id),
            day=due_on,
            status=answer_due_sentence(due_on, today),
        )
        for voice_id, code, kind, due_on, department in rows
    ]


# The API and open data: published voices, the city's words and public fields only -----------

VOICE_SCHEMA: JSON = {
    "type": "object",
    "required": [
        "id",
        "title",
        "summary",
        "city_view",
        "kind",
        "response_kind",
        "reflection",
        "department",
        "department_name",
        "initiative",
        "fiscal_year",
        "received_on",
        "published_at",
        "follow_ups",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string", "description": "The title written by the city."},
        "summary": {
            "type": "string",
            "description": "The voice summarised by the city, never the sender's own words.",
        },
        "city_view": {"type": "string", "description": "市の考え方・対応."},
        "kind": {"enum": [k.value for k in VoiceKind]},
        "response_kind": {"enum": [*(k.value for k in ResponseKind), None]},
        "reflection": {"enum": [*(r.value for r in Reflection), None]},
        "reflection_on": {"type": ["string", "null"], "format": "date"},
        "department": {"type": "string", "description": "The answering division's code."},
        "department_name": {"type": "string"},
        "ward": {"type": ["string", "null"], "description": "The ward the voice concerns."},
        "initiative": {"type": "integer", "description": "The initiative the voice fulfils."},
        "topic_initiative": {
            "type": ["integer", "null"],
            "description": "The initiative the voice is about.",
        },
        "fiscal_year": {"type": "integer"},
        "received_on": {"type": "string", "format": "date"},
        "answered_on": {"type": ["string", "null"], "format": "date"},
        "published_at": {"type": "string", "format": "date-time"},
        "follow_ups": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["reflection", "note", "noted_on"],
                "properties": {
                    "reflection": {"enum": [r.value for r in Reflection]},
                    "note": {"type": "string"},
                    "noted_on": {"type": "string", "format": "date"},
                },
            },
        },
        "url": {"type": "string"},
    },
}


def published_voices() -> sa.Select[Any]:
    """Published voices, newest publication first, with what `api_voice` reads."""
    return (
        sa.select(Voice)
        .where(Voice.published_at.is_not(None))
        .order_by(Voice.published_at.desc(), Voice.id.desc())
        .options(
            selectinload(Voice.department),
            selectinload(Voice.ward),
            selectinload(Voice.initiative),
            selectinload(Voice.topic_initiative),
            selectinload(Voice.follow_ups),
        )
    )


def _day(moment: Any) -> str | None:
    return to_jst(moment).date().isoformat() if moment is not None else None


def api_voice(voice: Voice) -> JSON:
    """One published voice: the public fields only (the module's docstring says which not)."""
    return {
        "id": voice.id,
        "title": voice.public_title,
        "summary": voice.public_summary,
        "city_view": voice.public_view,
        "kind": voice.kind.value,
        "response_kind": voice.response_kind.value if voice.response_kind else None,
        "reflection": voice.reflection.value if voice.reflection else None,
        "reflection_on": voice.reflection_on.isoformat() if voice.reflection_on else None,
        "department": voice.department.code,
        "department_name": voice.department.name_ja,
        "ward": voice.ward.code if voice.ward else None,
        "initiative": voice.initiative.number,
        "topic_initiative": voice.topic_initiative.number if voice.topic_initiative else None,
        "fiscal_year": voice.fiscal_year,
        "received_on": _day(voice.received_at),
        "answered_on": _day(voice.answered_at),
        "published_at": voice.published_at.isoformat() if voice.published_at else None,
        "follow_ups": [
            {
                "reflection": follow_up.reflection.value,
                "note": follow_up.note,
                "noted_on": follow_up.noted_on.isoformat(),
            }
            for follow_up in voice.follow_ups
        ],
        "url": public_url("voice.detail", voice_id=voice.id),
    }


def api_voice_item(voice_id: int) -> JSON | None:
    voice = db.session.scalar(published_voices().where(Voice.id == voice_id))
    return api_voice(voice) if voice is not None else None


API_VOICES = ApiList(
    path="/voices",
    operation_id="listVoices",
    summary="Published citizens' voices with the city's view (no personal data)",
    schema_name="Voice",
    schema=VOICE_SCHEMA,
    query=published_voices,
    serialize=each(api_voice),
    item=ApiItem(
        parameter="voice_id",
        operation_id="getVoice",
        summary="A published citizens' voice",
        schema={"$ref": "#/components/schemas/Voice"},
        load=api_voice_item,
    ),
)


# The published voices are offered as a file per fiscal year, this year's and the last four.
PUBLISHED_YEARS = 5


def open_datasets() -> list[Dataset]:
    """The published voices as CSV, a file per fiscal year, and the annual report of the current
    fiscal year (one statement, for the last publication)."""
    updated = db.session.scalar(sa.select(sa.func.max(Voice.published_at)))
    year = fiscal_year(clock.today())
    return [
        Dataset(
            "voice_published",
            _l("Published citizens' voices"),
            [
                Distribution(
                    "CSV",
                    url_for("voice.published_csv", year=y),
                    # Lazy, so the catalogue names the year in each of its languages.
                    LazyString(partial(format_fiscal_year, y)),
                )
                for y in range(year, year - PUBLISHED_YEARS, -1)
            ],
            updated,
            description=_l(
                "Each published voice as the city summarised it, with the city's view, the "
                "division, the kind of response, how it was reflected and the dates."
            ),
        ),
        Dataset(
            "voice_annual",
            _l("Citizens' voice annual report"),
            [
                Distribution("HTML", url_for("voice.annual_report", year=year)),
                Distribution("CSV", url_for("voice.annual_report_csv", year=year)),
                Distribution("XLSX", url_for("voice.annual_report_xlsx", year=year)),
            ],
            updated,
        ),
    ]


def cached_statistics() -> list[tuple[str, Callable[[], Any]]]:
    """The statistics of the years /voice/statistics shows by default, for `flask reports warm`.
    Imported here, not at the top: app.voice.statistics draws its expressions from this module."""
    from app.voice.statistics import cached_years

    return cached_years()


KIND = ActivityKind(
    key="voice",
    label=_l("Citizens' voice"),
    model=Voice,
    metrics=[
        Metric("received", _l("Voices received")),
        Metric("answered", _l("Voices answered")),
        Metric("answered_on_time", _l("Answered on time")),
        Metric("on_time_share", _l("Share answered on time (%)")),
        Metric("median_days", _l("Median days to answer")),
        Metric("reflected", _l("Voices reflected")),
        Metric("published", _l("Voices published")),
        Metric("helped_share", _l("Senders who said the answer helped (%)")),
    ],
    figures=figures,
    records=records,
    list_endpoint="voice.index",
    order=60,
    attention=attention,
    # No open_now: a voice can be sent at any time, so it has no deadline or places left to
    # show among what is open now; the site's navigation links the form.
    open_now=None,
    api=[API_VOICES],
    datasets=open_datasets,
    demo=load_demo,
    cached=cached_statistics,
)
