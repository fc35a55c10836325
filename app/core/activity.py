"""The activity registry: the spine of Sankaku (DESIGN.md §3).

Each domain module registers one or more activity kinds, each the module's manifest (its
`activity.py`). A kind says which model holds its records, how to compute its figures per
initiative in SQL, where its records are listed, what it serves in the API (with the OpenAPI
fragment for it), the datasets it publishes on /open-data, and its demo records. The plan
pages, reports, API, open-data catalogue and `flask demo load` iterate over the registry, so
adding a kind changes no line in them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.core import clock
from app.core.cache import cached, fresh_until, store
from app.core.i18n import fiscal_year, fiscal_year_bounds, format_date, jst_to_utc, to_jst
from app.core.opendata import Dataset


class FulfilsInitiative:
    """Mixed into every model of citizen activity: which initiative it fulfils, and whose it is."""

    @declared_attr
    def initiative_id(cls) -> Mapped[int]:  # noqa: N805 (SQLAlchemy declared_attr)
        return mapped_column(sa.ForeignKey("initiative.id"), index=True, nullable=False)

    @declared_attr
    def department_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(sa.ForeignKey("department.id"), index=True, nullable=False)

    @declared_attr
    def ward_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(sa.ForeignKey("ward.id"), index=True, nullable=True)

    @declared_attr
    def fiscal_year(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(sa.Integer, index=True, nullable=False)


@dataclass(frozen=True)
class ActivityFilter:
    """What a report or page asks for; empty means everything."""

    fiscal_years: tuple[int, ...] = ()
    ward_id: int | None = None
    department_id: int | None = None
    # One initiative's figures alone (an initiative's yearly trend), not every initiative's.
    initiative_id: int | None = None

    @property
    def settled(self) -> bool:
        """Whether every year of the filter ended before the last fiscal year began. What
        arrives late for a year (a voice received in March and answered in May, a case's
        results) lands in the year after; from then on its records change only when staff
        correct one, so its figures are kept fresh longer (`figures_fresh_seconds`)."""
        return bool(self.fiscal_years) and max(self.fiscal_years) < fiscal_year(clock.now()) - 1

    @property
    def narrows(self) -> bool:
        """Whether the filter leaves anything out (any field differs from the empty filter)."""
        return self != ActivityFilter()

    def apply(self, stmt: sa.Select[Any], model: Any) -> sa.Select[Any]:
        """Narrow a statement over a FulfilsInitiative model to this filter."""
        if self.fiscal_years:
            stmt = stmt.where(model.fiscal_year.in_(self.fiscal_years))
        if self.ward_id is not None:
            stmt = stmt.where(model.ward_id == self.ward_id)
        if self.department_id is not None:
            stmt = stmt.where(model.department_id == self.department_id)
        if self.initiative_id is not None:
            stmt = stmt.where(model.initiative_id == self.initiative_id)
        return stmt

    def instant_range(self) -> tuple[Any, Any] | None:
        """For kinds whose year is an instant, not a column: the UTC span of the chosen years."""
        if not self.fiscal_years:
            return None
        return fiscal_year_bounds(min(self.fiscal_years))[0], fiscal_year_bounds(
            max(self.fiscal_years)
        )[1]


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any  # a lazy gettext string
    public: bool = True


@dataclass(frozen=True)
class ActivityRecord:
    """One record as the initiative page lists it; never carries personal data."""

    title: str
    url: str
    day: date | None = None
    status: str = ""
    # When the record last changed (aware UTC), for the initiative's Atom feed. A kind that
    # leaves it out is dated by `day`, but no later than today.
    updated: datetime | None = None


@dataclass(frozen=True)
class DatedRecord:
    """A record of some kind with the moment it is dated by, for a feed of all kinds."""

    kind: ActivityKind
    record: ActivityRecord
    updated: datetime


Figures = dict[int, dict[str, float]]
JSON = dict[str, Any]


@dataclass(frozen=True)
class ApiItem:
    """One record of an API list by its id: `<list path>/{parameter}`."""

    parameter: str  # the path parameter's name in the OpenAPI document, e.g. "case_id"
    operation_id: str
    summary: str
    # JSON Schema of the answer; may refer to any schema in components ("#/components/schemas/…").
    schema: JSON
    # load(id) -> the record's JSON, or None when there is no such public record (404).
    load: Callable[[int], JSON | None]


@dataclass(frozen=True)
class ApiList:
    """A paginated list a kind serves in the read-only API (`/api/v1<path>`), and the OpenAPI
    fragment that describes it. Never personal data."""

    path: str  # "/sessions": served at /api/v1/sessions
    operation_id: str  # "listSessions"
    summary: str
    schema_name: str  # the item schema's name in components, e.g. "Session"
    schema: JSON  # JSON Schema of one item
    # The items in the list's order, with what `serialize` reads loaded (paginated by the API).
    query: Callable[[], sa.Select[Any]]
    # serialize(one page of items) -> their JSON, in order. A page at a time, so a figure every
    # item shows (members per council) costs one statement per page, not one per item.
    serialize: Callable[[Sequence[Any]], list[JSON]]
    # The query selects several columns: each item is the row, not its first column.
    rows: bool = False
    item: ApiItem | None = None


def each(serialize_one: Callable[[Any], JSON]) -> Callable[[Sequence[Any]], list[JSON]]:
    """An ApiList serialiser for a list whose items need nothing from the rest of the page."""
    return lambda items: [serialize_one(item) for item in items]


@dataclass(frozen=True)
class ActivityKind:
    key: str
    label: Any  # a lazy gettext string
    model: type
    metrics: Sequence[Metric]
    # figures(filter) -> {initiative_id: {metric key: value}}, computed in SQL with GROUP BY.
    figures: Callable[[ActivityFilter], Figures]
    # records(initiative_id, limit) -> the newest public records of this kind.
    records: Callable[[int, int], list[ActivityRecord]]
    # endpoint listing this kind's records, called with initiative=<number>.
    list_endpoint: str
    order: int = 100
    # attention(limit) -> things staff should act on (the staff dashboard), e.g. cases closed
    # without results; each an ActivityRecord whose status says why.
    attention: Callable[[int], list[ActivityRecord]] | None = None
    # open_now(limit) -> what a resident can take part in now (the home page's first section),
    # soonest deadline or date first, in one statement; each an ActivityRecord whose day is the
    # deadline or next date and whose status says how long or how many places are left.
    open_now: Callable[[int], list[ActivityRecord]] | None = None
    # What the kind serves in the read-only API, each list with its OpenAPI fragment.
    api: Sequence[ApiList] = ()
    # /open-data lists every kind as a dataset (its list page, dated by the model's updated_at);
    # `open_data` adds further formats of it, (format, endpoint) pairs such as ("Atom",
    # "public_comment.feed"), and `datasets()` the kind's other datasets (called in a request,
    # so it may read the database and build URLs).
    open_data: Sequence[tuple[str, str]] = ()
    datasets: Callable[[], list[Dataset]] | None = None
    # demo() adds the kind's records to `flask demo load` (after the plan and the accounts,
    # inside a request to the public site, so it may build URLs and queue mail).
    demo: Callable[[], None] | None = None
    # cached() -> the other values the module's public pages cache (core.cache.cached) and show
    # by default, as (key, compute) pairs, for `flask reports warm` to compute ahead like the
    # figures: a page whose value goes stale then never even starts a recomputation.
    cached: Callable[[], list[tuple[str, Callable[[], Any]]]] | None = None

    @property
    def headline(self) -> Metric:
        return self.metrics[0]


_registry: dict[str, ActivityKind] = {}


def register(kind: ActivityKind) -> None:
    existing = _registry.get(kind.key)
    if existing is not None and existing.model is not kind.model:
        raise ValueError(f"activity kind {kind.key!r} is already registered")
    _registry[kind.key] = kind


def unregister(key: str) -> None:
    _registry.pop(key, None)


def kinds() -> list[ActivityKind]:
    return sorted(_registry.values(), key=lambda k: (k.order, k.key))


def get_kind(key: str) -> ActivityKind:
    return _registry[key]


def figures_by_initiative(flt: ActivityFilter | None = None) -> dict[str, Figures]:
    """Every kind's figures: one SQL statement (or a fixed few) per kind, whatever the data."""
    flt = flt or ActivityFilter()
    return {kind.key: kind_figures(kind, flt) for kind in kinds()}


