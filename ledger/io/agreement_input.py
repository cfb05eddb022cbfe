"""Agreement entries (CSV rows, YAML entries, in-memory records) through the rule table into a batch.

Entries become columns of cells as written; each field of the table (ledger.io.agreement_rules) is
read a distinct cell at a time, and its rules then run over whole columns. An entry that breaks a
rule gets one problem per broken rule, located (`file:line: column: got X, expected Y`); the
others make the batch, built column by column as the importer stores it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledger.domain.agreements import Qualifier
from ledger.errors import InputProblem
from ledger.io.agreement_rules import (
    FIELDS,
    INPUT_COLUMNS,
    RULES,
    BoolArray,
    EachRule,
    Expected,
    IntArray,
    ObjectArray,
    ReadColumn,
    Rows,
    objects,
    slices,
)
from ledger.io.batch import (
    BATCH_COLUMNS,
    CAPACITY_COLUMNS,
    MINIMUM_COLUMNS,
    RELATION_COLUMNS,
    SLICE_COLUMNS,
    SOURCE_COLUMNS,
    AgreementBatch,
    normalized,
)
from ledger.io.fields import REQUIRED_EXPECTED, UNKNOWN_EXPECTED, Field, ListField, read_value

_DAY = np.timedelta64(1, "D")
Cells = tuple[npt.NDArray[np.intp], ObjectArray]  # row -> code, and the distinct cells as written (None: not given)


@dataclass(frozen=True)
class Entries:
    """The agreement entries of one file as columns of cells, before any rule."""

    file: str
    lines: IntArray  # of each entry
    cells: Mapping[str, Cells]  # the known columns the file has
    field_lines: Sequence[Mapping[str, int]] | None = None  # YAML: the line of each key of each entry
    unknown: Sequence[Sequence[tuple[str, object]]] | None = None  # YAML: keys that are no column, per entry

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def of_csv(cls, file: str, header: Sequence[str], rows: Sequence[Sequence[str]], lines: IntArray) -> Entries:
        """CSV rows (text cells; blank ones are not given)."""
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
        cells = {}
        for column, values in zip(header, columns, strict=True):
            codes, uniques = pd.factorize(np.array(values, dtype=object))
            cells[column] = (codes, objects(u if u.strip() else None for u in uniques.tolist()))
        return cls(file, np.asarray(lines, dtype=np.int64), cells)

    @classmethod
    def of_mappings(cls, file: str, entries: Sequence[tuple[Mapping[Any, Any], int, Mapping[str, int]]]) -> Entries:
        """Mappings (YAML entries, records) with their lines; missing, null and blank values are not given."""
        known = set(INPUT_COLUMNS)
        data = [{k: v for k, v in entry.items() if not _blank(v)} for entry, _, _ in entries]
        codes = np.arange(len(entries), dtype=np.intp)
        cells = {column: (codes, objects(d.get(column) for d in data)) for column in INPUT_COLUMNS}
        unknown = [[(str(k), v) for k, v in d.items() if k not in known] for d in data]
        lines = np.array([line for _, line, _ in entries], dtype=np.int64)
        return cls(file, lines, cells, [field_lines for _, _, field_lines in entries], unknown)

    def line(self, row: int, column: str) -> int:
        """The line of a problem: the entry's, or in YAML that of its key (`tranches.1.end_date`: of `tranches`)."""
        if self.field_lines is None:
            return int(self.lines[row])
        lines = self.field_lines[row]
        return lines.get(column, lines.get(column.split(".")[0], int(self.lines[row])))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Checked:
    """What the table made of a file's entries: the batch of those that keep every rule, and the problems of
    the others (per entry, in the order of the table)."""

    batch: AgreementBatch
    problems: dict[int, list[InputProblem]]


