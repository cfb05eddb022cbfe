"""The rule table of agreement input: every rule an agreement entry keeps, written once.

`FIELDS` says how each column (CSV) or key (YAML) is read: its kind of field (ledger.io.fields) and
whether it must be given. `RULES` are the rules that tie fields together, each with the column its
problem names, a check over whole columns (numpy, on `Rows`) and the text of what was expected.
ledger.io.agreement_input runs the table over the entries of a file, CSV rows and YAML entries alike:
fields first, a distinct value at a time; then the rules, on the entries whose every field was read,
in the order of the table; a rule with `unless` is not checked where one of those rules has failed
(a term that ends before it starts is not also checked against its months).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from ledger.domain.agreements import (
    KINDS_PAID_AT_ONCE,
    Basis,
    Confidence,
    Kind,
    Profile,
    Qualifier,
    RelationKind,
    Status,
)
from ledger.domain.dates import LAST_DAY, add_months_array, contract_years
from ledger.domain.money import Amounts, format_minor, parse_amounts, split_by_weights_array
from ledger.domain.spend import MinimumPeriod
from ledger.io.fields import (
    Field,
    ListField,
    Record,
    assumptions,
    choice,
    currency,
    date,
    decimal,
    json_objects,
    key,
    label,
    name,
    text,
    url,
    whole_number,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]
DateArray = npt.NDArray[np.datetime64]

_DAY = np.timedelta64(1, "D")


def objects(values: Iterable[object]) -> ObjectArray:
    """An array of objects, each kept as it is (numpy would make a list of tuples a 2-D array)."""
    items = list(values)
    return np.fromiter(items, dtype=object, count=len(items))


RELATION = Record("RelationRecord", (Field("kind", choice(RelationKind), True), Field("to", key, True)))
SOURCE = Record("SourceRecord", (Field("url", url, True), Field("title", label), Field("date", date)))
TRANCHE = Record(
    "TrancheRecord", (Field("start_date", date, True), Field("end_date", date, True), Field("amount", decimal, True))
)

# The columns of an agreement file, in the order of an import record (and of the problems of an entry).
FIELDS: tuple[Field | ListField, ...] = (
    Field("agreement_id", key, required=True),
    Field("kind", choice(Kind), required=True),
    Field("payer", name, required=True),
    Field("payee", name, required=True),
    Field("amount", decimal),
    Field("currency", currency, required=True),
    Field("start_date", date, required=True),
    Field("term_months", whole_number(gt=0, le=1200)),
    Field("end_date", date),  # the term's last day
    Field("profile", choice(Profile)),
    Field("basis", choice(Basis)),
    Field("amount_qualifier", choice(Qualifier)),
    Field("status", choice(Status)),
    Field("confidence", choice(Confidence)),
    Field("resource", label),
    Field("announced_on", date),
    Field("participants", text),
    Field("notes", text),
    Field("assumptions", assumptions),
    Field("relation_to", key),  # one relation, as two columns
    Field("relation_kind", choice(RelationKind)),
    ListField("relations", RELATION, json_objects("kind, to", '[{"kind": "additional", "to": "OAI-AWS-2025-11"}]')),
    Field("source_url", url),  # one source, as three columns
    Field("source_title", label),
    Field("source_date", date),
    ListField(
        "sources",
        SOURCE,
        json_objects(
            "url, title, date", '[{"url": "https://example.com/a", "title": "A report", "date": "2026-01-05"}]'
        ),
    ),
    ListField("tranche_amounts", decimal),  # one per contract year: `60.00;40.00`
    ListField(
        "tranches",
        TRANCHE,
        json_objects(
            "start_date, end_date, amount",
            '[{"start_date": "2026-01-01", "end_date": "2026-12-31", "amount": "100.00"}]',
        ),
    ),
    ListField("ramp_weights", whole_number(ge=0)),  # one per contract year: `1;2;3`
    Field("chip_family", label),
    Field("quantity", decimal),
    Field("unit", label),
    Field("minimum_amount", decimal),
    Field("minimum_period", choice(MinimumPeriod)),
)
DEFAULTS = {"profile": Profile.STRAIGHT_LINE.value, "basis": Basis.MONTHLY.value, "status": Status.ANNOUNCED.value}

INPUT_COLUMNS = tuple(field.name for field in FIELDS)  # the columns an agreement file may have
REQUIRED_AGREEMENT_COLUMNS = tuple(field.name for field in FIELDS if isinstance(field, Field) and field.required)
# The keys of a lossless agreement record (AgreementBatch.to_records) and the columns of the lossless CSV
# export: every field but the one-item shorthands of `relations` and `sources`, and `tranche_amounts`
# (tranches are written dated).
SHORTHAND_COLUMNS = ("relation_to", "relation_kind", "source_url", "source_title", "source_date", "tranche_amounts")
RECORD_COLUMNS = tuple(column for column in INPUT_COLUMNS if column not in SHORTHAND_COLUMNS)


# -- the entries as the rules see them ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadColumn:
    """One column of the entries, read: row i holds `values[codes[i]]` (None: not given), as written `cells[...]`."""

    codes: npt.NDArray[np.intp]
    values: ObjectArray  # per distinct cell: the value read (a tuple for a list)
    cells: ObjectArray  # per distinct cell: as written

    def take(self, rows: IntArray) -> ReadColumn:
        return ReadColumn(self.codes[rows], self.values, self.cells)


@dataclass(frozen=True)
class Items:
    """The items of a list column: item i is `value[i]`, position `position[i]` in the list of row `owner[i]`."""

    owner: IntArray
    position: IntArray
    value: ObjectArray

    def field(self, index: int) -> ObjectArray:
        """One field of record items (a relation's `to`)."""
        return objects(item[index] for item in self.value.tolist())


class Rows:
    """The entries whose every field was read, one array per column, and what the rules derive from them."""

    def __init__(self, columns: Mapping[str, ReadColumn]) -> None:
        self.columns = columns
        self.n = len(next(iter(columns.values())).codes)
        self._cache: dict[tuple[str, str], npt.NDArray[Any]] = {}

    def _per_row(self, column: str, what: str, convert: Callable[[list[Any]], npt.NDArray[Any]]) -> npt.NDArray[Any]:
        """`convert` of the column's distinct values, per row (computed once)."""
        if (column, what) not in self._cache:
            read = self.columns[column]
            self._cache[column, what] = convert(read.values.tolist())[read.codes]
        return self._cache[column, what]

    def value(self, column: str) -> ObjectArray:
        """What was read, per row (None where not given; a column's default where it has one)."""
        default = DEFAULTS.get(column)
        return self._per_row(column, "value", lambda v: objects(default if x is None else x for x in v))

    def given(self, column: str) -> BoolArray:
        return self._per_row(column, "given", lambda v: np.array([x is not None for x in v], dtype=bool))

    def days(self, column: str) -> DateArray:
        return self._per_row(column, "days", lambda v: np.array(v, dtype="datetime64[D]"))

    def numbers(self, column: str) -> IntArray:
        return self._per_row(column, "numbers", lambda v: np.array([x or 0 for x in v], dtype=np.int64))

    def cell(self, column: str, rows: IntArray) -> list[object]:
        """The cells as written, for messages."""
        read = self.columns[column]
        cells: list[object] = read.cells[read.codes[rows]].tolist()
        return cells

    def items(self, column: str) -> Items:
        """The items of a list column, in row and list order."""
        read = self.columns[column]
        lengths_u = np.array([0 if v is None else len(v) for v in read.values.tolist()], dtype=np.int64)
        flat_u = objects([item for v in read.values.tolist() if v is not None for item in v] + [None])
        starts_u = np.cumsum(lengths_u) - lengths_u
        lengths = lengths_u[read.codes]
        owner = np.repeat(np.arange(self.n, dtype=np.int64), lengths)
        position = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return Items(owner, position, flat_u[:-1][starts_u[read.codes][owner] + position])

    def of(self, column: str, value: str) -> BoolArray:
        return np.asarray(self.value(column) == value, dtype=bool)

    # -- amounts

    @cached_property
    def currency(self) -> ObjectArray:
        return self.value("currency")

    @cached_property
    def amounts(self) -> Amounts:
        """The amount in the currency's minor units, where one is given."""
        return self.in_currency("amount")

    @cached_property
    def amount_ok(self) -> BoolArray:
        return self.given("amount") & self.amounts.ok

    def in_currency(self, column: str) -> Amounts:
        given = self.given(column)
        minor = np.zeros(self.n, dtype=np.int64)
        problem = np.full(self.n, None, dtype=object)
        if given.any():
            parsed = parse_amounts(self.value(column)[given], self.currency[given])
            minor[given], problem[given] = parsed.minor, parsed.problem
        return Amounts(minor, problem)

    # -- the term

    @cached_property
    def start(self) -> DateArray:
        return self.days("start_date")

    @cached_property
    def end(self) -> DateArray:
        return self.days("end_date")

    @cached_property
    def months(self) -> IntArray:
        return self.numbers("term_months")

    @cached_property
    def months_end(self) -> DateArray:
        """start + term_months (the term's end, exclusive), where term_months is given."""
        return add_months_array(self.start, self.months)

    @cached_property
    def term_end(self) -> DateArray:
        """The end of the term (exclusive): by term_months, else the day after end_date, else the day after the
        start (paid at once)."""
        by_end = np.where(self.given("end_date"), self.end + _DAY, self.start + _DAY)
        return np.where(self.given("term_months"), self.months_end, by_end)

    @cached_property
    def years(self) -> IntArray:
        """How many contract years the term has (for tranches and ramps; 0 for the others)."""
        return np.bincount(self.contract_years[0], minlength=self.n).astype(np.int64)

    @cached_property
    def contract_years(self) -> tuple[IntArray, IntArray, DateArray, DateArray]:
        """The contract years of the sliced rows' terms (row, year, start, end)."""
        rows = np.flatnonzero(self.sliced & (self.term_end > self.start))
        owner, j, begins, ends = contract_years(self.start[rows], self.term_end[rows])
        return rows[owner], j, begins, ends

    # -- profiles

    @cached_property
    def sliced(self) -> BoolArray:
        return self.of("profile", Profile.TRANCHES.value) | self.of("profile", Profile.RAMP.value)

    @cached_property
    def year_amounts(self) -> tuple[Items, Amounts]:
        """tranche_amounts: one amount per contract year, in the row's currency."""
        items = self.items("tranche_amounts")
        return items, parse_amounts(items.value, self.currency[items.owner])

    @cached_property
    def dated(self) -> _Dated:
        return _Dated.of(self)

    @cached_property
    def weights(self) -> tuple[IntArray, ObjectArray]:
        """The ramp weights of each ramp row (given, else 1, 2, ... n): (row, weight)."""
        items = self.items("ramp_weights")
        ramps = self.of("profile", Profile.RAMP.value)
        given = ramps[items.owner]
        linear_rows = np.flatnonzero(ramps & ~self.given("ramp_weights"))
        counts = self.years[linear_rows]
        owner = np.repeat(linear_rows, counts)
        linear = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts) + 1
        rows = np.concatenate([items.owner[given], owner])
        weights = np.concatenate([items.value[given], linear.astype(object)])
        order = np.argsort(rows, kind="stable")
        return rows[order], weights[order]

    def sums(self, owner: IntArray, amounts: ObjectArray | IntArray) -> ObjectArray:
        """Exact sums per row (Python integers: a thousand amounts of 10^17 pass int64)."""
        out = np.zeros(self.n, dtype=object)
        np.add.at(out, owner, np.asarray(amounts, dtype=object))
        return out


