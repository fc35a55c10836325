"""Loading and editing the response table. Every change to plan data goes through here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.core import audit, clock
from app.core.cache import cached
from app.core.domain import DomainError
from app.core.i18n import current_language, fiscal_year, format_fiscal_year
from app.core.urls import query_int
from app.extensions import db
from app.plan.models import (
    Action,
    ActionProgress,
    Category,
    Department,
    Initiative,
    Plan,
    ProgressStatus,
    Recommendation,
    Ward,
    action_department,
)

SCHEMA = json.loads((Path(__file__).parent / "plan_schema.json").read_text(encoding="utf-8"))


class PlanFileError(ValueError):
    """A plan file that cannot be loaded; the message names the file and the bad field."""


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    archived: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)


# Reading ---------------------------------------------------------------------------------


def current_plan() -> Plan | None:
    """The plan the site shows: the newest one loaded."""
    return db.session.scalar(sa.select(Plan).order_by(Plan.fiscal_year.desc(), Plan.id.desc()))


def fiscal_years() -> list[int]:
    """The fiscal years the site reports on, oldest first: from the current plan's (the
    response table's) to the current one. The plan's year is cached like the figures: asking
    the database for the plan was a third of a kept page's time (the voice statistics'), and a
    plan is loaded once a year."""
    current = fiscal_year(clock.today())
    first = cached("plan-fiscal-year", _plan_fiscal_year)
    return list(range(first or current, current + 1))


def fiscal_year_options() -> list[tuple[int, str]]:
    """The same years for a selector, newest first, named as the page's language names them
    (令和6年度(2024年度) or FY2024)."""
    return [(year, format_fiscal_year(year)) for year in reversed(fiscal_years())]


def _plan_fiscal_year() -> int | None:
    plan = current_plan()
    return plan.fiscal_year if plan else None


def load_table(plan: Plan) -> list[Category]:
    """The whole table in a fixed number of statements, whatever its size."""
    return list(
        db.session.scalars(
            sa.select(Category)
            .where(Category.plan_id == plan.id)
            .order_by(Category.position)
            .options(
                selectinload(Category.recommendations)
                .selectinload(Recommendation.initiatives)
                .selectinload(Initiative.actions)
                .selectinload(Action.departments)
            )
        )
    )


def latest_progress(fiscal_years: tuple[int, ...]) -> dict[int, ActionProgress]:
    """Each action's latest progress up to the last chosen year: one statement."""
    ranked = sa.select(
        ActionProgress.id,
        sa.func.row_number()
        .over(
            partition_by=ActionProgress.action_id,
            order_by=(
                ActionProgress.fiscal_year.desc(),
                ActionProgress.recorded_on.desc(),
                ActionProgress.id.desc(),
            ),
        )
        .label("rank"),
    )
    if fiscal_years:
        ranked = ranked.where(ActionProgress.fiscal_year <= max(fiscal_years))
    ranked = ranked.subquery()
    rows = db.session.scalars(
        sa.select(ActionProgress)
        .join(ranked, ranked.c.id == ActionProgress.id)
        .where(ranked.c.rank == 1)
    )
    return {p.action_id: p for p in rows}


def initiative_from_query() -> Initiative | None:
    """The initiative a list page is narrowed to by `?initiative=<number>` (the registry's list
    links); None without one, 404 for a number the current plan does not have."""
    number = query_int("initiative")
    if number is None:
        return None
    plan = current_plan()
    initiative = plan and get_initiative(plan, number)
    if initiative is None:
        abort(404)
    return initiative


def get_initiative(plan: Plan, number: int) -> Initiative | None:
    """The initiative alone (one statement): for filters, defaults and cached pages."""
    return db.session.scalar(
        sa.select(Initiative).where(Initiative.plan_id == plan.id, Initiative.number == number)
    )


def initiative_id(number: int) -> int | None:
    """The id of initiative `number` in the current plan (one statement), None before the
    response table is loaded: where a module's records go unless staff choose otherwise."""
    return db.session.scalar(
        sa.select(Initiative.id)
        .join(Plan, Plan.id == Initiative.plan_id)
        .where(Initiative.number == number)
        .order_by(Plan.fiscal_year.desc(), Plan.id.desc())
        .limit(1)
    )


def default_initiative_id(number: int, refusal: type[DomainError] = DomainError) -> int:
    """The id of initiative `number` in the current plan, for a record that must name one
    (initiative 7 for councils, 17 for proposals); before the response table is loaded, the
    module's own `refusal` says so, so its views show it like any other refusal."""
    found = initiative_id(number)
    if found is None:
        raise refusal(_("The response table has no initiative %(number)s.", number=number))
    return found