def read_agreements(entries: Entries) -> Checked:
    """Every field and rule of the table over the entries."""
    n = len(entries)
    problems: dict[int, list[InputProblem]] = {}
    columns: dict[str, ReadColumn] = {}
    broken = np.zeros(n, dtype=bool)
    per_field: list[tuple[npt.NDArray[np.intp], list[list[tuple[str, object, str]] | None]]] = []
    for field in FIELDS:
        codes, cells = entries.cells.get(field.name, (np.zeros(n, dtype=np.intp), objects([None])))
        values, found = _read(field, cells)
        columns[field.name] = ReadColumn(codes, values, cells)
        bad = np.array([f is not None for f in found], dtype=bool)
        if bad.any():
            broken |= bad[codes]
            per_field.append((codes, found))
    unknown = entries.unknown or [()] * n
    broken |= np.array([bool(keys) for keys in unknown], dtype=bool)
    for row in np.flatnonzero(broken).tolist():  # each field's problems in the table's order, then unknown keys
        found_here = [p for codes, found in per_field for p in (found[codes[row]] or ())]
        found_here += [(k, v, UNKNOWN_EXPECTED) for k, v in unknown[row]]
        problems[row] = [InputProblem(entries.file, entries.line(row, c), c, v, e) for c, v, e in found_here]
    clean = np.flatnonzero(~broken)
    rows = Rows({name: column.take(clean) for name, column in columns.items()})
    kept = _rules(rows, entries, clean, problems) if len(clean) else np.zeros(0, dtype=bool)
    return Checked(_batch(rows, kept, entries.lines[clean]), dict(sorted(problems.items())))


def _read(
    field: Field | ListField, cells: ObjectArray
) -> tuple[ObjectArray, list[list[tuple[str, object, str]] | None]]:
    """The values of a column's distinct cells, and the problems of each (None: it was read)."""
    values: list[object] = []
    found: list[list[tuple[str, object, str]] | None] = []
    required = isinstance(field, Field) and field.required
    for cell in cells.tolist():
        if cell is None:
            values.append(None)
            found.append([(field.name, None, REQUIRED_EXPECTED)] if required else None)
            continue
        value, problems = read_value(field, cell)
        values.append(value)
        found.append(problems or None)
    return objects(values), found


def _rules(rows: Rows, entries: Entries, clean: IntArray, problems: dict[int, list[InputProblem]]) -> BoolArray:
    """The rules of the table over the entries whose fields were read; which of them keep every rule."""
    failed: dict[str, BoolArray] = {}
    kept = np.ones(rows.n, dtype=bool)
    for rule in RULES:
        if isinstance(rule, EachRule):
            owner, shown = rule.failing(rows)
            at, expected = owner, [rule.expected] * len(owner)
            failed[rule.name] = np.isin(np.arange(rows.n), owner)
        else:
            checked = np.ones(rows.n, dtype=bool)
            for earlier in rule.unless:
                checked &= ~failed[earlier]
            failing = checked & rule.fails(rows)
            failed[rule.name] = failing
            at = np.flatnonzero(failing)
            if not len(at):
                continue
            expected = _expected(rule.expected, rows, at)
            shown = rows.value(rule.column)[at].tolist() if rule.quote_value else rows.cell(rule.column, at)
        kept[at] = False
        for i, value, text in zip(at.tolist(), shown, expected, strict=True):
            row = int(clean[i])
            problem = InputProblem(entries.file, entries.line(row, rule.column), rule.column, value, text)
            problems.setdefault(row, []).append(problem)
    return kept


def _expected(expected: Expected, rows: Rows, at: IntArray) -> list[str]:
    if isinstance(expected, str):
        return [expected] * len(at)
    return list(expected(rows, at))


# -- the batch ----------------------------------------------------------------------------------------------


def _batch(rows: Rows, kept: BoolArray, lines: IntArray) -> AgreementBatch:
    """The batch of the kept rows, in the readers' dtypes (ledger.io.batch)."""
    at = np.flatnonzero(kept)
    key = rows.value("agreement_id")
    minor = _where(rows.given("amount"), rows.amounts.minor)
    qualifier = np.where(
        rows.given("amount_qualifier"),
        rows.value("amount_qualifier"),
        np.where(rows.given("amount"), Qualifier.EXACT.value, Qualifier.UNDISCLOSED.value),
    )
    months = _where(rows.given("term_months"), rows.months)
    frame = {
        "agreement_id": key, "kind": rows.value("kind"), "payer": rows.value("payer"), "payee": rows.value("payee"),
        "resource": rows.value("resource"), "amount_minor": minor, "currency": rows.currency,
        "amount_qualifier": qualifier, "start_date": rows.start, "end_date": rows.term_end - _DAY,
        "term_months": months, "profile": rows.value("profile"), "basis": rows.value("basis"),
        "status": rows.value("status"), "confidence": rows.value("confidence"),
        "announced_on": rows.days("announced_on"), "participants": rows.value("participants"),
        "notes": rows.value("notes"), "assumptions": rows.value("assumptions"),
    }  # fmt: skip
    agreements = pd.DataFrame({name: values[at] for name, values in frame.items()}, columns=BATCH_COLUMNS)
    return AgreementBatch(
        normalized(agreements, BATCH_COLUMNS).assign(line=lines[at]),
        _slices(rows, kept, key),
        _relations(rows, kept, key, lines),
        _sources(rows, kept, key),
        _capacities(rows, at, key),
        _minimums(rows, at, key),
    )