def _first(owner: IntArray, failing: BoolArray, n: int) -> IntArray:
    """Per row, the index of its first failing item (-1 where none fails); items are in row order."""
    first = np.full(n, -1, dtype=np.int64)
    at = np.flatnonzero(failing)
    rows, index = np.unique(owner[at], return_index=True)
    first[rows] = at[index]
    return first


@dataclass(frozen=True)
class _Dated:
    """Dated tranches (`tranches`) of the rows that have them, sorted by start, and what is wrong with them."""

    owner: IntArray  # sorted by row, then start, then position
    start: DateArray
    end: DateArray  # exclusive
    minor: IntArray
    amount_problem: ObjectArray  # per row: the first tranche amount the currency cannot hold
    overlap: ObjectArray  # per row: the first two tranches that overlap
    part: ObjectArray  # per row: the first tranche that ends before it starts, or lies outside the term
    total: ObjectArray  # per row: the sum of the tranches

    @classmethod
    def of(cls, rows: Rows) -> _Dated:
        items = rows.items("tranches")
        n = rows.n
        start = np.array([item[0] for item in items.value.tolist()], dtype="datetime64[D]")
        end = np.asarray(
            np.array([item[1] for item in items.value.tolist()], dtype="datetime64[D]") + _DAY, "datetime64[D]"
        )
        amounts = parse_amounts(items.field(2), rows.currency[items.owner])
        amount_problem = np.full(n, None, dtype=object)
        first = _first(items.owner, ~amounts.ok, n)
        amount_problem[first >= 0] = amounts.problem[first[first >= 0]]
        order = np.lexsort((items.position, start, items.owner))
        owner, start, end, minor = items.owner[order], start[order], end[order], amounts.minor[order]
        follows = np.r_[False, owner[1:] == owner[:-1]]
        overlaps = follows & (start < np.r_[end[:1], end[:-1]])
        overlap = np.full(n, None, dtype=object)
        for row, i in _firsts(owner, overlaps):
            overlap[row] = f"tranches that do not overlap ({start[i - 1]}..{start[i]})"
        backwards = end <= start
        outside = (start < rows.start[owner]) | (end > rows.term_end[owner])
        part = np.full(n, None, dtype=object)
        for row, i in _firsts(owner, backwards | outside):
            within = f"tranches within the term {rows.start[row]} .. {rows.term_end[row] - _DAY}"
            part[row] = f"a tranche that ends after it starts ({start[i]})" if backwards[i] else within
        return cls(owner, start, end, minor, amount_problem, overlap, part, rows.sums(owner, minor))


