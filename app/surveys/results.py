"""Results of surveys: counts per question and option in SQL, each sample apart, weights to the
population for the panel, margins of error, small cells suppressed; HTML with inline SVG
charts, CSV, XLSX and JSON.

Samples are never pooled: a section per source (the panel's random sample, the open survey,
a session's participants), each with its own totals, shares and margins.

Counting: one statement counts every chosen option, scale point and matrix cell per source,
question, row, option, ward and age band (GROUP BY); the main tables, the weighted shares and
the cross-tabulations by ward and by age band are all sums of those groups. A multiple-choice
question is counted per option (one answer row per option chosen), never per combination, so
its shares add up to more than 100 %. A results page costs a fixed number of statements
whatever the number of answers, and it is paid once, when the results are published (see
below).

Weighting (the panel only, audience drawn at random): post-stratification by ward × age band
to the population the panel term was drawn from (PanelTerm.population, its source published):
weight = population share ÷ sample share of the stratum. A stratum with fewer than
SUPPRESS_UNDER respondents is merged with the next age band of its ward (a ward with too few
with the other small wards), so that no published weight reveals a small count and no weight
is extreme. Shares are weighted sums over strata; their margin of error uses Kish's effective
sample size. Open and participants' samples are not weighted (their population is unknown).

Margin of error: 95 % for a proportion, 1.96 · √(p(1 − p)/n), times the finite population
correction √((N − n)/(N − 1)) where the population N is known (the panel: the population of
the strata; participants: the invitations sent). Shown as ±x.x points.

Suppression (SUPPRESS_UNDER = 10): every count from 1 to 9 — and every total under 10 with
its whole table — is shown as 「10未満」 with its share hidden, in every output. So that a hidden
count cannot be recomputed as a total minus the other cells, every additive line (the options
of a single choice with the respondents' total, a matrix row with its total, a cross-tab's
rows and columns with their margins, the margins with the grand total) must hide either no
cell or at least two: where a line hides exactly one, its smallest visible cell is hidden too,
repeated until no line hides exactly one (`protect`). A zero is published (SUPPRESS_ZEROS).
A scale's mean is withheld when a cell of its distribution is hidden (with the counts it would
give the hidden ones away).

Stored, not cached (Survey.results_snapshot): counting a national survey (100,000 responses)
takes seconds, and published results change only when they are published or an answer is
redacted, so the services compute them then, in the same transaction, and the public page,
files and API read one row. What is stored is what is published, after suppression (every
count 1–9 already None), so the stored JSON is itself safe to publish. A survey published
before the column existed is computed on its first read and stored.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import abort, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import selectinload, undefer

from app.core import clock
from app.core.cache import fragment_key, versioned_page
from app.core.charts import horizontal_bars
from app.core.db import begin_write
from app.core.enums import AgeBand
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
from app.core.i18n import current_language, to_jst
from app.extensions import db
from app.plan.models import Ward
from app.public_comment.grouping import group as group_texts
from app.surveys import bp
from app.surveys.models import (
    CHOICE_KINDS,
    SCALE_POINTS,
    SUPPRESS_UNDER,
    Answer,
    Question,
    QuestionKind,
    Response,
    Source,
    Survey,
)

Z95 = 1.96
UNKNOWN = "unknown"  # a respondent whose ward or age band is not known
OTHER = -1  # the option index of 「その他」
# A zero is published: "nobody answered so" describes no one (the counts 1–9 are the ones that
# could point at a person). True hides zeros as well, at the cost of hiding far more.
SUPPRESS_ZEROS = False
# Sections in this order: the random sample first (the figures to quote), then the others.
SOURCE_ORDER = [Source.PANEL, Source.PARTICIPANTS, Source.OPEN]
# A page lists at most this many groups of free-text answers per question and sample; the
# CSV, XLSX and JSON have them all.
TEXT_GROUPS_SHOWN = 100
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})
Label = tuple[str, str]  # (Japanese, English): the snapshot holds both, the request picks one


# Margins of error and suppression ----------------------------------------------------------


def margin(p: float, n: float, population: int | None = None) -> float:
    """The 95 % margin of error of a proportion `p` (0–1) from `n` answers, in points; with the
    finite population correction when the population is known (0 for a census)."""
    if n <= 0:
        return 0.0
    moe = Z95 * math.sqrt(p * (1 - p) / n)
    if population:
        if population <= n:
            return 0.0
        moe *= math.sqrt((population - n) / (population - 1))
    return 100 * moe


def protect(
    counts: dict[Any, int], lines: Iterable[list[Any]], totals: Iterable[Any] = ()
) -> set[Any]:
    """The cells to hide: every count from 1 to SUPPRESS_UNDER − 1 (and 0 too with
    SUPPRESS_ZEROS), and as many more as it takes for no additive line (a list of cell keys
    whose values sum up, its total among them) to hide exactly one cell, which its total minus
    the others would reveal. The smallest visible cell of such a line is hidden next (ties:
    the first in the line), a total only when nothing else is left."""
    hidden = {
        key
        for key, count in counts.items()
        if count < SUPPRESS_UNDER and (count > 0 or SUPPRESS_ZEROS)
    }
    totals = set(totals)
    lines = [line for line in lines if len(line) > 1]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for key in line if key in hidden) != 1:
                continue
            visible = [key for key in line if key not in hidden]
            if visible:
                hidden.add(min(visible, key=lambda key: (key in totals, counts.get(key, 0))))
                changed = True
    return hidden


# The computed results (plain data, stored) --------------------------------------------------


@dataclass
class Cell:
    """One published count: None when suppressed (shown as 「10未満」), with its share and
    margin in percent and points (None when suppressed), weighted ones for the panel."""

    count: int | None
    share: float | None = None
    margin: float | None = None
    weighted_share: float | None = None
    weighted_margin: float | None = None

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass
class Line:
    """A labelled row of a table: an option, a scale point, a month, a matrix item."""

    key: Any
    label: Label
    cell: Cell


@dataclass
class CrossTab:
    """Options (rows) by ward or age band (columns): `cells[option key][column key]`."""

    dimension: str  # "ward" or "age_band"
    columns: list[tuple[str, Label, Cell]]  # key, label, respondents in the column
    rows: list[tuple[Any, Label]]
    cells: dict[Any, dict[str, Cell]]


@dataclass
class MatrixRow:
    label: Label
    total: Cell
    points: list[Line]
    mean: float | None


@dataclass
class TextGroup:
    text: str
    # Answers in the group as published: 1 (a lone answer), SUPPRESS_UNDER or more, or None
    # for 2 to 9 (「10未満」): the true small size is never kept.
    size: int | None


@dataclass
class QuestionResult:
    id: int
    number: int
    kind: str
    text: Label
    total: Cell  # respondents to the question in this sample
    lines: list[Line] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    matrix: list[MatrixRow] = field(default_factory=list)
    crosstabs: list[CrossTab] = field(default_factory=list)
    texts: list[TextGroup] = field(default_factory=list)
    other_texts: list[TextGroup] = field(default_factory=list)  # 「その他」 as written
    note: str = ""  # a key of NOTES


@dataclass
class WeightCell:
    """A weighting cell: a ward's age bands merged until their sample reaches SUPPRESS_UNDER."""

    ward: str  # ward code, or "" for several small wards merged
    strata: list[str]  # "<ward code>|<age band>" keys
    population: int
    sample: int
    weight: float


