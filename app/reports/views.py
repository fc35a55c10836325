"""Public reports (aggregates only), the annual report, exports and the open-data page."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import activity, clock
from app.core.activity import ActivityFilter
from app.core.cache import fragment_key, kept_page
from app.core.exports import csv_response, xlsx_response
from app.core.forms import choices
from app.core.i18n import fiscal_year, format_fiscal_year
from app.core.opendata import LICENCE_URL, MEDIA_TYPES, Dataset, Distribution, dcat_catalog
from app.extensions import db
from app.plan import services as plan_services
from app.plan.models import ActionProgress, Initiative, Plan
from app.reports import bp, exports, services
from app.reports.forms import AnnualForm, ReportFilterForm


def read_filter() -> tuple[ReportFilterForm, ActivityFilter]:
    form = ReportFilterForm(request.args)
    everything = [(0, _("All"))]
    form.year.choices = choices(plan_services.fiscal_year_options())
    form.ward.choices = choices([*everything, *plan_services.filter_choices("wards")])
    form.department.choices = choices([*everything, *plan_services.filter_choices("departments")])
    form.validate()
    years = tuple(sorted(form.year.data or ())) if not form.year.errors else ()
    flt = ActivityFilter(
        fiscal_years=years,
        ward_id=(form.ward.data or None) if not form.ward.errors else None,
        department_id=(form.department.data or None) if not form.department.errors else None,
    )
    return form, flt


def render_report(internal: bool, plan: Plan | None = None) -> str:
    form, flt = read_filter()
    plan = plan or plan_services.current_plan() or abort(404)
    return render_template(
        "reports/index.html",
        plan=plan,
        flt=flt,
        form=form,
        internal=internal,
        metrics=services.metrics,
        # Called by the template only when its cached copy of the table is missing or stale.
        load_report=partial(services.build_report, flt),
        link_args=filter_args(flt),
    )


def filter_args(flt: ActivityFilter) -> dict[str, Any]:
    """The query string of a filter, for links that keep it (built from the filter, not from
    whatever else the address carried, so cached links are the same for everyone)."""
    args: dict[str, Any] = {}
    if flt.fiscal_years:
        args["year"] = list(flt.fiscal_years)
    if flt.ward_id is not None:
        args["ward"] = flt.ward_id
    if flt.department_id is not None:
        args["department"] = flt.department_id
    return args


@bp.route("/reports")
def index() -> ResponseReturnValue:
    plan = plan_services.current_plan() or abort(404)
    # The figures' period is the report's; an edit to the table (its revision) shows at once.
    key = fragment_key("report-page", plan.id, plan.revision)
    return kept_page(key, partial(render_report, internal=False, plan=plan))


def export_report(fmt: str, internal: bool) -> ResponseReturnValue:
    _form, flt = read_filter()
    report = services.build_report(flt)
    if report is None:
        abort(404)
    table = services.flat_rows(report, internal)
    stem = "sankaku-report" + (
        f"-fy{'-'.join(map(str, flt.fiscal_years))}" if flt.fiscal_years else ""
    )
    if fmt == "csv":
        return csv_response(table.labels, table.rows, f"{stem}.csv")
    if fmt == "xlsx":
        return xlsx_response(table.labels, table.rows, f"{stem}.xlsx", _("Report"))
    if fmt == "json":
        return exports.json_response(
            table.keys,
            table.rows,
            {
                "plan": report.plan.code,
                "fiscal_years": list(flt.fiscal_years),
                "ward_id": flt.ward_id,
                "department_id": flt.department_id,
                "licence": "CC BY 4.0",
                # The columns in order with their labels, as the CSV and XLSX headers read.
                "columns": [
                    {"key": key, "label": label}
                    for key, label in zip(table.keys, table.labels, strict=True)
                ],
            },
        )
    abort(404)


@bp.route("/reports/export.<fmt>")
def export(fmt: str) -> ResponseReturnValue:
    return export_report(fmt, internal=False)


@bp.route("/reports/initiatives/<int:number>")
def initiative(number: int) -> ResponseReturnValue:
    form, flt = read_filter()
    plan = plan_services.current_plan() or abort(404)
    item = plan_services.get_initiative_with_actions(plan, number) or abort(404)
    figures = {k: v.get(item.id, {}) for k, v in activity.figures_by_initiative(flt).items()}
    years = list(flt.fiscal_years) or plan_services.fiscal_years()[-5:]
    trend = services.trend(item, years, flt)
    records = {kind.key: kind.records(item.id, 20) for kind in activity.kinds()}
    return render_template(
        "reports/initiative.html",
        plan=plan,
        initiative=item,
        form=form,
        figures=figures,
        trend=trend,
        years=years[-services.MAX_TREND_YEARS :],
        records=records,
        chart=chart_geometry,
    )


def chart_geometry(values: dict[int, float], years: list[int]) -> list[dict[str, Any]]:
    """Bars for an inline SVG chart (viewBox 0 0 320 160; the plot is 20..300 × 20..130)."""
    top = max([values.get(y, 0) for y in years] + [1])
    width = 280 / max(len(years), 1)
    bars = []
    for index, year in enumerate(years):
        value = values.get(year, 0)
        height = 110 * value / top
        bars.append(
            {
                "year": year,
                "value": value,
                "x": round(20 + index * width + width * 0.15, 1),
                "width": round(width * 0.7, 1),
                "y": round(130 - height, 1),
                "height": round(height, 1),
                "label_x": round(20 + index * width + width / 2, 1),
            }
        )
    return bars


def _annual() -> tuple[AnnualForm, int, Any]:
    """The annual report's year: the one asked for, else the current fiscal year. A year that
    is not a choice is told beside the field, and the current year is shown meanwhile."""
    form = AnnualForm(request.args)
    form.year.choices = choices(plan_services.fiscal_year_options())
    current = fiscal_year(clock.today())
    # Without ?year= there is nothing to validate: the page opens on the current year.
    chosen = form.year.data if "year" in request.args and form.validate() else current
    form.year.data = chosen
    report = services.build_report(ActivityFilter(fiscal_years=(chosen,)))
    if report is None:
        abort(404)
    return form, chosen, report


def annual_columns(plan: Any) -> list[str]:
    return [
        plan.column("recommendation"),
        plan.column("policy"),
        plan.column("initiative"),
        plan.column("departments"),
        plan.column("actions"),
        _("(F) Results"),
    ]


@bp.route("/reports/annual")
def annual() -> ResponseReturnValue:
    form, year, report = _annual()
    return render_template(
        "reports/annual.html",
        form=form,
        year=year,
        report=report,
        columns=annual_columns(report.plan),
        achievements=services.achievements,
    )


@bp.route("/reports/annual.xlsx")
def annual_xlsx() -> ResponseReturnValue:
    _form, year, report = _annual()
    title = _("Response status report, %(year)s", year=format_fiscal_year(year))
    return exports.annual_xlsx(
        report,
        annual_columns(report.plan),
        title,
        _("Response status"),
        services.achievements,
        f"sankaku-annual-fy{year}.xlsx",
    )


def open_datasets() -> list[Dataset]:
    """Every dataset /open-data links, in its order; the DCAT catalogue lists the same ones
    (one statement per source table for the last update)."""
    plan_updated = db.session.scalar(sa.select(sa.func.max(Initiative.updated_at)))
    progress_updated = db.session.scalar(sa.select(sa.func.max(ActionProgress.updated_at)))
    datasets = [
        Dataset(
            "plan",
            _l("The response table with activity counts per initiative"),
            [Distribution("JSON", url_for("api.initiatives"))],
            plan_updated,
        ),
        Dataset(
            "progress",
            _l("Progress report per initiative"),
            [
                Distribution(fmt.upper(), url_for("reports.export", fmt=fmt))
                for fmt in ("csv", "xlsx", "json")
            ],
            progress_updated,
        ),
        Dataset(
            "annual",
            _l("Annual response-status report"),
            [Distribution("XLSX", url_for("reports.annual_xlsx"))],
            progress_updated,
        ),
    ]
    for kind in activity.kinds():
        updated = (
            db.session.scalar(sa.select(sa.func.max(kind.model.updated_at)))
            if hasattr(kind.model, "updated_at")
            else None
        )
        links = [Distribution("HTML", url_for(kind.list_endpoint))]
        links += [Distribution(fmt, url_for(endpoint)) for fmt, endpoint in kind.open_data]
        datasets.append(Dataset(kind.key, kind.label, links, updated))
        if kind.datasets is not None:
            datasets += kind.datasets()
    return datasets


@bp.route("/open-data")
def open_data() -> ResponseReturnValue:
    """Datasets, formats, licence and last update, with the catalogue beside them."""
    return render_template(
        "reports/open_data.html",
        datasets=open_datasets(),
        media_types=MEDIA_TYPES,
        licence_url=LICENCE_URL,
    )


@bp.route("/open-data/catalog.jsonld")
def open_data_catalog() -> ResponseReturnValue:
    """The same datasets as a DCAT catalogue in JSON-LD, for harvesters (data.go.jp, CKAN)."""
    catalog = dcat_catalog(
        open_datasets(),
        _l("Sankaku open data"),
        url_for("reports.open_data"),
        url_for("reports.open_data_catalog"),
    )
    return current_app.response_class(
        json.dumps(catalog, ensure_ascii=False, indent=2),
        content_type="application/ld+json; charset=utf-8",
    )