def _firsts(owner: IntArray, failing: BoolArray) -> list[tuple[int, int]]:
    """(row, index of its first failing item) for the rows with one; items sorted by row."""
    at = np.flatnonzero(failing)
    rows, index = np.unique(owner[at], return_index=True)
    return list(zip(rows.tolist(), at[index].tolist(), strict=True))


# -- the rules that tie fields together ---------------------------------------------------------------------

Expected = str | Callable[[Rows, IntArray], Sequence[str]]


@dataclass(frozen=True)
class Rule:
    """One rule of an entry: `fails` marks the rows that break it; their problem names `column`, quotes
    the cell as written (or the value read, with `quote_value`) and says what was `expected`."""

    name: str
    column: str
    fails: Callable[[Rows], BoolArray]
    expected: Expected
    unless: tuple[str, ...] = ()  # rules checked before: where one failed, this one is not checked
    quote_value: bool = False


@dataclass(frozen=True)
class EachRule:
    """A rule of the items of a list: every failing item is a problem, quoting what `failing` returns."""

    name: str
    column: str
    failing: Callable[[Rows], tuple[IntArray, Sequence[object]]]  # (row, value quoted) per failing item
    expected: str


def _per_row(texts: Callable[[Rows], ObjectArray]) -> Callable[[Rows, IntArray], Sequence[str]]:
    return lambda rows, at: texts(rows)[at].tolist()


