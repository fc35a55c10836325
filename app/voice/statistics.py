"""Statistics of the citizens' voice and the annual report (市民の声年報), and the published voices
as an open-data CSV.

Aggregates only, never a voice or its sender: counts by kind, channel, division and kind of
response, received per month, answered on time, median days to answer, reflected. A year's
figures are a fixed number of GROUP BY statements whatever the number of voices, cached like
the figures per initiative (FIGURES_CACHE_SECONDS, app/core/cache.py): a year of a national
portal is tens of thousands of voices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from wtforms import SelectField

from app.core import clock
from app.core.cache import cached, fragment_key, fresh_until, versioned_page
from app.core.charts import horizontal_bars
from app.core.exports import (
    HEADER_FILL,
    WRAP_TOP,
    append_row,
    csv_response,
    fit_column_widths,
    fit_row_heights,
    print_layout,
    xlsx_file,
)
from app.core.forms import Form, choices
from app.core.i18n import current_language, fiscal_year, format_fiscal_year, to_jst
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import Department, Initiative, Ward
from app.voice import bp
from app.voice.activity import (
    ANSWERED,
    COUNTED,
    REFLECTED,
    answered_on_time,
    count,
    days_histogram,
    median,
)
from app.voice.models import (
    FollowUpAnswer,
    Reflection,
    ResponseKind,
    Voice,
    VoiceChannel,
    VoiceKind,
)

# The earliest fiscal year a report may be asked for (Kumamoto's response table is of 平成23年度).
FIRST_YEAR = 2000


class YearForm(Form):
    class Meta:
        csrf = False  # a GET filter form changes nothing

    year = SelectField(_l("Fiscal year"), coerce=int)


@dataclass
class Breakdown:
    """One table of counts: (code, label, count) rows in the dimension's own order."""

    key: str
    title: Any
    rows: list[tuple[str, str, int]]

    @property
    def total(self) -> int:
        return sum(n for _code, _label, n in self.rows)


@dataclass
class YearFigures:
    """A fiscal year's voices in plain numbers (cached; labels are added per request)."""

    year: int
    by_month: dict[int, int] = field(default_factory=dict)  # month (1–12) -> received
    by_kind: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_department: list[tuple[str, str, str, int]] = field(default_factory=list)
    by_response: dict[str, int] = field(default_factory=dict)  # "" for not yet answered
    totals: dict[str, float] = field(default_factory=dict)


