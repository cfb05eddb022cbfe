"""Reading import files (CSV of agreements; YAML of parties, agreements and valuations) into located domain values.

A file is read whole before anything is written: every problem in it is
collected and reported together as one InputError (file:line: column: ...).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import yaml

from ledger.domain.agreements import Agreement, Party, Valuation
from ledger.errors import InputError, InputProblem
from ledger.io.batch import AgreementBatch
from ledger.io.csv_fast import read_fast
from ledger.io.records import (
    AGREEMENT_COLUMNS,
    REQUIRED_AGREEMENT_COLUMNS,
    Located,
    RawEntry,
    build_agreement,
    build_party,
    build_valuation,
)
from ledger.progress import Progress, silent

T = TypeVar("T")
Builder = Callable[[str, RawEntry], tuple[Located[T] | None, list[InputProblem]]]

MAX_REPORTED = 50
YAML_SECTIONS = ("parties", "agreements", "valuations")


@dataclass
class LedgerFile:
    """Everything one import file holds, validated."""

    path: str
    parties: list[Located[Party]] = field(default_factory=list)
    batch: AgreementBatch = field(default_factory=AgreementBatch.empty)
    valuations: list[Located[Valuation]] = field(default_factory=list)


def read_ledger_file(path: Path | str, progress: Progress = silent, *, fast: bool = True) -> LedgerFile:
    """Read a .csv or .yaml/.yml import file; raise InputError listing every problem.

    `fast=False` validates every CSV row one by one (the fast path's reference, for tests).
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError.single(name, 0, "file", None, "an existing, readable file")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError.single(name, 0, "file", None, f"UTF-8 text ({error.reason})") from None
    if suffix == ".csv":
        return _read_csv(name, text, progress, fast)
    if suffix in (".yaml", ".yml"):
        return _read_yaml(name, text, progress)
    raise InputError.single(name, 0, "file", suffix or name, "a .csv, .yaml or .yml file")


def _read_csv(name: str, text: str, progress: Progress, fast: bool) -> LedgerFile:
    progress(f"Reading {Path(name).name}", None)
    header, rows, lines = _parse_csv(name, text)
    _check_header(name, header)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    fast_part, take = read_fast(frame, lines) if fast and len(frame) else (None, np.zeros(len(frame), dtype=bool))
    batches = [] if fast_part is None else [fast_part]
    slow = np.flatnonzero(~take)
    entries = (
        RawEntry({k: v for k, v in zip(header, rows[i], strict=True) if v.strip()}, int(lines[i]), {}) for i in slow
    )
    built = _build_all(name, entries, build_agreement, progress("Validating agreements one by one", len(slow)))
    batches.append(AgreementBatch.from_agreements([b.value for b in built], [b.line for b in built]))
    batch = AgreementBatch.concat(batches)
    _refuse_duplicate_keys(name, batch)
    return LedgerFile(name, batch=batch)


def _parse_csv(name: str, text: str) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, rows (blank ones left out) and the line each row starts on; wrong cell counts are refused."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        raise InputError.single(name, 1, "header", None, "a header row naming the columns") from None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems = []
    line = 2
    for row in reader:
        if any(cell.strip() for cell in row):
            if len(row) == len(header):
                rows.append(row)
                lines.append(line)
            else:
                expected = f"{len(header)} cells, one per header column"
                problems.append(InputProblem(name, line, "row", f"{len(row)} cells", expected))
        line = reader.line_num + 1
    if problems:
        raise InputError(problems[:MAX_REPORTED])
    return header, rows, np.array(lines, dtype=np.int64)


def _refuse_duplicate_keys(name: str, batch: AgreementBatch) -> None:
    keys, lines = batch.agreements["agreement_id"], batch.agreements["line"]
    repeated = keys.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first = dict(zip(keys[~repeated], lines[~repeated], strict=True))
    problems = [
        InputProblem(name, int(line), "agreement_id", key, f"a unique agreement_id (also on line {first[key]})")
        for key, line in zip(keys[repeated], lines[repeated], strict=True)
    ]
    raise InputError(problems[:MAX_REPORTED])


def _check_header(name: str, header: list[str]) -> None:
    problems = [
        InputProblem(name, 1, column, None, "this required column in the header")
        for column in REQUIRED_AGREEMENT_COLUMNS
        if column not in header
    ]
    known = set(AGREEMENT_COLUMNS)
    problems += [
        InputProblem(name, 1, column or "(empty)", column, "a known column: " + ", ".join(AGREEMENT_COLUMNS))
        for column in header
        if column not in known
    ]
    seen: set[str] = set()
    for column in header:
        if column in seen:
            problems.append(InputProblem(name, 1, column, column, "each column once"))
        seen.add(column)
    if problems:
        raise InputError(problems)


def _build_all(
    name: str, entries: Iterable[RawEntry | InputProblem], build: Builder[T], advance: Callable[[int], None]
) -> list[Located[T]]:
    built: list[Located[T]] = []
    problems: list[InputProblem] = []
    for count, entry in enumerate(entries, start=1):
        if isinstance(entry, InputProblem):
            problems.append(entry)
            continue
        value, found = build(name, entry)
        problems += found
        if value is not None:
            built.append(value)
        if count % 1000 == 0:
            advance(1000)
        if len(problems) >= MAX_REPORTED:
            break
    if problems:
        raise InputError(problems[:MAX_REPORTED])
    if built and not isinstance(built[0].value, Agreement):  # agreements are checked as a batch
        _refuse_duplicates(name, built)
    return built


def _refuse_duplicates(name: str, built: list[Located[Any]]) -> None:
    first_line: dict[str, int] = {}
    problems = []
    for located in built:
        key, column = _identity(located.value)
        if key in first_line:
            problems.append(
                InputProblem(name, located.line, column, key, f"a unique {column} (also on line {first_line[key]})")
            )
        else:
            first_line[key] = located.line
    if problems:
        raise InputError(problems[:MAX_REPORTED])


def _identity(value: Agreement | Party | Valuation) -> tuple[str, str]:
    if isinstance(value, Agreement):
        return value.key, "agreement_id"
    if isinstance(value, Valuation):
        return value.key, "valuation_id"
    return value.name, "name"


class _LinedDict(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """Safe YAML with line numbers, and without floats: 1.50 stays the exact text '1.50'."""


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_LinedDict]:
    data = _LinedDict()
    data.line = node.start_mark.line + 1
    data.lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    yield data
    data.update({str(k): v for k, v in loader.construct_mapping(node).items()})


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # 2026-13-01: keep the text, so validation can name it
        return node.value


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _read_yaml(name: str, text: str, progress: Progress) -> LedgerFile:
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise InputError.single(name, line, "yaml", None, f"valid YAML ({error.problem})") from None
    if isinstance(document, list):
        document = _LinedDict(agreements=document)
    if not isinstance(document, dict):
        raise InputError.single(name, 1, "document", None, "a mapping with parties, agreements and valuations lists")
    lines = getattr(document, "lines", {})
    unknown = [key for key in document if key not in YAML_SECTIONS]
    if unknown:
        raise InputError(
            [
                InputProblem(name, lines.get(k, 1), str(k), None, "one of the sections " + ", ".join(YAML_SECTIONS))
                for k in unknown
            ]
        )
    result = LedgerFile(name)
    problems: list[InputProblem] = []
    sections: dict[str, Builder[Any]] = {
        "parties": build_party,
        "agreements": build_agreement,
        "valuations": build_valuation,
    }
    for section, build in sections.items():
        items = document.get(section) or []
        if not isinstance(items, list):
            problems.append(InputProblem(name, lines.get(section, 1), section, None, "a list of entries"))
            continue
        entries = list(_yaml_entries(name, section, items))
        try:
            built = _build_all(name, entries, build, progress(f"Validating {section}", len(entries)))
        except InputError as error:
            problems += error.problems
            continue
        if section == "agreements":
            result.batch = AgreementBatch.from_agreements([b.value for b in built], [b.line for b in built])
            _refuse_duplicate_keys(name, result.batch)
        else:
            setattr(result, section, built)
    if problems:
        raise InputError(problems[:MAX_REPORTED])
    return result


def _yaml_entries(name: str, section: str, items: list[Any]) -> Iterator[RawEntry | InputProblem]:
    for item in items:
        if not isinstance(item, _LinedDict):
            yield InputProblem(name, 0, section, item, "each entry to be a mapping of keys to values")
            continue
        data = {k: v for k, v in item.items() if v is not None and not (isinstance(v, str) and not v.strip())}
        yield RawEntry(data, item.line, item.lines)