def _texts_given(texts: Callable[[Rows], ObjectArray]) -> Callable[[Rows], BoolArray]:
    return lambda rows: np.array([t is not None for t in texts(rows).tolist()], dtype=bool)


def _day(day: np.datetime64) -> str:
    return str(np.datetime_as_string(day, unit="D"))


# amount and qualifier


def _qualifier_needs_amount(rows: Rows, at: IntArray) -> list[str]:
    return [f"an amount, since amount_qualifier is {q}" for q in rows.value("amount_qualifier")[at].tolist()]


def _undisclosed(rows: Rows) -> BoolArray:
    return rows.of("amount_qualifier", Qualifier.UNDISCLOSED.value)


# the term


def _last_by_months(rows: Rows) -> DateArray:
    return rows.months_end - _DAY


def _end_before_start(rows: Rows, at: IntArray) -> list[str]:
    return [f"a last day on or after start_date {_day(d)}" for d in rows.start[at]]


def _term_past_last_day(rows: Rows, at: IntArray) -> list[str]:
    last = _last_by_months(rows)[at]
    return [
        f"a term that ends by {LAST_DAY} (from {_day(s)}, {m} months end on {_day(e)})"
        for s, m, e in zip(rows.start[at], rows.months[at].tolist(), last, strict=True)
    ]


def _end_not_months(rows: Rows, at: IntArray) -> list[str]:
    last = _last_by_months(rows)[at]
    return [
        f"{_day(e)}, the last day of {m} months from {_day(s)} (or give only one of them)"
        for s, m, e in zip(rows.start[at], rows.months[at].tolist(), last, strict=True)
    ]


_TERM = ("end_before_start", "term_past_last_day", "end_not_months", "term_needed")


# relations