def kind_figures(kind: ActivityKind, flt: ActivityFilter) -> Figures:
    """One kind's figures for a filter, computed at most once per FIGURES_CACHE_SECONDS (in each
    worker, or once for all of them with CACHE_REDIS_URL; app/core/cache.py). At national scale
    a kind's figures aggregate millions of rows (seconds of SQL) while the table, the initiative
    pages, the reports and the API ask for them on every request; figures a minute old are good
    enough for a progress report. With FIGURES_CACHE_SECONDS 0 they are computed every time
    (the tests, and `bench.pages`, which measures the SQL itself)."""
    # Once they are older, they are served stale while one thread recomputes them
    # (core.cache.cached), so no visitor waits for them but the first after a cold start.
    # The cache keeps pickled copies: a caller that adds to its figures changes nobody else's.
    return cached(
        _figures_key(kind, flt),
        lambda: _plain_numbers(kind.figures(flt)),
        figures_fresh_seconds(flt),
    )


# A settled year's figures stay fresh this many figures periods (FIGURES_CACHE_SECONDS): at
# national scale each year's cost a tenth of a second to a third of one per kind, and fourteen
# settled years were two thirds of what `flask reports warm` computed every period.
SETTLED_FRESH_FACTOR = 30


def figures_fresh_seconds(flt: ActivityFilter) -> int:
    """How long figures for `flt` are fresh: FIGURES_CACHE_SECONDS, SETTLED_FRESH_FACTOR times
    that for settled years (a correction to one shows within that, or sooner by the warm)."""
    seconds = int(current_app.config["FIGURES_CACHE_SECONDS"])
    return seconds * SETTLED_FRESH_FACTOR if flt.settled else seconds