@dataclass
class SourceResult:
    source: str
    respondents: Cell
    weighted: bool
    population: int | None
    weights: list[WeightCell]
    questions: list[QuestionResult]


@dataclass
class SurveyResults:
    survey_id: int
    computed_at: datetime
    sections: list[SourceResult]
    wards: dict[str, Label]  # code -> names, for labels


# Counting in SQL ---------------------------------------------------------------------------


def _month(column: Any) -> Any:
    """'YYYY-MM' of a date column, in SQL."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.substr(column, 1, 7)


def _counted(survey_id: int) -> Any:
    # A response hidden by staff (a test answer) is counted nowhere.
    return sa.and_(Response.survey_id == survey_id, Response.hidden_reason == "")


def _stratum(ward_code: str | None, band: Any) -> str:
    """ "<ward code>|<age band>", a part left empty where the respondent's is not known."""
    band_value = band.value if isinstance(band, AgeBand) else (band or "")
    return f"{ward_code or ''}|{band_value}"


def _known(stratum: str) -> bool:
    ward, _sep, band = stratum.partition("|")
    return bool(ward and band)


@dataclass
class _Raw:
    """What the statements return, keyed by source value."""

    options: dict[str, list[tuple[int, int | None, int, str, int]]]  # q, row, option, stratum, n
    respondents: dict[str, list[tuple[int, str, int]]]  # q, stratum, n
    sample: dict[str, dict[str, int]]  # stratum -> responses
    numbers: dict[str, dict[int, tuple[int, float, float | None]]]  # q -> n, mean, median
    months: dict[str, dict[int, list[tuple[str, int]]]]
    texts: dict[str, dict[tuple[int, bool], list[str]]]  # (q, other?) -> redacted texts