def _relations_to_themselves(rows: Rows) -> tuple[IntArray, list[object]]:
    """Relations (a list, then the two columns) whose target is the agreement itself."""
    listed = rows.items("relations")
    targets = listed.field(1)
    paired = np.flatnonzero(rows.given("relation_to") & rows.given("relation_kind"))
    owner = np.concatenate([listed.owner, paired])
    target = np.concatenate([targets, rows.value("relation_to")[paired]])
    order = np.argsort(owner, kind="stable")
    owner, target = owner[order], target[order]
    own = target == rows.value("agreement_id")[owner]
    return owner[own], target[own].tolist()


# slices: tranches and ramps


def _lists_on_straight_line(column: str) -> Rule:
    return Rule(
        f"{column}_on_straight_line",
        column,
        lambda rows: rows.of("profile", Profile.STRAIGHT_LINE.value) & rows.given(column),
        "no tranches or ramp weights for profile straight_line (or set profile)",
        unless=_TERM,
    )


def _tranches_of(rows: Rows) -> BoolArray:
    """Rows whose slices are checked: a tranches or ramp profile, with an amount in the currency."""
    return rows.sliced & rows.amount_ok


def _ramp(rows: Rows) -> BoolArray:
    return _tranches_of(rows) & rows.of("profile", Profile.RAMP.value)


def _dated(rows: Rows) -> BoolArray:
    return _tranches_of(rows) & rows.of("profile", Profile.TRANCHES.value) & rows.given("tranches")


def _by_year(rows: Rows) -> BoolArray:
    tranches = _tranches_of(rows) & rows.of("profile", Profile.TRANCHES.value)
    return tranches & ~rows.given("tranches") & rows.given("tranche_amounts")


def _weight_counts(rows: Rows) -> IntArray:
    return np.bincount(rows.items("ramp_weights").owner, minlength=rows.n).astype(np.int64)


def _weights_sum_to_zero(rows: Rows) -> BoolArray:
    items = rows.items("ramp_weights")
    return np.asarray(rows.sums(items.owner, items.value) == 0, dtype=bool)


def _year_amount_problem(rows: Rows) -> ObjectArray:
    items, amounts = rows.year_amounts
    first = _first(items.owner, ~amounts.ok, rows.n)
    out = np.full(rows.n, None, dtype=object)
    out[first >= 0] = amounts.problem[first[first >= 0]]
    return out


def _year_amount_counts(rows: Rows) -> IntArray:
    return np.bincount(rows.year_amounts[0].owner, minlength=rows.n).astype(np.int64)


def _year_amounts_sum(rows: Rows) -> ObjectArray:
    items, amounts = rows.year_amounts
    return rows.sums(items.owner, amounts.minor)


def _sums_to_amount(sums: Callable[[Rows], ObjectArray]) -> Callable[[Rows, IntArray], list[str]]:
    def expected(rows: Rows, at: IntArray) -> list[str]:
        totals, scheduled, currencies = rows.amounts.minor[at].tolist(), sums(rows)[at].tolist(), rows.currency[at]
        return [
            f"tranches summing to the amount {format_minor(t, c)}, not {format_minor(s, c)}"
            for t, s, c in zip(totals, scheduled, currencies, strict=True)
        ]

    return expected


def _count_per_year(what: str) -> Callable[[Rows, IntArray], list[str]]:
    return lambda rows, at: [what.format(n=n) for n in rows.years[at].tolist()]


# capacity and minimum


def _minimum_given(rows: Rows) -> BoolArray:
    return rows.given("minimum_amount") & rows.given("minimum_period")