def due_for_refresh(filters: Sequence[ActivityFilter]) -> list[ActivityFilter]:
    """Of `filters`, those `flask reports warm` recomputes in this run: every filter that is
    not settled, every settled one with a kind's figures not in the cache, and else the settled
    one whose figures go stale first; each run thus refreshes one settled year, in turn."""
    live = [flt for flt in filters if not flt.settled]
    settled = [flt for flt in filters if flt.settled]
    if not settled:
        return live
    keys = {flt: [_figures_key(kind, flt) for kind in kinds()] for flt in settled}
    every_key = [key for per_filter in keys.values() for key in per_filter]
    found = dict(zip(every_key, fresh_until(every_key), strict=True))
    # When each settled filter's figures go stale first (0 where a kind's are not cached).
    soonest = {flt: min((found[k] or 0.0 for k in ks), default=0.0) for flt, ks in keys.items()}
    missing = [flt for flt in settled if not soonest[flt]]
    if missing:
        return live + missing
    return [*live, min(settled, key=soonest.__getitem__)]


def refresh_figures(kind: ActivityKind, flt: ActivityFilter, timeout: int | None = None) -> Figures:
    """Compute one kind's figures for a filter and put them in the cache (for `timeout`
    seconds, FIGURES_CACHE_SECONDS by default)."""
    figures = _plain_numbers(kind.figures(flt))
    store(_figures_key(kind, flt), figures, timeout)
    return figures


def _figures_key(kind: ActivityKind, flt: ActivityFilter) -> str:
    # Every field of the filter, so a field added to it can never share another's figures.
    return f"figures:{kind.key}:{astuple(flt)}"


def _plain_numbers(figures: Figures) -> Figures:
    """PostgreSQL answers averages and ratios as Decimal; reports, exports and the API want
    plain numbers (an int where the value is whole)."""
    result: Figures = {}
    for initiative_id, values in figures.items():
        result[initiative_id] = {
            key: int(value) if float(value).is_integer() else float(value)
            for key, value in values.items()
        }
    return result


def headline_counts(flt: ActivityFilter | None = None) -> dict[int, dict[str, int]]:
    """{initiative_id: {kind key: headline count}} for the table pages."""
    result: dict[int, dict[str, int]] = {}
    for key, figures in figures_by_initiative(flt).items():
        metric = get_kind(key).headline.key
        for initiative_id, values in figures.items():
            result.setdefault(initiative_id, {})[key] = int(values.get(metric, 0))
    return result


def open_now(limit: int) -> list[tuple[ActivityKind, list[ActivityRecord]]]:
    """What a resident can take part in now, kind by kind, at most `limit` of each (the home
    page's first section): one statement per kind that offers anything."""
    return [(kind, kind.open_now(limit)) for kind in kinds() if kind.open_now is not None]


def days_left_sentence(closes_at: datetime) -> str:
    """How many days remain, counted in the city's calendar like a comment period (0 on the
    closing day): 「残り12日です。」, "12 days left.", or 「本日締切です。」 on the last day."""
    days = (to_jst(closes_at).date() - clock.today()).days
    if days >= 1:
        return ngettext("%(num)d day left.", "%(num)d days left.", days)
    return gettext("Closes today.")


def time_left(closes_at: datetime) -> str:
    """Until when a call or a comment period is open and how many days remain:
    「令和8年(2026年)12月20日(日)まで。残り12日です。」, "Until 20 Dec 2026. 12 days left." """
    return gettext(
        "Until %(date)s. %(left)s",
        date=format_date(to_jst(closes_at).date()),
        left=days_left_sentence(closes_at),
    )


def newest_records(initiative_id: int, limit: int) -> list[DatedRecord]:
    """One initiative's records of every kind, newest change first, at most `limit`: each kind
    answers its own newest in a fixed few statements, so the whole costs a fixed number too.

    A record without its time of change is dated by its day (midnight, Japan time), but no
    later than the start of today: an upcoming session or a closing date ahead is not news
    from the future, and the date stays the same all day, so a polled feed stays unchanged."""
    today = clock.start_of_today()
    dated = []
    for kind in kinds():
        for record in kind.records(initiative_id, limit):
            if record.updated is not None:
                updated = record.updated
            elif record.day is not None:
                updated = min(jst_to_utc(record.day, time(0, 0)), today)
            else:
                updated = today
            dated.append(DatedRecord(kind, record, updated))
    dated.sort(key=lambda item: item.updated, reverse=True)
    return dated[:limit]