def _month(column: Any) -> Any:
    """The Japan month (1–12) of a UTC timestamp, in SQL."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(
            sa.extract("month", column + sa.literal_column("interval '9 hours'")), sa.Integer
        )
    return sa.cast(sa.func.strftime("%m", column, "+9 hours"), sa.Integer)


def compute_year(year: int) -> YearFigures:
    """Four statements: received per month; the year's voices counted by kind, channel,
    division and kind of response together (one pass over the year's rows through its index,
    with the division's name; the breakdowns are its sums); the totals; the days to answer, for
    the median. Grouping the year by each column alone let SQLite walk that column's index over
    every year (a second and more at national scale)."""
    in_year = sa.and_(COUNTED, Voice.fiscal_year == year)
    figures = YearFigures(year)
    month = _month(Voice.received_at)
    figures.by_month = {
        number: n
        for number, n in db.session.execute(
            sa.select(month, sa.func.count()).where(in_year).group_by(month)
        )
    }
    cells = (
        sa.select(
            Voice.kind,
            Voice.channel,
            Voice.department_id,
            Voice.response_kind,
            sa.func.count().label("n"),
        )
        .where(in_year)
        .group_by(Voice.kind, Voice.channel, Voice.department_id, Voice.response_kind)
        .subquery("cells")
    )
    departments: dict[str, list[Any]] = {}
    for row in db.session.execute(
        sa.select(
            cells.c.kind,
            cells.c.channel,
            cells.c.response_kind,
            cells.c.n,
            Department.code,
            Department.name_ja,
            Department.name_en,
        ).join(Department, Department.id == cells.c.department_id)
    ).mappings():
        n = int(row["n"])
        kind, channel, response = row["kind"].value, row["channel"].value, row["response_kind"]
        figures.by_kind[kind] = figures.by_kind.get(kind, 0) + n
        figures.by_channel[channel] = figures.by_channel.get(channel, 0) + n
        response_key = response.value if response is not None else ""
        figures.by_response[response_key] = figures.by_response.get(response_key, 0) + n
        entry = departments.setdefault(row["code"], [row["name_ja"], row["name_en"], 0])
        entry[2] += n
    # By the division that answers (the lead; 広聴課 until a voice is routed), busiest first.
    figures.by_department = sorted(
        ((code, name_ja, name_en, n) for code, (name_ja, name_en, n) in departments.items()),
        key=lambda item: (-item[3], item[0]),
    )
    totals = (
        db.session.execute(
            sa.select(
                sa.func.count().label("received"),
                count(ANSWERED).label("answered"),
                count(answered_on_time()).label("on_time"),
                count(REFLECTED).label("reflected"),
                count(Voice.published_at.is_not(None)).label("published"),
                count(Voice.follow_up_answer.is_not(None)).label("follow_ups"),
                count(Voice.follow_up_answer == FollowUpAnswer.HELPED).label("helped"),
            ).where(in_year)
        )
        .mappings()
        .one()
    )
    histogram = days_histogram(Voice.fiscal_year, lambda stmt: stmt.where(in_year))
    answered, follow_ups = int(totals["answered"]), int(totals["follow_ups"])
    figures.totals = {
        "received": int(totals["received"]),
        "answered": answered,
        "answered_on_time": int(totals["on_time"]),
        "on_time_share": round(100 * int(totals["on_time"]) / answered, 1) if answered else 0,
        "median_days": _plain(median(histogram.get(year, []))),
        "reflected": int(totals["reflected"]),
        "published": int(totals["published"]),
        "helped_share": round(100 * int(totals["helped"]) / follow_ups, 1) if follow_ups else 0,
    }
    return figures


def _plain(value: Any) -> float:
    """A median as the figures show it: one decimal, a whole number without one (as
    core.activity makes every kind's figures)."""
    if value is None:
        return 0
    number = round(float(value), 1)
    return int(number) if number.is_integer() else number


def year_figures(year: int) -> YearFigures:
    """A year's figures, computed at most once per FIGURES_CACHE_SECONDS and served stale
    while one thread recomputes them (core.cache.cached)."""
    return cached(year_key(year), lambda: compute_year(year))


def year_key(year: int) -> str:
    return f"voice-statistics:{year}"


def cached_years() -> list[tuple[str, Callable[[], YearFigures]]]:
    """The statistics page's default year (the current fiscal year) and the last, the years
    whose voices still change, for `flask reports warm` (the manifest's `cached`)."""
    current = fiscal_year(clock.today())
    return [(year_key(y), partial(compute_year, y)) for y in (current, current - 1)]


# Labels ------------------------------------------------------------------------------------

TOTAL_LABELS = {
    "received": _l("Voices received"),
    "answered": _l("Voices answered"),
    "answered_on_time": _l("Answered on time"),
    "on_time_share": _l("Share answered on time (%)"),
    "median_days": _l("Median days to answer"),
    "reflected": _l("Voices reflected"),
    "published": _l("Voices published"),
    "helped_share": _l("Senders who said the answer helped (%)"),
}


def month_label(year: int, month: int) -> str:
    """April of FY2026 is April 2026, January is January 2027: 「2026年4月」, "Apr 2026"."""
    calendar_year = year if month >= 4 else year + 1
    return format_skeleton("yMMM", date(calendar_year, month, 1), locale=get_locale())


def breakdowns(figures: YearFigures, monthly: bool = False) -> list[Breakdown]:
    """The year's tables in the report's order, every kind, channel and response listed (with
    0 where none), divisions as they answered."""
    english = current_language() == "en"
    tables = []
    if monthly:
        months = [*range(4, 13), 1, 2, 3]
        tables.append(
            Breakdown(
                "month",
                _("Voices received per month"),
                [
                    (str(m), month_label(figures.year, m), figures.by_month.get(m, 0))
                    for m in months
                ],
            )
        )
    tables += [
        Breakdown(
            "kind",
            _("By kind"),
            [(k.value, str(k.label), figures.by_kind.get(k.value, 0)) for k in VoiceKind],
        ),
        Breakdown(
            "channel",
            _("By channel"),
            [(c.value, str(c.label), figures.by_channel.get(c.value, 0)) for c in VoiceChannel],
        ),
        Breakdown(
            "department",
            _("By division"),
            [
                (code, (name_en or name_ja) if english else name_ja, n)
                for code, name_ja, name_en, n in figures.by_department
            ],
        ),
        Breakdown(
            "response",
            _("By kind of response"),
            [
                *(
                    (r.value, str(r.label), figures.by_response.get(r.value, 0))
                    for r in ResponseKind
                ),
                ("", _("Not yet answered"), figures.by_response.get("", 0)),
            ],
        ),
    ]
    return tables


def bar_chart(table: Breakdown) -> dict[str, Any]:
    """The counts of a breakdown as horizontal bars, the longest full length."""
    top = max([n for _code, _label, n in table.rows] + [1])
    return horizontal_bars((label, n / top, n) for _code, label, n in table.rows)


# Pages -------------------------------------------------------------------------------------


def chosen_year() -> tuple[YearForm, int]:
    """The year asked for (?year=), else the current fiscal year; a year that is not a choice
    is told beside the field and the current year shown meanwhile."""
    form = YearForm(request.args)
    form.year.choices = choices(plan_services.fiscal_year_options())
    current = fiscal_year(clock.today())
    year = form.year.data if "year" in request.args and form.validate() else current
    form.year.data = year
    return form, year


@bp.get("/statistics")
def statistics() -> ResponseReturnValue:
    form, year = chosen_year()
    render = partial(_render_statistics, form, year)
    # The figures' version is when they go stale: they change only when recomputed. Drawing
    # the page's tables and charts was most of its time at national scale, so the page is kept
    # whole per year, language and version, and revalidated by its ETag (core.cache).
    (version,) = fresh_until([year_key(year)])
    if version is None:  # not computed yet, or nothing cached (FIGURES_CACHE_SECONDS 0)
        return render()
    asked = request.args.get("year", "")
    # Kept for `?year=` the year shown (a choice the form checked), not for a year refused.
    return versioned_page(
        fragment_key("voice-statistics-page", year, asked, version), render, query={"year": year}
    )


def _render_statistics(form: YearForm, year: int) -> str:
    figures = year_figures(year)
    return render_template(
        "voice/statistics.html",
        form=form,
        year=year,
        figures=figures,
        tables=breakdowns(figures),
        totals=TOTAL_LABELS,
        chart=bar_chart,
    )


def _report_year(year: int) -> YearFigures:
    if not FIRST_YEAR <= year <= fiscal_year(clock.today()):
        abort(404)
    return year_figures(year)


def report_title(year: int) -> str:
    return _("Citizens' voice annual report %(year)s", year=format_fiscal_year(year))


def report_rows(figures: YearFigures) -> list[tuple[str, str, Any]]:
    """The report as (section, item, value) rows: the totals, then every table."""
    rows: list[tuple[str, str, Any]] = [
        (_("Summary"), str(label), figures.totals.get(key, 0))
        for key, label in TOTAL_LABELS.items()
    ]
    for table in breakdowns(figures, monthly=True):
        rows += [(table.title, label, n) for _code, label, n in table.rows]
    return rows


@bp.get("/report/<int:year>")
def annual_report(year: int) -> ResponseReturnValue:
    figures = _report_year(year)
    return render_template(
        "voice/annual_report.html",
        year=year,
        title=report_title(year),
        figures=figures,
        tables=breakdowns(figures, monthly=True),
        totals=TOTAL_LABELS,
        chart=bar_chart,
    )


@bp.get("/report/<int:year>.csv")
def annual_report_csv(year: int) -> ResponseReturnValue:
    figures = _report_year(year)
    return csv_response(
        [_("Section"), _("What is counted"), _("Value")],
        report_rows(figures),
        f"sankaku-voice-annual-fy{year}.csv",
    )


@bp.get("/report/<int:year>.xlsx")
def annual_report_xlsx(year: int) -> ResponseReturnValue:
    """One sheet, printable: the title, the summary and every table under its heading."""
    figures = _report_year(year)
    title = report_title(year)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Annual report")[:31]
    append_row(sheet, [title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    append_row(sheet, [_("Section"), _("What is counted"), _("Value")])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP_TOP
    for row in report_rows(figures):
        append_row(sheet, row)
    fit_column_widths(sheet, header_row=2)
    fit_row_heights(sheet, first_row=2)
    sheet.freeze_panes = "A3"
    print_layout(sheet, "2:2", running_head=title)
    return xlsx_file(workbook, f"sankaku-voice-annual-fy{year}.xlsx")


# Open data: the published voices -----------------------------------------------------------


@bp.get("/published-<int:year>.csv")
def published_csv(year: int) -> ResponseReturnValue:
    """The published voices received in a fiscal year as the city wrote them, newest
    publication first: the same public fields as the API (app/voice/activity.py), in one
    statement. A file per year: ten years of a national portal in one would be 60 MB."""
    if not FIRST_YEAR <= year <= fiscal_year(clock.today()):
        abort(404)
    topic = sa.orm.aliased(Initiative)
    rows = db.session.execute(
        sa.select(
            Voice.id,
            Voice.public_title,
            Voice.public_summary,
            Voice.public_view,
            Voice.kind,
            Voice.response_kind,
            Voice.reflection,
            Department.name_ja,
            Ward.name_ja,
            Initiative.number,
            topic.number,
            Voice.received_at,
            Voice.answered_at,
            Voice.published_at,
        )
        .join(Department, Department.id == Voice.department_id)
        .join(Initiative, Initiative.id == Voice.initiative_id)
        .outerjoin(Ward, Ward.id == Voice.ward_id)
        .outerjoin(topic, topic.id == Voice.topic_initiative_id)
        .where(Voice.fiscal_year == year, Voice.published_at.is_not(None))
        .order_by(Voice.published_at.desc(), Voice.id.desc())
    )

    def day(moment: Any) -> str:
        return to_jst(moment).date().isoformat() if moment is not None else ""

    def label(value: Reflection | ResponseKind | VoiceKind | None) -> str:
        return str(value.label) if value is not None else ""

    return csv_response(
        [
            _("Number"),
            _("Title"),
            _("Summary"),
            _("The city's view"),
            _("Kind"),
            _("Kind of response"),
            _("Reflection"),
            _("Division"),
            _("Ward"),
            _("Initiative"),
            _("Initiative concerned"),
            _("Received on"),
            _("Answered on"),
            _("Published on"),
        ],
        (
            (
                voice_id,
                title,
                summary,
                view,
                label(kind),
                label(response),
                label(reflection),
                department,
                ward or "",
                initiative,
                topic_number or "",
                day(received),
                day(answered),
                day(published),
            )
            for (
                voice_id,
                title,
                summary,
                view,
                kind,
                response,
                reflection,
                department,
                ward,
                initiative,
                topic_number,
                received,
                answered,
                published,
            ) in rows
        ),
        f"sankaku-voices-fy{year}.csv",
    )