RULES: tuple[Rule | EachRule, ...] = (
    Rule(
        "amount_in_currency",
        "amount",
        lambda rows: rows.given("amount") & ~rows.amounts.ok,
        _per_row(lambda rows: rows.amounts.problem),
        quote_value=True,
    ),
    Rule(  # a blank left by a slip must not vanish from totals
        "amount_blank",
        "amount",
        lambda rows: ~rows.given("amount") & ~rows.given("amount_qualifier"),
        "an amount, or amount_qualifier undisclosed for a deal whose amount is not known",
    ),
    Rule(
        "amount_for_qualifier",
        "amount",
        lambda rows: ~rows.given("amount") & rows.given("amount_qualifier") & ~_undisclosed(rows),
        _qualifier_needs_amount,
    ),
    Rule(
        "qualifier_with_amount",
        "amount_qualifier",
        lambda rows: rows.given("amount") & _undisclosed(rows),
        "a qualifier other than undisclosed, since an amount is given",
    ),
    Rule(
        "payee_not_payer",
        "payee",
        lambda rows: np.asarray(rows.value("payer") == rows.value("payee"), dtype=bool),
        "a payee different from the payer",
    ),
    Rule(
        "end_before_start", "end_date", lambda rows: rows.given("end_date") & (rows.end < rows.start), _end_before_start
    ),
    Rule(
        "term_past_last_day",
        "term_months",
        lambda rows: rows.given("term_months") & (_last_by_months(rows) > np.datetime64(LAST_DAY, "D")),
        _term_past_last_day,
        unless=("end_before_start",),
    ),
    Rule(
        "end_not_months",
        "end_date",
        lambda rows: rows.given("term_months") & rows.given("end_date") & (rows.end != _last_by_months(rows)),
        _end_not_months,
        unless=("end_before_start", "term_past_last_day"),
    ),
    Rule(
        "term_needed",
        "term_months",
        lambda rows: (
            ~rows.given("term_months")
            & ~rows.given("end_date")
            & ~np.isin(rows.value("kind"), [k.value for k in KINDS_PAID_AT_ONCE])
        ),
        "term_months or end_date (the term's last day): a commitment needs a term",
    ),
    Rule(
        "relation_kind_missing",
        "relation_kind",
        lambda rows: rows.given("relation_to") & ~rows.given("relation_kind"),
        "relation_to and relation_kind together, or neither",
    ),
    Rule(
        "relation_to_missing",
        "relation_to",
        lambda rows: rows.given("relation_kind") & ~rows.given("relation_to"),
        "relation_to and relation_kind together, or neither",
    ),
    EachRule(
        "relation_to_itself", "relation_to", _relations_to_themselves, "a relation to another agreement, not to itself"
    ),
    _lists_on_straight_line("tranche_amounts"),
    _lists_on_straight_line("tranches"),
    _lists_on_straight_line("ramp_weights"),
    Rule(
        "sliced_undisclosed",
        "profile",
        lambda rows: rows.sliced & ~rows.given("amount"),
        "profile straight_line when the amount is undisclosed",
        unless=_TERM,
    ),
    Rule(
        "ramp_with_tranches",
        "tranches",
        lambda rows: _ramp(rows) & (rows.given("tranche_amounts") | rows.given("tranches")),
        "ramp_weights (not tranches) for profile ramp",
        unless=_TERM,
    ),
    Rule(
        "ramp_weight_count",
        "ramp_weights",
        lambda rows: _ramp(rows) & rows.given("ramp_weights") & (_weight_counts(rows) != rows.years),
        _count_per_year("{n} ramp weights, one per contract year"),
        unless=(*_TERM, "ramp_with_tranches"),
    ),
    Rule(
        "ramp_weight_sum",
        "ramp_weights",
        lambda rows: _ramp(rows) & rows.given("ramp_weights") & _weights_sum_to_zero(rows),
        "non-negative weights with a positive sum",
        unless=(*_TERM, "ramp_with_tranches", "ramp_weight_count"),
    ),
    Rule(
        "tranche_in_currency",
        "tranches",
        lambda rows: _dated(rows) & _texts_given(lambda r: r.dated.amount_problem)(rows),
        _per_row(lambda rows: rows.dated.amount_problem),
        unless=_TERM,
    ),
    Rule(
        "tranches_overlap",
        "tranches",
        lambda rows: _dated(rows) & _texts_given(lambda r: r.dated.overlap)(rows),
        _per_row(lambda rows: rows.dated.overlap),
        unless=(*_TERM, "tranche_in_currency"),
    ),
    Rule(
        "tranche_outside",
        "tranches",
        lambda rows: _dated(rows) & _texts_given(lambda r: r.dated.part)(rows),
        _per_row(lambda rows: rows.dated.part),
        unless=(*_TERM, "tranche_in_currency", "tranches_overlap"),
    ),
    Rule(
        "tranches_sum",
        "tranches",
        lambda rows: _dated(rows) & np.asarray(rows.dated.total != rows.amounts.minor, dtype=bool),
        _sums_to_amount(lambda rows: rows.dated.total),
        unless=(*_TERM, "tranche_in_currency", "tranches_overlap", "tranche_outside"),
    ),
    Rule(
        "year_amount_in_currency",
        "tranche_amounts",
        lambda rows: _by_year(rows) & _texts_given(_year_amount_problem)(rows),
        _per_row(_year_amount_problem),
        unless=_TERM,
    ),
    Rule(
        "year_amount_count",
        "tranche_amounts",
        lambda rows: _by_year(rows) & (_year_amount_counts(rows) != rows.years),
        _count_per_year("{n} contract-year amounts for a term of {n} contract years"),
        unless=(*_TERM, "year_amount_in_currency"),
    ),
    Rule(
        "year_amounts_sum",
        "tranche_amounts",
        lambda rows: _by_year(rows) & np.asarray(_year_amounts_sum(rows) != rows.amounts.minor, dtype=bool),
        _sums_to_amount(_year_amounts_sum),
        unless=(*_TERM, "year_amount_in_currency", "year_amount_count"),
    ),
    Rule(
        "tranches_needed",
        "tranche_amounts",
        lambda rows: (
            _tranches_of(rows)
            & rows.of("profile", Profile.TRANCHES.value)
            & ~rows.given("tranches")
            & ~rows.given("tranche_amounts")
        ),
        "tranche_amounts (one per contract year) or dated tranches",
        unless=_TERM,
    ),
    Rule(
        "unit_missing",
        "unit",
        lambda rows: rows.given("quantity") & ~rows.given("unit"),
        "quantity and unit together",
    ),
    Rule(
        "quantity_missing",
        "quantity",
        lambda rows: rows.given("unit") & ~rows.given("quantity"),
        "quantity and unit together",
    ),
    Rule(
        "minimum_period_missing",
        "minimum_period",
        lambda rows: rows.given("minimum_amount") & ~rows.given("minimum_period"),
        "minimum_amount and minimum_period together, or neither",
    ),
    Rule(
        "minimum_amount_missing",
        "minimum_amount",
        lambda rows: rows.given("minimum_period") & ~rows.given("minimum_amount"),
        "minimum_amount and minimum_period together, or neither",
    ),
    Rule(
        "minimum_on_commitment",
        "minimum_amount",
        lambda rows: (
            _minimum_given(rows)
            & ~np.isin(rows.value("kind"), [Kind.CLOUD_COMMITMENT.value, Kind.CHIP_AGREEMENT.value])
        ),
        "a minimum only on a cloud_commitment or chip_agreement",
    ),
    Rule(
        "minimum_in_currency",
        "minimum_amount",
        lambda rows: _minimum_given(rows) & ~rows.in_currency("minimum_amount").ok,
        _per_row(lambda rows: rows.in_currency("minimum_amount").problem),
        quote_value=True,
    ),
)