def get_initiative_with_actions(plan: Plan, number: int) -> Initiative | None:
    """The initiative with what its pages show: recommendation, actions, departments, progress."""
    return db.session.scalar(
        sa.select(Initiative)
        .where(Initiative.plan_id == plan.id, Initiative.number == number)
        .options(
            selectinload(Initiative.recommendation).selectinload(Recommendation.category),
            selectinload(Initiative.actions).selectinload(Action.departments),
            selectinload(Initiative.actions).selectinload(Action.progress),
        )
    )


def department_choices(include_groups: bool = False) -> list[tuple[int, str]]:
    """Departments a person or record can belong to: groups expand to their ward members."""
    stmt = sa.select(Department).order_by(Department.position, Department.id)
    if not include_groups:
        stmt = stmt.where(Department.per_ward.is_(False))
    return [(d.id, d.tr("name")) for d in db.session.scalars(stmt)]


def initiative_choices() -> list[tuple[int, str]]:
    """The current plan's initiatives, "17. 協働提案制度の研究、構築", for a record to fulfil."""
    plan = current_plan()
    initiatives = db.session.scalars(
        sa.select(Initiative)
        .where(Initiative.plan_id == (plan.id if plan else None))
        .order_by(Initiative.number)
    )
    return [(i.id, f"{i.number}. {i.tr('title')}") for i in initiatives]


def ward_choices() -> list[tuple[int, str]]:
    return [
        (w.id, w.tr("name")) for w in db.session.scalars(sa.select(Ward).order_by(Ward.position))
    ]


# Named for what the value holds: a value cached in Redis by a release before
# "initiative_numbers" lacks it, and a new name never reads one.
_FILTER_NAMES = "filter-choices-2"


def filter_choices(name: str) -> list[tuple[int, str]]:
    """The "wards", "departments" or "initiatives" a public list is filtered by, as
    (id, name) in the page's language, as `ward_choices` and the others give them; or the
    current plan's "initiative_numbers", as (number, name), for lists that find records of
    every plan by the initiative's number.

    Cached (app/core/cache.py): every list page asks for them, and they change seldom. A new or
    renamed division shows in the filters within FIGURES_CACHE_SECONDS; records are found by
    id, so a stale name never finds the wrong ones. Staff forms read them live."""
    english = current_language() == "en"
    # Read from the cache once a request: a list page's filters ask for two or three of them.
    if has_request_context():
        if "filter_names" not in g:
            g.filter_names = cached(_FILTER_NAMES, _filter_names)
        names = g.filter_names[name]
    else:
        names = cached(_FILTER_NAMES, _filter_names)[name]
    return [(key, (english and en) or ja) for key, ja, en in names]


def _filter_names() -> dict[str, list[tuple[int, str, str]]]:
    # Both languages: a stale value is recomputed in a thread, outside any request's language.
    plan = current_plan()
    departments = sa.select(Department).where(Department.per_ward.is_(False))
    initiatives = sa.select(Initiative).where(Initiative.plan_id == (plan.id if plan else None))
    named = [
        (i, f"{i.number}. {i.title_ja}", f"{i.number}. {i.title_en}" if i.title_en else "")
        for i in db.session.scalars(initiatives.order_by(Initiative.number))
    ]
    return {
        "wards": [
            (w.id, w.name_ja, w.name_en)
            for w in db.session.scalars(sa.select(Ward).order_by(Ward.position))
        ],
        "departments": [
            (d.id, d.name_ja, d.name_en)
            for d in db.session.scalars(departments.order_by(Department.position, Department.id))
        ],
        "initiatives": [(i.id, ja, en) for i, ja, en in named],
        "initiative_numbers": [(i.number, ja, en) for i, ja, en in named],
    }


# Loading ---------------------------------------------------------------------------------


