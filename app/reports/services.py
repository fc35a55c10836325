"""The report's data: one row per initiative, grouped as in the table, with every registered
kind's figures and the state of each action. A fixed number of statements: the table (5), the
latest progress per action (1), and each kind's figures (its own fixed few)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.core import activity
from app.core.activity import ActivityFilter, ActivityKind
from app.core.i18n import current_language, join_list
from app.plan import services as plan_services
from app.plan.models import ActionProgress, Category, Initiative, Plan, Recommendation

MAX_TREND_YEARS = 10


@dataclass
class InitiativeRow:
    initiative: Initiative
    recommendation: Recommendation
    category: Category
    figures: dict[str, dict[str, float]]  # kind key -> metric -> value
    progress: dict[int, ActionProgress]  # action id -> latest progress in scope


@dataclass
class Report:
    plan: Plan
    kinds: list[ActivityKind]
    categories: list[Category]
    rows: list[InitiativeRow] = field(default_factory=list)
    filter: ActivityFilter = field(default_factory=ActivityFilter)

    def rows_for(self, recommendation: Recommendation) -> list[InitiativeRow]:
        return [r for r in self.rows if r.recommendation.id == recommendation.id]


def build_report(flt: ActivityFilter) -> Report | None:
    plan = plan_services.current_plan()
    if plan is None:
        return None
    categories = plan_services.load_table(plan)
    figures = activity.figures_by_initiative(flt)
    progress = plan_services.latest_progress(flt.fiscal_years)
    report = Report(plan=plan, kinds=activity.kinds(), categories=categories, filter=flt)
    for category in categories:
        for recommendation in category.recommendations:
            for initiative in recommendation.initiatives:
                report.rows.append(
                    InitiativeRow(
                        initiative=initiative,
                        recommendation=recommendation,
                        category=category,
                        figures={k: v.get(initiative.id, {}) for k, v in figures.items()},
                        progress={
                            a.id: progress[a.id] for a in initiative.actions if a.id in progress
                        },
                    )
                )
    return report


def trend(
    initiative: Initiative, years: list[int], base: ActivityFilter
) -> dict[str, dict[int, float]]:
    """Headline figure per kind per fiscal year: each kind's figures for this initiative once
    per year shown (at most MAX_TREND_YEARS), so the cost does not grow with the data."""
    result: dict[str, dict[int, float]] = {k.key: {} for k in activity.kinds()}
    for year in years[-MAX_TREND_YEARS:]:
        flt = ActivityFilter(
            fiscal_years=(year,),
            ward_id=base.ward_id,
            department_id=base.department_id,
            initiative_id=initiative.id,
        )
        for kind in activity.kinds():
            values = activity.kind_figures(kind, flt).get(initiative.id, {})
            result[kind.key][year] = float(values.get(kind.headline.key, 0))
    return result


def metrics(kind: ActivityKind, internal: bool) -> list[activity.Metric]:
    return [m for m in kind.metrics if internal or m.public]


@dataclass(frozen=True)
class FlatTable:
    """The report as one table: each column's machine key (the JSON export's keys) and its
    label in the reader's language (the CSV and XLSX headers), then the rows."""

    keys: list[str]
    labels: list[str]
    rows: list[list[Any]]


def flat_rows(report: Report, internal: bool) -> FlatTable:
    """The report as one table (for CSV, XLSX and JSON exports)."""
    english = current_language() == "en"

    def text(obj: Any, name: str) -> str:
        return obj.tr(name) if english else getattr(obj, f"{name}_ja")

    columns: list[tuple[str, str]] = [
        ("category", _("Category")),
        ("recommendation", _("Recommendation no.")),
        ("initiative", _("Initiative no.")),
        ("title", _("Initiative")),
        ("departments", _("Departments concerned")),
    ]
    for kind in report.kinds:
        columns += [
            (f"{kind.key}.{m.key}", _("%(label)s: %(text)s", label=kind.label, text=m.label))
            for m in metrics(kind, internal)
        ]
    columns += [
        ("actions_done", _("Actions done or continuing")),
        ("actions_total", _("Number of concrete actions")),
    ]
    rows = []
    for row in report.rows:
        line: list[Any] = [
            text(row.category, "name"),
            row.recommendation.number,
            row.initiative.number,
            text(row.initiative, "title"),
            " / ".join(text(d, "name") for d in row.initiative.departments),
        ]
        for kind in report.kinds:
            values = row.figures.get(kind.key, {})
            line += [values.get(m.key, 0) for m in metrics(kind, internal)]
        done = sum(1 for p in row.progress.values() if p.status.value in ("done", "continuing"))
        line += [done, len(row.initiative.actions)]
        rows.append(line)
    return FlatTable(
        keys=[key for key, _label in columns], labels=[label for _key, label in columns], rows=rows
    )


def achievements(row: InitiativeRow, kinds: list[ActivityKind]) -> list[str]:
    """Column (カ) 実績 of the annual report, one line per kind that did anything, then the
    progress notes: 「パブリックコメント：案件数 1、意見数 3」. A kind's figures that are zero are
    left out (a dozen zeros per line hid the few that counted), its headline never."""
    lines = []
    for kind in kinds:
        values = row.figures.get(kind.key, {})
        if not values or not any(values.values()):
            continue
        parts = [
            f"{m.label} {_number(values.get(m.key, 0))}"
            for m in kind.metrics
            if m.public and (m is kind.headline or values.get(m.key))
        ]
        lines.append(_("%(label)s: %(text)s", label=kind.label, text=join_list(parts)))
    for action in row.initiative.actions:
        progress = row.progress.get(action.id)
        if progress is not None and progress.note:
            lines.append(_("%(label)s: %(text)s", label=progress.status.label, text=progress.note))
    return lines


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def action_ids(report: Report) -> list[int]:
    return [a.id for r in report.rows for a in r.initiative.actions]