def slices(rows: Rows, keep: BoolArray) -> dict[str, npt.NDArray[Any]]:
    """The slices of the kept tranches and ramp rows (whose every rule holds): row, start, end (exclusive),
    amount and ramp weight, by row and then start."""
    year_rows, _, begins, ends = rows.contract_years
    ramp = rows.of("profile", Profile.RAMP.value)
    by_year = rows.of("profile", Profile.TRANCHES.value) & ~rows.given("tranches")
    in_years = keep[year_rows] & (ramp | by_year)[year_rows]
    # A kept row has as many weights or amounts as contract years: they pair in order.
    owner, weight = rows.weights
    weight = weight[keep[owner]]
    split = split_by_weights_array(rows.amounts.minor.astype(object), weight, owner[keep[owner]])
    items, parsed = rows.year_amounts
    listed = keep[items.owner] & by_year[items.owner]
    amounts = np.zeros(int(in_years.sum()), dtype=object)
    weights = np.full(len(amounts), None, dtype=object)
    year_ramp = ramp[year_rows[in_years]]
    amounts[year_ramp], weights[year_ramp] = split, weight
    amounts[~year_ramp] = parsed.minor[listed].astype(object)
    dated = rows.dated
    kept = keep[dated.owner]
    row = np.concatenate([year_rows[in_years], dated.owner[kept]])
    start = np.concatenate([begins[in_years], dated.start[kept]])
    order = np.lexsort((start, row))
    return {
        "row": row[order],
        "start": start[order],
        "end": np.concatenate([ends[in_years], dated.end[kept]])[order],
        "amount": np.concatenate([amounts, dated.minor[kept].astype(object)])[order],
        "weight": np.concatenate([weights, np.full(int(kept.sum()), None, dtype=object)])[order],
    }