def read_plan_file(path: str | Path) -> dict[str, Any]:
    """Parse and validate a plan file; raise PlanFileError naming the file and field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFileError(f"{path}: not valid UTF-8 JSON ({exc})") from None
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{path}: {_where(e.absolute_path)}: {e.message}" for e in errors[:10]]
        raise PlanFileError("\n".join(lines))
    _check_references(path, data)
    return data


def _where(parts: Any) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return text.lstrip(".") or "(top level)"


def _check_references(path: Path, data: dict[str, Any]) -> None:
    def fail(where: str, message: str) -> None:
        raise PlanFileError(f"{path}: {where}: {message}")

    for key in ("wards", "departments", "categories"):
        seen: set[str] = set()
        for i, item in enumerate(data[key]):
            if item["code"] in seen:
                fail(f"{key}[{i}].code", f"duplicate code {item['code']!r}")
            seen.add(item["code"])
    departments = {d["code"] for d in data["departments"]}
    numbers: set[int] = set()
    for c, category in enumerate(data["categories"]):
        rec_numbers: set[int] = set()
        for r, rec in enumerate(category["recommendations"]):
            here = f"categories[{c}].recommendations[{r}]"
            if rec["number"] in rec_numbers:
                fail(f"{here}.number", f"duplicate recommendation number {rec['number']}")
            rec_numbers.add(rec["number"])
            for i, initiative in enumerate(rec["initiatives"]):
                where = f"{here}.initiatives[{i}]"
                if initiative["number"] in numbers:
                    fail(f"{where}.number", f"duplicate initiative number {initiative['number']}")
                numbers.add(initiative["number"])
                for a, action in enumerate(initiative["actions"]):
                    for d, code in enumerate(action["departments"]):
                        if code not in departments:
                            fail(
                                f"{where}.actions[{a}].departments[{d}]",
                                f"unknown department {code!r}; expected one of the codes "
                                "listed under departments",
                            )
    for d, department in enumerate(data["departments"]):
        if department.get("per_ward") and not data["wards"]:
            fail(f"departments[{d}].per_ward", "per-ward departments need wards")


def _sync(obj: Any, values: dict[str, Any], result: LoadResult, label: str) -> None:
    """Set only what differs, so reloading an unchanged file writes nothing."""
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, values[key])
    if changed and obj.id is not None:
        result.updated += 1
        result.details.append(f"updated {label}: {', '.join(changed)}")


def _get_or_new(model: type, result: LoadResult, label: str, **keys: Any) -> Any:
    obj = db.session.scalar(sa.select(model).filter_by(**keys))
    if obj is None:
        obj = model(**keys)
        db.session.add(obj)
        result.created += 1
        result.details.append(f"created {label}")
    return obj


def load_plan(path: str | Path) -> LoadResult:
    """Load a plan file: validate first, then upsert by natural keys in one transaction."""
    from app.core.dispositions import ensure_default_dispositions

    data = read_plan_file(path)
    result = LoadResult()
    try:
        with db.session.no_autoflush:
            _load(data, result)
            ensure_default_dispositions()
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    if result.changed:
        _revised()
    db.session.commit()
    return result


def _revised() -> None:
    """The table's texts or progress changed: cached fragments showing them are stale
    (app/core/cache.py)."""
    db.session.execute(sa.update(Plan).values(revision=Plan.revision + 1))


def _loc(value: dict[str, str]) -> tuple[str, str]:
    return value["ja"], value.get("en", "")


def _load(data: dict[str, Any], result: LoadResult) -> None:
    meta = data["plan"]
    plan = _get_or_new(Plan, result, f"plan {meta['code']}", code=meta["code"])
    title_ja, title_en = _loc(meta["title"])
    city_ja, city_en = _loc(meta["city"])
    _sync(
        plan,
        {
            "title_ja": title_ja,
            "title_en": title_en,
            "city_ja": city_ja,
            "city_en": city_en,
            "fiscal_year": meta["fiscal_year"],
            "columns": meta.get("columns", {}),
        },
        result,
        "plan",
    )

    wards: list[Ward] = []
    for position, item in enumerate(data["wards"]):
        ward = _get_or_new(Ward, result, f"ward {item['code']}", code=item["code"])
        _sync(
            ward,
            {"name_ja": item["ja"], "name_en": item.get("en", ""), "position": position},
            result,
            f"ward {item['code']}",
        )
        wards.append(ward)
    db.session.flush()

    departments: dict[str, Department] = {}
    position = 0
    for item in data["departments"]:
        department = _get_or_new(
            Department, result, f"department {item['code']}", code=item["code"]
        )
        per_ward = bool(item.get("per_ward"))
        _sync(
            department,
            {
                "name_ja": item["ja"],
                "name_en": item.get("en", ""),
                "per_ward": per_ward,
                "position": position,
            },
            result,
            f"department {item['code']}",
        )
        position += 1
        departments[item["code"]] = department
        if per_ward:
            db.session.flush()
            each = item.get(
                "each", {"ja": "{ward}" + item["ja"], "en": item.get("en", "") + " ({ward})"}
            )
            for ward in wards:
                code = f"{item['code']}-{ward.code}"
                member = _get_or_new(Department, result, f"department {code}", code=code)
                _sync(
                    member,
                    {
                        "name_ja": each["ja"].format(ward=ward.name_ja),
                        "name_en": each.get("en", "").format(ward=ward.name_en),
                        "per_ward": False,
                        "group_id": department.id,
                        "ward_id": ward.id,
                        "position": position,
                    },
                    result,
                    f"department {code}",
                )
                position += 1
    db.session.flush()

    for c, cat in enumerate(data["categories"]):
        category = _get_or_new(
            Category, result, f"category {cat['code']}", plan_id=plan.id, code=cat["code"]
        )
        _sync(
            category,
            {"name_ja": cat["ja"], "name_en": cat.get("en", ""), "position": c},
            result,
            f"category {cat['code']}",
        )
        db.session.flush()
        for r, rec in enumerate(cat["recommendations"]):
            label = f"recommendation {cat['code']}-{rec['number']}"
            recommendation = _get_or_new(
                Recommendation, result, label, category_id=category.id, number=rec["number"]
            )
            text_ja, text_en = _loc(rec["recommendation"])
            policy_ja, policy_en = _loc(rec["policy"])
            _sync(
                recommendation,
                {
                    "text_ja": text_ja,
                    "text_en": text_en,
                    "policy_ja": policy_ja,
                    "policy_en": policy_en,
                    "position": r,
                },
                result,
                label,
            )
            db.session.flush()
            for item in rec["initiatives"]:
                _load_initiative(plan, recommendation, item, departments, result)


def _load_initiative(
    plan: Plan,
    recommendation: Recommendation,
    item: dict[str, Any],
    departments: dict[str, Department],
    result: LoadResult,
) -> None:
    label = f"initiative {item['number']}"
    initiative = _get_or_new(Initiative, result, label, plan_id=plan.id, number=item["number"])
    title_ja, title_en = _loc(item["title"])
    _sync(
        initiative,
        {"title_ja": title_ja, "title_en": title_en, "recommendation_id": recommendation.id},
        result,
        label,
    )
    db.session.flush()
    existing = {
        a.position: a
        for a in db.session.scalars(sa.select(Action).where(Action.initiative_id == initiative.id))
    }
    for position, entry in enumerate(item["actions"]):
        action_label = f"{label} action {position + 1}"
        action = existing.pop(position, None)
        if action is None:
            action = Action(initiative_id=initiative.id, position=position)
            db.session.add(action)
            result.created += 1
            result.details.append(f"created {action_label}")
        _sync(
            action,
            {"text_ja": entry["ja"], "text_en": entry.get("en", ""), "archived": False},
            result,
            action_label,
        )
        wanted = [departments[code] for code in entry["departments"]]
        if [d.id for d in action.departments] != [d.id for d in wanted]:
            if action.id is not None:
                result.updated += 1
                result.details.append(f"updated {action_label}: departments")
            db.session.flush()
            db.session.execute(
                sa.delete(action_department).where(action_department.c.action_id == action.id)
            )
            db.session.execute(
                sa.insert(action_department),
                [
                    {"action_id": action.id, "department_id": d.id, "position": i}
                    for i, d in enumerate(wanted)
                ],
            )
            db.session.expire(action, ["departments"])
    for action in existing.values():
        if not action.archived:
            # Never delete: the action's progress history stays, hidden from the table.
            action.archived = True
            result.archived += 1
            result.details.append(f"archived {label} action {action.position + 1}")


# Editing (admins) ------------------------------------------------------------------------

TEXT_FIELDS = {
    Recommendation: ["text_ja", "text_en", "policy_ja", "policy_en"],
    Initiative: ["title_ja", "title_en", "recommendation_id"],
    Action: ["text_ja", "text_en"],
}


def edit_texts(actor: Any, obj: Recommendation | Initiative | Action, **values: str) -> None:
    fields = TEXT_FIELDS[type(obj)]
    before = audit.snapshot(obj, fields)
    for name, value in values.items():
        if name not in fields:
            raise ValueError(f"{name} cannot be edited here")
        setattr(obj, name, value)
    after = audit.snapshot(obj, fields)
    if before != after:
        audit.record(
            actor,
            f"plan.edit_{type(obj).__name__.lower()}",
            obj,
            f"edited {type(obj).__name__.lower()} {obj.id}",
            before,
            after,
        )
        _revised()
    db.session.commit()


def move_initiative(actor: Any, initiative: Initiative, recommendation: Recommendation) -> None:
    """Move an initiative under another recommendation (the source prints some out of order)."""
    if recommendation.category.plan_id != initiative.plan_id:
        raise ValueError("the recommendation belongs to another plan")
    edit_texts(actor, initiative, recommendation_id=recommendation.id)


def record_progress(
    actor: Any,
    action: Action,
    fiscal_year: int,
    status: ProgressStatus,
    note: str,
    recorded_on: date,
) -> ActionProgress:
    progress = ActionProgress(
        action_id=action.id,
        fiscal_year=fiscal_year,
        status=status,
        note=note,
        recorded_on=recorded_on,
        recorded_by_id=actor.id,
    )
    db.session.add(progress)
    db.session.flush()
    audit.record(
        actor,
        "plan.record_progress",
        progress,
        f"initiative {action.initiative.number} action {action.position + 1}: "
        f"FY{fiscal_year} {status.value}",
        after=audit.snapshot(
            progress, ["action_id", "fiscal_year", "status", "note", "recorded_on"]
        ),
    )
    _revised()
    db.session.commit()
    return progress