def _load(survey: Survey, ward_codes: dict[int, str]) -> _Raw:
    """Six statements, whatever the number of answers."""
    counted = _counted(survey.id)
    raw = _Raw(defaultdict(list), defaultdict(list), defaultdict(dict), defaultdict(dict), {}, {})
    raw.months = defaultdict(lambda: defaultdict(list))
    strata = (Response.ward_id, Response.age_band)
    for source, qid, row, option, ward, band, n in db.session.execute(
        sa.select(
            Response.source, Answer.question_id, Answer.row, Answer.option, *strata, sa.func.count()
        )
        .join(Response, Response.id == Answer.response_id)
        .where(counted, Answer.option.is_not(None))
        .group_by(Response.source, Answer.question_id, Answer.row, Answer.option, *strata)
    ):
        raw.options[source.value].append(
            (qid, row, option, _stratum(ward_codes.get(ward), band), n)
        )
    # Respondents per question: those with any answer to it (a matrix's rows are counted from
    # their points, one per respondent and row).
    for source, qid, ward, band, n in db.session.execute(
        sa.select(
            Response.source,
            Answer.question_id,
            *strata,
            sa.func.count(sa.distinct(Answer.response_id)),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(counted)
        .group_by(Response.source, Answer.question_id, *strata)
    ):
        raw.respondents[source.value].append((qid, _stratum(ward_codes.get(ward), band), n))
    for source, ward, band, n in db.session.execute(
        sa.select(Response.source, *strata, sa.func.count())
        .where(counted)
        .group_by(Response.source, *strata)
    ):
        stratum = _stratum(ward_codes.get(ward), band)
        raw.sample[source.value][stratum] = raw.sample[source.value].get(stratum, 0) + n
    # Numbers: n, mean and median per sample and question (the median by window functions,
    # the same SQL on both backends, as the voice statistics' median days).
    group = (Response.source, Answer.question_id)
    numbered = sa.and_(counted, Answer.number.is_not(None))
    ranked = (
        sa.select(
            Response.source.label("source"),
            Answer.question_id.label("qid"),
            Answer.number.label("value"),
            sa.func.row_number().over(partition_by=group, order_by=Answer.number).label("rank"),
            sa.func.count().over(partition_by=group).label("n"),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(numbered)
        .subquery("ranked")
    )
    middle = ranked.c.rank.between((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)
    medians = (
        sa.select(ranked.c.source, ranked.c.qid, sa.func.avg(ranked.c.value).label("median"))
        .where(middle)
        .group_by(ranked.c.source, ranked.c.qid)
        .subquery("medians")
    )
    totals = (
        sa.select(
            Response.source.label("source"),
            Answer.question_id.label("qid"),
            sa.func.count().label("n"),
            sa.func.avg(Answer.number).label("mean"),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(numbered)
        .group_by(*group)
        .subquery("totals")
    )
    for source, qid, n, mean, median in db.session.execute(
        sa.select(
            totals.c.source, totals.c.qid, totals.c.n, totals.c.mean, medians.c.median
        ).outerjoin(
            medians, sa.and_(medians.c.source == totals.c.source, medians.c.qid == totals.c.qid)
        )
    ):
        key = source.value if isinstance(source, Source) else str(source)
        raw.numbers[key][qid] = (
            int(n),
            float(mean),
            float(median) if median is not None else None,
        )
    month = _month(Answer.day)
    for source, qid, ym, n in db.session.execute(
        sa.select(Response.source, Answer.question_id, month, sa.func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(counted, Answer.day.is_not(None))
        .group_by(Response.source, Answer.question_id, month)
        .order_by(month)
    ):
        raw.months[source.value][qid].append((str(ym), n))
    raw.texts = _load_texts(survey.id)
    return raw


def _load_texts(
    survey_id: int, question_id: int | None = None
) -> dict[str, dict[tuple[int, bool], list[str]]]:
    """Free text: only what staff published after redaction (of one question when given)."""
    texts: dict[str, dict[tuple[int, bool], list[str]]] = defaultdict(lambda: defaultdict(list))
    query = (
        sa.select(Response.source, Answer.question_id, Answer.option, Answer.redacted_text)
        .join(Response, Response.id == Answer.response_id)
        .where(_counted(survey_id), Answer.redacted_text.is_not(None), Answer.redacted_text != "")
        .order_by(Answer.id)
    )
    if question_id is not None:
        query = query.where(Answer.question_id == question_id)
    for source, qid, option, text in db.session.execute(query):
        texts[source.value][(qid, option == OTHER)].append(text)
    return texts


# Weights -----------------------------------------------------------------------------------


def weighting_cells(population: dict[str, int], sample: dict[str, int]) -> list[WeightCell]:
    """Post-stratification cells by ward × age band (see the module's docstring): in each
    ward its age bands in order, merged until a cell's sample reaches SUPPRESS_UNDER (a short
    tail joins the ward's last cell); wards short of it merged into one cell, and that one into
    the smallest other if still short. weight = population share ÷ sample share."""
    bands = [band.value for band in AgeBand]
    wards: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for key in set(population) | {k for k in sample if _known(k)}:
        ward, _sep, band = key.partition("|")
        wards[ward][band] = (int(population.get(key, 0)), int(sample.get(key, 0)))
    cells: list[WeightCell] = []
    short: list[WeightCell] = []
    for ward in sorted(wards):
        ward_cells: list[WeightCell] = []
        current = WeightCell(ward, [], 0, 0, 0.0)
        order = sorted(wards[ward], key=lambda b: bands.index(b) if b in bands else len(bands))
        for band in order:
            pop, n = wards[ward][band]
            current.strata.append(f"{ward}|{band}")
            current.population += pop
            current.sample += n
            if current.sample >= SUPPRESS_UNDER:
                ward_cells.append(current)
                current = WeightCell(ward, [], 0, 0, 0.0)
        if current.strata:
            if ward_cells:
                last = ward_cells[-1]
                last.strata += current.strata
                last.population += current.population
                last.sample += current.sample
            else:
                short.append(current)
        cells += ward_cells
    if short:
        merged = WeightCell(
            "" if len(short) > 1 else short[0].ward,
            [key for cell in short for key in cell.strata],
            sum(cell.population for cell in short),
            sum(cell.sample for cell in short),
            0.0,
        )
        if merged.sample < SUPPRESS_UNDER and cells:
            target = min(cells, key=lambda cell: cell.sample)
            target.ward = target.ward if target.ward == merged.ward else ""
            target.strata += merged.strata
            target.population += merged.population
            target.sample += merged.sample
        else:
            cells.append(merged)
    total_pop = sum(cell.population for cell in cells)
    total_sample = sum(cell.sample for cell in cells)
    for cell in cells:
        if total_pop and total_sample and cell.sample:
            cell.weight = (cell.population / total_pop) / (cell.sample / total_sample)
    return cells


def stratum_weights(cells: list[WeightCell]) -> dict[str, float]:
    """Each stratum's weight (a respondent whose stratum is not known counts as 1)."""
    return {key: cell.weight for cell in cells for key in cell.strata}


# Building a sample's results ---------------------------------------------------------------


def _labels(items: list[dict[str, Any]]) -> list[Label]:
    return [(item.get("ja", ""), item.get("en", "") or item.get("ja", "")) for item in items]


def _scale_labels(question: Question) -> list[Label]:
    named = _labels(question.options or [])
    if len(named) == SCALE_POINTS:
        return [(f"{p} {ja}", f"{p} {en}") for p, (ja, en) in enumerate(named, 1)]
    return [(str(p), str(p)) for p in range(1, SCALE_POINTS + 1)]


def _option_keys(question: Question) -> list[tuple[int, Label]]:
    if question.kind in (QuestionKind.SCALE, QuestionKind.MATRIX):
        return list(enumerate(_scale_labels(question), 1))
    keys = list(enumerate(_labels(question.options or [])))
    if question.allow_other:
        keys.append((OTHER, ("その他", "Other")))
    return keys


class _Sample:
    """One source's strata-level counts and weights, and the cells built from them."""

    def __init__(
        self,
        raw: _Raw,
        source: str,
        weights: dict[str, float] | None,
        population: int | None,
        strata_population: dict[str, int],
    ) -> None:
        self.weights = weights
        self.population = population
        self.strata_population = strata_population
        # (q, row, option) -> stratum -> n ; (q, row) -> stratum -> respondents
        self.chosen: dict[tuple[int, int | None, int], dict[str, int]] = defaultdict(dict)
        for qid, row, option, stratum, n in raw.options.get(source, []):
            cell = self.chosen[(qid, row, option)]
            cell[stratum] = cell.get(stratum, 0) + n
        self.by_question: dict[int, dict[str, int]] = defaultdict(dict)
        for qid, stratum, n in raw.respondents.get(source, []):
            cell = self.by_question[qid]
            cell[stratum] = cell.get(stratum, 0) + n

    def row_answered(self, qid: int, row: int) -> dict[str, int]:
        """A matrix row's respondents per stratum: one point per respondent and row."""
        answered: dict[str, int] = {}
        for point in range(1, SCALE_POINTS + 1):
            for stratum, n in self.chosen.get((qid, row, point), {}).items():
                answered[stratum] = answered.get(stratum, 0) + n
        return answered

    def cell(
        self,
        chosen: dict[str, int],
        answered: dict[str, int],
        hidden: bool,
        keep: Any = None,
        population: int | None = None,
    ) -> Cell:
        """A count with its shares among `answered`, restricted to the strata `keep` accepts."""
        strata = [s for s in answered if keep is None or keep(s)]
        count = sum(n for s, n in chosen.items() if keep is None or keep(s))
        n = sum(answered[s] for s in strata)
        if hidden:
            return Cell(None)
        result = Cell(count)
        if n:
            p = count / n
            result.share = round(100 * p, 1)
            result.margin = round(margin(p, n, population), 1)
        if self.weights is not None and n:
            w = self.weights
            numerator = sum(w.get(s, 1.0) * c for s, c in chosen.items() if s in strata)
            denominator = sum(w.get(s, 1.0) * answered[s] for s in strata)
            squares = sum(w.get(s, 1.0) ** 2 * answered[s] for s in strata)
            if denominator and squares:
                p = numerator / denominator
                effective = denominator**2 / squares
                result.weighted_share = round(100 * p, 1)
                result.weighted_margin = round(margin(p, effective, population), 1)
        return result


def _dimension_keys(dimension: str, stratum: str) -> str:
    ward, _sep, band = stratum.partition("|")
    return (ward if dimension == "ward" else band) or UNKNOWN


def _choice_question(
    sample: _Sample, question: Question, result: QuestionResult, wards: dict[str, Label]
) -> None:
    """A single or multiple choice, or a five-point scale: the main table and (choices) the
    cross-tabulations by ward and by age band, protected together (the main table is both
    cross-tabs' margin)."""
    qid = question.id
    answered = sample.by_question.get(qid, {})
    options = _option_keys(question)
    additive = question.kind != QuestionKind.MULTIPLE  # one option per respondent
    counts: dict[Any, int] = {("n",): sum(answered.values())}
    lines: list[list[Any]] = []
    main_line = [("n",)]
    for option, _label in options:
        counts[("o", option)] = sum(sample.chosen.get((qid, None, option), {}).values())
        main_line.append(("o", option))
    if additive:
        lines.append(main_line)
    dimensions: dict[str, list[str]] = {}
    if question.kind in CHOICE_KINDS:
        for dimension in ("ward", "age_band"):
            columns = sorted(
                {_dimension_keys(dimension, s) for s in answered},
                key=lambda key: _column_order(dimension, key),
            )
            if len(columns) < 2:
                continue  # one column would only repeat the main table
            dimensions[dimension] = columns
            margin_line: list[Any] = [("n",)]
            for column in columns:

                def in_column(s: str, d: str = dimension, c: str = column) -> bool:
                    return _dimension_keys(d, s) == c

                counts[(dimension, "n", column)] = sum(
                    n for s, n in answered.items() if in_column(s)
                )
                margin_line.append((dimension, "n", column))
                column_line: list[Any] = [(dimension, "n", column)]
                for option, _label in options:
                    chosen = sample.chosen.get((qid, None, option), {})
                    counts[(dimension, option, column)] = sum(
                        n for s, n in chosen.items() if in_column(s)
                    )
                    column_line.append((dimension, option, column))
                if additive:
                    lines.append(column_line)
            lines.append(margin_line)
            for option, _label in options:
                lines.append([("o", option)] + [(dimension, option, c) for c in columns])
    hidden = protect(counts, lines, [key for key in counts if "n" in key])
    if ("n",) in hidden:
        result.total = Cell(None)
        result.note = "too_few"
        return
    result.total = Cell(counts[("n",)])
    for option, label in options:
        chosen = sample.chosen.get((qid, None, option), {})
        cell = sample.cell(chosen, answered, ("o", option) in hidden, population=sample.population)
        result.lines.append(Line(option, label, cell))
    if question.kind == QuestionKind.SCALE and not any(
        line.cell.suppressed for line in result.lines
    ):
        total = sum(line.cell.count or 0 for line in result.lines)
        if total:
            result.mean = round(
                sum(line.key * (line.cell.count or 0) for line in result.lines) / total, 2
            )
    for dimension, columns in dimensions.items():
        header = []
        cells: dict[Any, dict[str, Cell]] = {}
        for column in columns:

            def in_column(s: str, d: str = dimension, c: str = column) -> bool:
                return _dimension_keys(d, s) == c

            column_population = (
                sum(n for s, n in sample.strata_population.items() if in_column(s))
                if sample.population
                else None
            ) or None
            header.append(
                (
                    column,
                    _column_label(dimension, column, wards),
                    Cell(None)
                    if (dimension, "n", column) in hidden
                    else Cell(counts[(dimension, "n", column)]),
                )
            )
            for option, _label in options:
                chosen = sample.chosen.get((qid, None, option), {})
                cells.setdefault(option, {})[column] = sample.cell(
                    chosen,
                    answered,
                    (dimension, option, column) in hidden,
                    keep=in_column,
                    population=column_population,
                )
        result.crosstabs.append(CrossTab(dimension, header, options, cells))


def _column_order(dimension: str, key: str) -> tuple[int, str]:
    if key == UNKNOWN:
        return (99, key)
    if dimension == "age_band":
        values = [band.value for band in AgeBand]
        return (values.index(key) if key in values else 50, key)
    return (0, key)


def _column_label(dimension: str, key: str, wards: dict[str, Label]) -> Label:
    if key == UNKNOWN:
        return ("不明", "Not known")
    if dimension == "ward":
        return wards.get(key, (key, key))
    try:
        band = AgeBand(key)
    except ValueError:
        return (key, key)
    return (band.value, band.value)  # labelled per request (AgeBand's own labels)


def _matrix_question(sample: _Sample, question: Question, result: QuestionResult) -> None:
    qid = question.id
    points = _option_keys(question)
    rows = _labels(question.rows or [])
    counts: dict[Any, int] = {("n",): sum(sample.by_question.get(qid, {}).values())}
    lines = []
    for index in range(len(rows)):
        answered = sample.row_answered(qid, index)
        counts[("rn", index)] = sum(answered.values())
        line = [("rn", index)]
        for point, _label in points:
            counts[("p", index, point)] = sum(sample.chosen.get((qid, index, point), {}).values())
            line.append(("p", index, point))
        lines.append(line)
    hidden = protect(counts, lines, [key for key in counts if key[0] in ("n", "rn")])
    if ("n",) in hidden:
        result.total = Cell(None)
        result.note = "too_few"
        return
    result.total = Cell(counts[("n",)])
    for index, label in enumerate(rows):
        answered = sample.row_answered(qid, index)
        row_hidden = ("rn", index) in hidden
        cells = [
            Line(
                point,
                point_label,
                sample.cell(
                    sample.chosen.get((qid, index, point), {}),
                    answered,
                    row_hidden or ("p", index, point) in hidden,
                    population=sample.population,
                ),
            )
            for point, point_label in points
        ]
        total = counts[("rn", index)]
        mean = None
        if not row_hidden and total and not any(c.cell.suppressed for c in cells):
            mean = round(sum(c.key * (c.cell.count or 0) for c in cells) / total, 2)
        result.matrix.append(
            MatrixRow(label, Cell(None) if row_hidden else Cell(total), cells, mean)
        )


def _text_groups(texts: list[str]) -> list[TextGroup]:
    """Redacted answers grouped with public comment's near-duplicate grouping, the largest
    group first, each shown once by its first answer."""
    if not texts:
        return []
    grouping = group_texts(texts)
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(grouping.labels):
        members[label].append(index)
    ordered = sorted(members.values(), key=lambda m: (-len(m), m[0]))
    return [TextGroup(texts[m[0]], _published_size(len(m))) for m in ordered]


def _published_size(size: int) -> int | None:
    return size if size == 1 or size >= SUPPRESS_UNDER else None


def _section(survey: Survey, raw: _Raw, source: str, wards: dict[str, Label]) -> SourceResult:
    sample_strata = raw.sample.get(source, {})
    weights_cells: list[WeightCell] = []
    weights = None
    population = None
    strata_population: dict[str, int] = {}
    if source == Source.PANEL.value and survey.panel_term and survey.panel_term.population:
        strata_population = {k: int(v) for k, v in survey.panel_term.population.items()}
        population = sum(strata_population.values()) or None
        # Weights need SUPPRESS_UNDER respondents of known ward and age band: with fewer, the
        # one weighting cell would publish a small count (and weigh almost no one).
        if sum(n for key, n in sample_strata.items() if _known(key)) >= SUPPRESS_UNDER:
            weights_cells = weighting_cells(strata_population, sample_strata)
            weights = stratum_weights(weights_cells)
    elif source == Source.PARTICIPANTS.value and survey.invited_count:
        population = survey.invited_count
    respondents = sum(sample_strata.values())
    sample = _Sample(raw, source, weights, population, strata_population)
    section = SourceResult(
        source,
        Cell(respondents) if respondents >= SUPPRESS_UNDER else Cell(None),
        weights is not None,
        population,
        weights_cells if respondents >= SUPPRESS_UNDER else [],
        [],
    )
    if respondents < SUPPRESS_UNDER:
        return section  # nothing of a sample this small is published
    for number, question in enumerate(survey.questions, 1):
        result = QuestionResult(
            question.id,
            number,
            question.kind.value,
            (question.text_ja, question.text_en or question.text_ja),
            Cell(None),
        )
        kind = question.kind
        if kind in CHOICE_KINDS or kind == QuestionKind.SCALE:
            _choice_question(sample, question, result, wards)
        elif kind == QuestionKind.MATRIX:
            _matrix_question(sample, question, result)
        elif kind == QuestionKind.NUMBER:
            n, mean, median = raw.numbers.get(source, {}).get(question.id, (0, 0.0, None))
            if n >= SUPPRESS_UNDER:
                result.total = Cell(n)
                result.mean = round(mean, 2)
                result.median = round(median, 2) if median is not None else None
            else:
                result.note = "too_few"
        elif kind == QuestionKind.DATE:
            months = raw.months.get(source, {}).get(question.id, [])
            total = sum(n for _m, n in months)
            counts = {("n",): total, **{("m", m): n for m, n in months}}
            hidden = protect(counts, [[("n",), *(("m", m) for m, _n in months)]], [("n",)])
            if ("n",) in hidden:
                result.note = "too_few"
            else:
                result.total = Cell(total)
                for month, n in months:
                    share = (
                        Cell(None)
                        if ("m", month) in hidden
                        else Cell(
                            n,
                            round(100 * n / total, 1),
                            round(margin(n / total, total, population), 1),
                        )
                    )
                    result.lines.append(Line(month, (month, month), share))
        if kind in TEXT_KINDS:
            answered = sum(sample.by_question.get(question.id, {}).values())
            result.total = Cell(answered) if answered >= SUPPRESS_UNDER else Cell(None)
            result.texts = _text_groups(raw.texts.get(source, {}).get((question.id, False), []))
        if question.allow_other:
            result.other_texts = _text_groups(
                raw.texts.get(source, {}).get((question.id, True), [])
            )
        section.questions.append(result)
    return section


def compute(survey: Survey) -> SurveyResults:
    """The survey's results, every sample apart: seven statements whatever the number of
    answers (the survey's questions and panel term are loaded with it by `load_survey`)."""
    wards: dict[str, Label] = {}
    ward_codes: dict[int, str] = {}
    for ward_id, code, name_ja, name_en in db.session.execute(
        sa.select(Ward.id, Ward.code, Ward.name_ja, Ward.name_en).order_by(Ward.position, Ward.id)
    ):
        ward_codes[ward_id] = code
        wards[code] = (name_ja, name_en or name_ja)
    raw = _load(survey, ward_codes)
    sections = [
        _section(survey, raw, source.value, wards)
        for source in SOURCE_ORDER
        if raw.sample.get(source.value)
    ]
    return SurveyResults(survey.id, clock.now(), sections, wards)


def results_for(survey: Survey, fresh: bool = False) -> SurveyResults:
    """The published results from the survey's stored snapshot; a published survey without
    one (published before snapshots were stored, or stored in an older shape) is computed now
    and stored. `fresh` (the staff preview, before publication) computes them, storing
    nothing."""
    if fresh:
        return compute(survey)
    data = survey.results_snapshot
    if data and data.get("version") == SNAPSHOT_VERSION:
        return from_snapshot(data)
    results = compute(survey)
    if survey.results_published_at is not None:
        _store_on_read(survey.id, snapshot_data(results))
    return results


def _store_on_read(survey_id: int, data: dict[str, Any]) -> None:
    """Store what a visitor's request computed (once per survey; the services store it from
    then on). Only where nothing was stored meanwhile (a redaction's snapshot is newer), and
    without touching updated_at (no one changed the survey). Storing is an optimisation: if
    the database is busy, the page is served all the same and the next visitor tries again."""
    try:
        begin_write()
        db.session.execute(
            sa.update(Survey)
            .where(Survey.id == survey_id, Survey.results_snapshot.is_(None))
            .values(results_snapshot=data, updated_at=Survey.updated_at)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except sa.exc.OperationalError:
        db.session.rollback()


def store_snapshot(survey: Survey) -> None:
    """Compute the results and store them on the survey, in the caller's transaction (the
    services call it when the results are published)."""
    survey.results_snapshot = snapshot_data(compute(survey))


def refresh_texts(survey: Survey, question_id: int) -> None:
    """After a redaction, in the caller's transaction: only the free text of that question
    changes (no count depends on redacted_text), so its groups are computed again from one
    statement and the rest of the snapshot is kept. Without a snapshot, all of it is computed."""
    data = survey.results_snapshot
    if not data or data.get("version") != SNAPSHOT_VERSION:
        store_snapshot(survey)
        return
    results = from_snapshot(data)
    texts = _load_texts(survey.id, question_id)
    for section in results.sections:
        for q in section.questions:
            if q.id != question_id:
                continue
            found = texts.get(section.source, {})
            if q.kind in {kind.value for kind in TEXT_KINDS}:
                q.texts = _text_groups(found.get((q.id, False), []))
            if q.other_texts or found.get((q.id, True)):
                q.other_texts = _text_groups(found.get((q.id, True), []))
    survey.results_snapshot = snapshot_data(results)


# The snapshot: the published results as JSON (nothing in it that a public output hides) -----

# Bump when the shape changes: a snapshot of another version is computed again on its read.
SNAPSHOT_VERSION = 1


def _cell_data(cell: Cell) -> list[Any]:
    return [cell.count, cell.share, cell.margin, cell.weighted_share, cell.weighted_margin]


def _cell(data: list[Any]) -> Cell:
    return Cell(*data)


def _line_data(line: Line) -> dict[str, Any]:
    return {"key": line.key, "label": list(line.label), "cell": _cell_data(line.cell)}


def _line(data: dict[str, Any]) -> Line:
    return Line(data["key"], _label(data["label"]), _cell(data["cell"]))


def _label(data: list[str]) -> Label:
    return (data[0], data[1])


def _texts_data(groups: list[TextGroup]) -> list[list[Any]]:
    return [[group.text, group.size] for group in groups]


def _texts(data: list[list[Any]]) -> list[TextGroup]:
    return [TextGroup(text, size) for text, size in data]


def snapshot_data(results: SurveyResults) -> dict[str, Any]:
    """The results as JSON-serialisable data: every field of the dataclasses, suppressed cells
    as None (a crosstab's cells as pairs, since an option's number cannot be a JSON key)."""
    return {
        "version": SNAPSHOT_VERSION,
        "survey_id": results.survey_id,
        "computed_at": results.computed_at.isoformat(),
        "wards": {code: list(label) for code, label in results.wards.items()},
        "sections": [
            {
                "source": section.source,
                "respondents": _cell_data(section.respondents),
                "weighted": section.weighted,
                "population": section.population,
                "weights": [
                    {
                        "ward": cell.ward,
                        "strata": cell.strata,
                        "population": cell.population,
                        "sample": cell.sample,
                        "weight": cell.weight,
                    }
                    for cell in section.weights
                ],
                "questions": [
                    {
                        "id": q.id,
                        "number": q.number,
                        "kind": q.kind,
                        "text": list(q.text),
                        "total": _cell_data(q.total),
                        "lines": [_line_data(line) for line in q.lines],
                        "mean": q.mean,
                        "median": q.median,
                        "matrix": [
                            {
                                "label": list(row.label),
                                "total": _cell_data(row.total),
                                "points": [_line_data(line) for line in row.points],
                                "mean": row.mean,
                            }
                            for row in q.matrix
                        ],
                        "crosstabs": [
                            {
                                "dimension": tab.dimension,
                                "columns": [
                                    [key, list(label), _cell_data(total)]
                                    for key, label, total in tab.columns
                                ],
                                "rows": [[key, list(label)] for key, label in tab.rows],
                                "cells": [
                                    [key, {c: _cell_data(cell) for c, cell in cells.items()}]
                                    for key, cells in tab.cells.items()
                                ],
                            }
                            for tab in q.crosstabs
                        ],
                        "texts": _texts_data(q.texts),
                        "other_texts": _texts_data(q.other_texts),
                        "note": q.note,
                    }
                    for q in section.questions
                ],
            }
            for section in results.sections
        ],
    }


def from_snapshot(data: dict[str, Any]) -> SurveyResults:
    """The results as `snapshot_data` stored them."""
    sections = []
    for section in data["sections"]:
        questions = [
            QuestionResult(
                id=q["id"],
                number=q["number"],
                kind=q["kind"],
                text=_label(q["text"]),
                total=_cell(q["total"]),
                lines=[_line(line) for line in q["lines"]],
                mean=q["mean"],
                median=q["median"],
                matrix=[
                    MatrixRow(
                        _label(row["label"]),
                        _cell(row["total"]),
                        [_line(line) for line in row["points"]],
                        row["mean"],
                    )
                    for row in q["matrix"]
                ],
                crosstabs=[
                    CrossTab(
                        tab["dimension"],
                        [
                            (key, _label(label), _cell(total))
                            for key, label, total in tab["columns"]
                        ],
                        [(key, _label(label)) for key, label in tab["rows"]],
                        {
                            key: {c: _cell(cell) for c, cell in cells.items()}
                            for key, cells in tab["cells"]
                        },
                    )
                    for tab in q["crosstabs"]
                ],
                texts=_texts(q["texts"]),
                other_texts=_texts(q["other_texts"]),
                note=q["note"],
            )
            for q in section["questions"]
        ]
        sections.append(
            SourceResult(
                section["source"],
                _cell(section["respondents"]),
                section["weighted"],
                section["population"],
                [
                    WeightCell(w["ward"], w["strata"], w["population"], w["sample"], w["weight"])
                    for w in section["weights"]
                ],
                questions,
            )
        )
    return SurveyResults(
        data["survey_id"],
        datetime.fromisoformat(data["computed_at"]),
        sections,
        {code: _label(label) for code, label in data["wards"].items()},
    )


# Presenting: labels per request --------------------------------------------------------------

SUPPRESSED_LABEL = _l("fewer than 10")
NOTES = {"too_few": _l("Fewer than 10 answered: not shown.")}


def tr(label: Label) -> str:
    return label[1] if current_language() == "en" and label[1] else label[0]


def column_label(dimension: str, key: str, label: Label) -> str:
    if dimension == "age_band" and key != UNKNOWN:
        try:
            return str(AgeBand(key).label)
        except ValueError:
            return key
    return tr(label)


def source_label(source: str) -> str:
    return str(Source(source).label)


def count_text(cell: Cell) -> str:
    return str(SUPPRESSED_LABEL) if cell.count is None else f"{cell.count:,}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def points(value: float | None) -> str:
    return "" if value is None else f"±{value:.1f}"


def bars(lines: list[Line], weighted: bool) -> dict[str, Any]:
    """The shares (weighted for the panel) as horizontal bars, 100 % full length; a suppressed
    cell has no bar and says 「10未満」."""

    def shown(line: Line) -> tuple[str, float, str]:
        value = line.cell.weighted_share if weighted else line.cell.share
        text = str(SUPPRESSED_LABEL) if value is None else f"{value:.1f}%"
        return tr(line.label), (value or 0) / 100, text

    return horizontal_bars((shown(line) for line in lines), value_gap=24)


HEADINGS = {
    "share": _l("Share (%)"),
    "margin": _l("Margin of error (± points)"),
    "weighted_share": _l("Weighted share (%)"),
    "weighted_margin": _l("Weighted margin of error (± points)"),
}


# Pages and files ---------------------------------------------------------------------------


def load_survey(survey_id: int) -> Survey | None:
    return db.session.scalar(
        sa.select(Survey)
        .where(Survey.id == survey_id)
        .options(
            selectinload(Survey.questions),
            selectinload(Survey.panel_term),
            selectinload(Survey.department),
            undefer(Survey.results_snapshot),
        )
    )


def published_survey(survey_id: int, loaded: bool = True) -> Survey:
    """A survey whose results are public, or 404: with its questions, panel term, department
    and stored results (`load_survey`), or, not `loaded`, its own row alone."""
    survey = load_survey(survey_id) if loaded else db.session.get(Survey, survey_id)
    if survey is None or survey.results_published_at is None:
        abort(404)
    return survey


def results_key(survey: Survey) -> str:
    """The published results page's version: its stored results change only with the row."""
    return fragment_key("survey-results", survey.id, survey.updated_at.timestamp())


def render_results(survey: Survey, preview: bool = False) -> str:
    """The results page; the staff pages call it with `preview` (before publication: fresh
    figures, every small cell suppressed all the same, marked as a preview)."""
    return render_template(
        "surveys/results.html",
        survey=survey,
        load_results=partial(results_for, survey, fresh=preview),
        # Rendering the tables was two thirds of the page (9 ms of a national panel's): the
        # published page is cached per survey and version, as its stored results change only
        # with the survey row (`updated_at`).
        results_key=None if preview else results_key(survey),
        preview=preview,
        text_groups_shown=TEXT_GROUPS_SHOWN,
        suppress_under=SUPPRESS_UNDER,
        notes=NOTES,
        tr=tr,
        column_label=column_label,
        source_label=source_label,
        count_text=count_text,
        percent=percent,
        points=points,
        bars=bars,
        weight_label=weight_label,
        headings=HEADINGS,
    )


def staff_preview(survey: Survey) -> str:
    """For the staff pages: the results as they would be published (the caller checks that
    the user may manage the survey)."""
    return render_results(survey, preview=True)


@bp.get("/<int:survey_id>/results")
def results(survey_id: int) -> ResponseReturnValue:
    # The survey's own row alone: it names the page's version. Its questions, panel term,
    # department and stored results (32 KB of JSON for a national panel survey) are read only
    # when the page is built, not for each visit served from the cache.
    survey = published_survey(survey_id, loaded=False)
    return versioned_page(results_key(survey), partial(render_results, survey))


# Rows for CSV and XLSX: one table, every figure of every sample ------------------------------

COLUMNS = [
    _l("Section"),
    _l("Sample"),
    _l("Question No."),
    _l("Question asked"),
    _l("Item rated"),
    _l("Answer"),
    _l("Breakdown"),
    _l("Count"),
    HEADINGS["share"],
    HEADINGS["margin"],
    HEADINGS["weighted_share"],
    HEADINGS["weighted_margin"],
    _l("Population"),
    _l("Weighting factor"),
]


def _row(
    section: str,
    source: str,
    q: QuestionResult | None,
    item: str = "",
    answer: str = "",
    breakdown: str = "",
    cell: Cell | None = None,
    population: Any = "",
    weight: Any = "",
    value: Any = None,
) -> list[Any]:
    count: Any = ""
    if cell is not None:
        count = str(SUPPRESSED_LABEL) if cell.count is None else cell.count
    elif value is not None:
        count = value
    return [
        section,
        source,
        q.number if q else "",
        tr(q.text) if q else "",
        item,
        answer,
        breakdown,
        count,
        cell.share if cell and cell.share is not None else "",
        cell.margin if cell and cell.margin is not None else "",
        cell.weighted_share if cell and cell.weighted_share is not None else "",
        cell.weighted_margin if cell and cell.weighted_margin is not None else "",
        population,
        weight,
    ]


def export_rows(survey: Survey, results: SurveyResults) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for section in results.sections:
        source = source_label(section.source)
        rows.append(
            _row(
                _("Respondents"),
                source,
                None,
                cell=section.respondents,
                population=section.population or "",
            )
        )
        for cell in section.weights:
            rows.append(
                _row(
                    _("Weights"),
                    source,
                    None,
                    item=weight_label(cell, results),
                    value=cell.sample,
                    population=cell.population,
                    weight=round(cell.weight, 4),
                )
            )
        for q in section.questions:
            rows.append(_row(_("Respondents to the question"), source, q, cell=q.total))
            for line in q.lines:
                rows.append(_row(_("Answers"), source, q, answer=tr(line.label), cell=line.cell))
            if q.mean is not None:
                rows.append(_row(_("Mean"), source, q, value=q.mean))
            if q.median is not None:
                rows.append(_row(_("Median"), source, q, value=q.median))
            for row in q.matrix:
                rows.append(
                    _row(
                        _("Respondents to the item"), source, q, item=tr(row.label), cell=row.total
                    )
                )
                for line in row.points:
                    rows.append(
                        _row(
                            _("Answers"),
                            source,
                            q,
                            item=tr(row.label),
                            answer=tr(line.label),
                            cell=line.cell,
                        )
                    )
                if row.mean is not None:
                    rows.append(_row(_("Mean"), source, q, item=tr(row.label), value=row.mean))
            for tab in q.crosstabs:
                title = _("By ward") if tab.dimension == "ward" else _("By age band")
                for key, label, total in tab.columns:
                    name = column_label(tab.dimension, key, label)
                    rows.append(_row(title, source, q, breakdown=name, cell=total))
                    for option, option_label in tab.rows:
                        rows.append(
                            _row(
                                title,
                                source,
                                q,
                                answer=tr(option_label),
                                breakdown=name,
                                cell=tab.cells[option][key],
                            )
                        )
            for title, groups in ((_("Free answers"), q.texts), (_("Other"), q.other_texts)):
                for text_group in groups:
                    rows.append(
                        _row(
                            title,
                            source,
                            q,
                            answer=text_group.text,
                            value=group_size_text(text_group),
                        )
                    )
    return rows


def group_size_text(text_group: TextGroup) -> Any:
    """How many answered alike: from SUPPRESS_UNDER on the number, under it 「10未満」 (one
    answer alone: 1, which says nothing about anyone else)."""
    if text_group.size is None or (text_group.size < SUPPRESS_UNDER and text_group.size != 1):
        return str(SUPPRESSED_LABEL)
    return text_group.size


def weight_label(cell: WeightCell, results: SurveyResults) -> str:
    """「中央区 20–29, 30–39」: the ward and the age bands a weighting cell covers."""
    parts = []
    for key in cell.strata:
        ward, _sep, band = key.partition("|")
        ward_name = tr(results.wards.get(ward, (ward, ward)))
        parts.append(f"{ward_name} {column_label('age_band', band, (band, band))}")
    return ", ".join(parts)


def _filename(survey: Survey, extension: str) -> str:
    return f"sankaku-survey-{survey.id}-results.{extension}"


@bp.get("/<int:survey_id>/results.csv")
def results_csv(survey_id: int) -> ResponseReturnValue:
    survey = published_survey(survey_id)
    results = results_for(survey)
    return csv_response(
        [str(c) for c in COLUMNS], export_rows(survey, results), _filename(survey, "csv")
    )


@bp.get("/<int:survey_id>/results.xlsx")
def results_xlsx(survey_id: int) -> ResponseReturnValue:
    """One printable sheet: the title, the columns' headings, every figure of every sample."""
    survey = published_survey(survey_id)
    results = results_for(survey)
    title = _("Survey results: %(title)s", title=survey.tr("title"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    append_row(sheet, [title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    append_row(sheet, [str(c) for c in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP_TOP
    for row in export_rows(survey, results):
        append_row(sheet, row)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = WRAP_TOP
    fit_column_widths(sheet, header_row=2)
    fit_row_heights(sheet, first_row=2)
    sheet.freeze_panes = "A3"
    print_layout(sheet, "2:2", running_head=title)
    return xlsx_file(workbook, _filename(survey, "xlsx"))


# JSON (the results file and the API) -----------------------------------------------------------


def cell_json(cell: Cell) -> dict[str, Any]:
    return {
        "count": cell.count,
        "suppressed": cell.count is None,
        "display": count_text(cell),
        "share": cell.share,
        "margin": cell.margin,
        "weighted_share": cell.weighted_share,
        "weighted_margin": cell.weighted_margin,
    }


def text_json(text_group: TextGroup) -> dict[str, Any]:
    """A group of similar answers: how many (None when 2 to 9, suppressed as any count)."""
    size = group_size_text(text_group)
    return {
        "text": text_group.text,
        "similar": size if isinstance(size, int) else None,
        "suppressed": not isinstance(size, int),
    }


def _label_json(label: Label) -> dict[str, str]:
    return {"ja": label[0], "en": label[1]}


def results_json_data(survey: Survey, results: SurveyResults) -> dict[str, Any]:
    sections = []
    for section in results.sections:
        questions = []
        for q in section.questions:
            questions.append(
                {
                    "id": q.id,
                    "number": q.number,
                    "kind": q.kind,
                    "text": _label_json(q.text),
                    "respondents": cell_json(q.total),
                    "answers": [
                        {
                            "value": line.key,
                            "label": _label_json(line.label),
                            **cell_json(line.cell),
                        }
                        for line in q.lines
                    ],
                    "mean": q.mean,
                    "median": q.median,
                    "items": [
                        {
                            "label": _label_json(row.label),
                            "respondents": cell_json(row.total),
                            "mean": row.mean,
                            "answers": [
                                {
                                    "value": line.key,
                                    "label": _label_json(line.label),
                                    **cell_json(line.cell),
                                }
                                for line in row.points
                            ],
                        }
                        for row in q.matrix
                    ],
                    "crosstabs": [
                        {
                            "by": tab.dimension,
                            "columns": [
                                {"key": key, "respondents": cell_json(total)}
                                for key, _label, total in tab.columns
                            ],
                            "rows": [
                                {
                                    "value": option,
                                    "cells": {
                                        key: cell_json(tab.cells[option][key])
                                        for key, _label, _total in tab.columns
                                    },
                                }
                                for option, _label in tab.rows
                            ],
                        }
                        for tab in q.crosstabs
                    ],
                    "texts": [text_json(g) for g in q.texts],
                    "other_texts": [text_json(g) for g in q.other_texts],
                }
            )
        sections.append(
            {
                "source": section.source,
                "respondents": cell_json(section.respondents),
                "weighted": section.weighted,
                "population": section.population,
                "weights": [
                    {
                        "strata": cell.strata,
                        "population": cell.population,
                        "sample": cell.sample,
                        "weight": round(cell.weight, 6),
                    }
                    for cell in section.weights
                ],
                "questions": questions,
            }
        )
    term = survey.panel_term
    return {
        "survey": survey.id,
        "title": {"ja": survey.title_ja, "en": survey.title_en},
        "results_published_at": survey.results_published_at.isoformat()
        if survey.results_published_at
        else None,
        "afterwards": {"ja": survey.afterwards_ja, "en": survey.afterwards_en},
        "suppressed_under": SUPPRESS_UNDER,
        "weights_source": term.population_source if term else "",
        "sections": sections,
        "url": url_for("surveys.results", survey_id=survey.id, _external=True),
    }


@bp.get("/<int:survey_id>/results.json")
def results_json(survey_id: int) -> ResponseReturnValue:
    survey = published_survey(survey_id)
    return jsonify(results_json_data(survey, results_for(survey)))


def published_on(survey: Survey) -> Any:
    return to_jst(survey.results_published_at).date() if survey.results_published_at else None