def _where(given: BoolArray, values: npt.NDArray[Any]) -> ObjectArray:
    """The values (as Python objects) where given, else None."""
    out = np.full(len(values), None, dtype=object)
    out[given] = values[given].astype(object)
    return out


def _slices(rows: Rows, kept: BoolArray, key: ObjectArray) -> pd.DataFrame:
    found = slices(rows, kept)
    row = found["row"]
    heads = np.r_[0, np.flatnonzero(row[1:] != row[:-1]) + 1] if len(row) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[heads, len(row)])
    seq = np.arange(len(row), dtype=np.int64) - np.repeat(heads, counts) + 1
    frame = pd.DataFrame(
        {
            "agreement_id": key[row],
            "seq": seq.astype(object),
            "start_date": found["start"],
            "end_date": found["end"] - _DAY,
            "amount_minor": found["amount"],
            "weight": found["weight"],
        },
        columns=SLICE_COLUMNS,
    )
    return normalized(frame, SLICE_COLUMNS)


def _relations(rows: Rows, kept: BoolArray, key: ObjectArray, lines: IntArray) -> pd.DataFrame:
    """The relations of each agreement (its list, then the two columns), each (kind, target) once."""
    listed = rows.items("relations")
    paired = np.flatnonzero(rows.given("relation_to") & rows.given("relation_kind"))
    owner = np.concatenate([listed.owner, paired])
    kind = np.concatenate([listed.field(0), rows.value("relation_kind")[paired]])
    target = np.concatenate([listed.field(1), rows.value("relation_to")[paired]])
    order = np.argsort(owner, kind="stable")
    owner, kind, target = owner[order], kind[order], target[order]
    keep = kept[owner] & ~pd.DataFrame({"o": owner, "k": kind, "t": target}).duplicated().to_numpy()
    frame = pd.DataFrame(
        {"agreement_id": key[owner[keep]], "kind": kind[keep], "related_id": target[keep], "line": lines[owner[keep]]},
        columns=RELATION_COLUMNS,
    )
    return frame.reset_index(drop=True)


def _sources(rows: Rows, kept: BoolArray, key: ObjectArray) -> pd.DataFrame:
    """The sources of each agreement (the three columns, then its list), each (url, title, date) once."""
    listed = rows.items("sources")
    single = np.flatnonzero(rows.given("source_url"))
    owner = np.concatenate([single, listed.owner])
    url = np.concatenate([rows.value("source_url")[single], listed.field(0)])
    title = np.concatenate([rows.value("source_title")[single], listed.field(1)])
    day = np.concatenate([rows.days("source_date")[single], np.array(listed.field(2).tolist(), "datetime64[D]")])
    order = np.argsort(owner, kind="stable")
    owner, url, title, day = owner[order], url[order], title[order], day[order]
    keep = kept[owner] & ~pd.DataFrame({"o": owner, "u": url, "t": title, "d": day}).duplicated().to_numpy()
    frame = pd.DataFrame(
        {"agreement_id": key[owner[keep]], "url": url[keep], "title": title[keep], "published_on": day[keep]},
        columns=SOURCE_COLUMNS,
    )
    return normalized(frame, SOURCE_COLUMNS).reset_index(drop=True)


def _capacities(rows: Rows, at: IntArray, key: ObjectArray) -> pd.DataFrame:
    sized = at[(rows.given("quantity") | rows.given("unit") | rows.given("chip_family"))[at]]
    frame = pd.DataFrame(
        {
            "agreement_id": key[sized],
            "chip_family": rows.value("chip_family")[sized],
            "quantity": rows.value("quantity")[sized],
            "unit": rows.value("unit")[sized],
        },
        columns=CAPACITY_COLUMNS,
    )
    return normalized(frame, CAPACITY_COLUMNS)


def _minimums(rows: Rows, at: IntArray, key: ObjectArray) -> pd.DataFrame:
    due = at[(rows.given("minimum_amount") & rows.given("minimum_period"))[at]]
    if not len(due):
        return pd.DataFrame(columns=MINIMUM_COLUMNS)
    minor = rows.in_currency("minimum_amount").minor
    return pd.DataFrame(
        {"agreement_id": key[due], "amount_minor": minor[due], "period": rows.value("minimum_period")[due]},
        columns=MINIMUM_COLUMNS,
    )
