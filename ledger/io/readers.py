"""Reading import files (CSV of agreements; YAML of parties, agreements and valuations) into located domain values.

A file is read whole before anything is written: every problem in it is
collected and reported together as one InputError (file:line: column: ...).
Agreements, CSV rows and YAML entries alike, go through the rule table
(ledger.io.agreement_rules); parties and valuations through their records
(ledger.io.records).
What a file may hold (field sizes, characters, YAML's bounds) is in
ledger.io.limits; YAML files are read without anchors, aliases, merge keys,
tags or repeated keys, none of which the formats need.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np
import yaml
from yaml.events import AliasEvent, CollectionStartEvent, MappingEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from ledger.domain.agreements import Party, Valuation
from ledger.errors import InputError, InputProblem
from ledger.formulas import unneutralise_formula
from ledger.io.agreement_input import Entries, read_agreements
from ledger.io.agreement_rules import INPUT_COLUMNS, REQUIRED_AGREEMENT_COLUMNS
from ledger.io.batch import AgreementBatch
from ledger.io.limits import MAX_COUNTED, MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from ledger.io.records import Located, RawEntry, build_party, build_valuation
from ledger.progress import Progress, silent

T = TypeVar("T")
Builder = Callable[[str, RawEntry], tuple[Located[T] | None, list[InputProblem]]]

YAML_SECTIONS = ("parties", "agreements", "valuations")


@dataclass
class LedgerFile:
    """Everything one import file holds, validated."""

    path: str
    parties: list[Located[Party]] = field(default_factory=list)
    batch: AgreementBatch = field(default_factory=AgreementBatch.empty)
    valuations: list[Located[Valuation]] = field(default_factory=list)
    sha256: str | None = None  # of the file's bytes: where each record came from, in the history


def read_ledger_file(path: Path | str, progress: Progress = silent) -> LedgerFile:
    """Read a .csv or .yaml/.yml import file; raise InputError listing every problem."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError.single(name, 0, "file", None, "an existing, readable file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml") and path.stat().st_size > MAX_YAML_BYTES:
        size = path.stat().st_size
        expected = f"a YAML file of at most {MAX_YAML_BYTES // 2**20} MiB (import more agreements as CSV)"
        raise InputError.single(name, 0, "file", f"{size:,} bytes", expected)
    if suffix not in (".csv", ".yaml", ".yml"):
        raise InputError.single(name, 0, "file", suffix or name, "a .csv, .yaml or .yml file")
    raw = path.read_bytes()
    try:
        text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig").read()  # as read_text: universal newlines
    except UnicodeDecodeError as error:
        raise InputError.single(name, 0, "file", None, f"UTF-8 text ({error.reason})") from None
    read = _read_csv(name, text, progress) if suffix == ".csv" else _read_yaml(name, text, progress)
    read.sha256 = hashlib.sha256(raw).hexdigest()
    return read


def _read_csv(name: str, text: str, progress: Progress) -> LedgerFile:
    progress(f"Reading {Path(name).name}", None)
    header, rows, lines = _parse_csv(name, text)
    _check_header(name, header)
    if "'" in text:
        _unquote_formulas(rows)
    done = progress("Validating agreements", len(rows))
    batch = _agreements(Entries.of_csv(name, header, rows, lines), [])
    done(len(rows))
    return LedgerFile(name, batch=batch)


def _agreements(entries: Entries, others: list[tuple[int, InputProblem]]) -> AgreementBatch:
    """The batch of the entries, or InputError with the problems of every entry (and `others`: (position among
    the entries, problem) of what is not an entry), in file order, counted up to MAX_COUNTED."""
    checked = read_agreements(entries)
    if others or checked.problems:
        found = [(2 * before, False, [p]) for before, p in others]
        found += [(2 * row + 1, True, mine) for row, mine in checked.problems.items()]
        problems: list[InputProblem] = []
        for _, entry, mine in sorted(found, key=lambda item: item[0]):
            problems += mine
            if entry and len(problems) >= MAX_COUNTED:  # counted after each entry, as the rows are read
                raise InputError(problems, complete=False)
        raise InputError(problems)
    _refuse_duplicate_keys(entries.file, checked.batch)
    return checked.batch


def _unquote_formulas(rows: list[list[str]]) -> None:
    """Cells as they were before a spreadsheet-safe export quoted them: `'=x` reads as `=x` (ledger.formulas),
    so that `ledger agreements --format csv` imports as the agreements it was written from."""
    for row in rows:
        for j, cell in enumerate(row):
            if cell.startswith("'"):
                row[j] = unneutralise_formula(cell)


@contextmanager
def _cells_of_any_size(size: int) -> Iterator[None]:
    """Let the csv module read cells up to `size` characters (its default stops at 131,072 with an
    error that names no column), so that the field checks can word the problem; restored after."""
    before = csv.field_size_limit()
    csv.field_size_limit(max(before, size))
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _parse_csv(name: str, text: str) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, rows (blank ones left out) and the line each row starts on; wrong cell counts are refused."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    problems = []
    line = 2
    with _cells_of_any_size(len(text) + 1):
        try:
            header = [column.strip() for column in next(reader)]
            for row in reader:
                if any(cell.strip() for cell in row):
                    if len(row) == len(header):
                        rows.append(row)
                        lines.append(line)
                    else:
                        expected = f"{len(header)} cells, one per header column"
                        problems.append(InputProblem(name, line, "row", f"{len(row)} cells", expected))
                line = reader.line_num + 1
        except StopIteration:
            raise InputError.single(name, 1, "header", None, "a header row naming the columns") from None
        except csv.Error as error:
            raise InputError.single(name, reader.line_num, "row", None, f"well-formed CSV ({error})") from None
    if problems:
        raise InputError(problems)
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
    raise InputError(problems)


def _check_header(name: str, header: list[str]) -> None:
    problems = [
        InputProblem(name, 1, column, None, "this required column in the header")
        for column in REQUIRED_AGREEMENT_COLUMNS
        if column not in header
    ]
    known = set(INPUT_COLUMNS)
    problems += [
        InputProblem(name, 1, column or "(empty)", column, "a known column: " + ", ".join(INPUT_COLUMNS))
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
    complete = True
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
        if len(problems) >= MAX_COUNTED:
            complete = False
            break
    if problems:
        raise InputError(problems, complete=complete)
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
        raise InputError(problems)


def _identity(value: Party | Valuation) -> tuple[str, str]:
    if isinstance(value, Valuation):
        return value.key, "valuation_id"
    return value.name, "name"


class _LinedDict(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]


class _StopComposingError(Exception):
    """Stops composing a YAML document past a bound (nesting, size, or too many problems)."""


_NO_ALIASES = "no YAML anchors or aliases (&name, *name): write each value out"


try:  # libyaml's scanner and parser (C) make reading four times faster; composing stays in Python, below
    from yaml._yaml import CParser as _EventSource
except ImportError:  # pragma: no cover - PyYAML built without libyaml

    class _EventSource(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class _LineLoader(yaml.composer.Composer, _EventSource, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """Safe YAML with line numbers, without floats (1.50 stays the exact text '1.50'), and bounded.

    Nodes are composed as the formats need them, so that no document grows past its text: anchors
    and aliases (the billion-laughs expansion), merge keys and explicit tags are refused, and so is a
    key repeated in a mapping (YAML would keep the last one silently); at most MAX_YAML_NODES nodes
    and MAX_YAML_DEPTH levels. Problems are collected with their line and the key they are under,
    and raised before anything is constructed.
    """

    def __init__(self, stream: str) -> None:
        _EventSource.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.problems: list[tuple[int, str, object, str]] = []  # line, column, value, expected
        self.complete = True
        self._nodes = 0
        self._depth = 0
        self._keys: list[str] = []  # the keys leading to the node being composed

    # libyaml's events and marks are typed loosely (their C twins, or None): events are Any here.
    def _peek(self) -> Any:
        return self.peek_event()

    def _next(self) -> Any:
        return self.get_event()

    def _refuse(self, event: Any, column: str | None, value: object, expected: str) -> None:
        self.problems.append((event.start_mark.line + 1, column or self._where(), value, expected))
        if len(self.problems) >= MAX_COUNTED:
            self.complete = False
            raise _StopComposingError

    def _stop(self, event: Any, expected: str) -> NoReturn:
        self.problems.append((event.start_mark.line + 1, self._where(), None, expected))
        raise _StopComposingError

    def _where(self) -> str:
        return self._keys[-1] if self._keys else "yaml"

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self._peek()
        if isinstance(event, AliasEvent):
            alias = self._next()
            self._refuse(alias, None, f"*{alias.anchor}", _NO_ALIASES)
            return ScalarNode("tag:yaml.org,2002:null", "", alias.start_mark, alias.end_mark)
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            self._stop(event, f"at most {MAX_YAML_NODES:,} values, lists and mappings in a YAML file (or use CSV)")
        if event.anchor is not None:
            self._refuse(event, None, f"&{event.anchor}", _NO_ALIASES)
        if event.tag not in (None, "!"):
            self._refuse(event, None, event.tag, "no YAML tags (!!type): plain values, lists and mappings")
        nested = isinstance(event, CollectionStartEvent)
        self._depth += nested
        if self._depth > MAX_YAML_DEPTH:
            self._stop(event, f"lists and mappings at most {MAX_YAML_DEPTH} levels deep")
        self.descend_resolver(parent, index)
        if isinstance(event, yaml.ScalarEvent):
            node: Node = self.compose_scalar_node(None)  # type: ignore[arg-type]  # no anchor; the stub says dict
        elif isinstance(event, yaml.SequenceStartEvent):
            node = self.compose_sequence_node(None)  # type: ignore[arg-type]
        else:
            node = self.compose_mapping_node(None)
        self.ascend_resolver()
        self._depth -= nested
        return node

    def compose_mapping_node(self, anchor: object) -> MappingNode:
        start = self._next()
        tag = start.tag if start.tag not in (None, "!") else self.resolve(MappingNode, None, start.implicit)  # type: ignore[no-untyped-call]
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        seen: dict[str, int] = {}
        while not self.check_event(MappingEndEvent):
            key_event = self._peek()
            key = self.compose_node(node, None)
            name = key.value if isinstance(key, ScalarNode) else "?"
            if key.tag == "tag:yaml.org,2002:merge":
                self._refuse(key_event, "<<", None, "no YAML merge keys (<<): write each key out")
            elif name in seen:
                self._refuse(key_event, name, None, f"each key once in a mapping (also on line {seen[name]})")
            seen.setdefault(name, key_event.start_mark.line + 1)
            self._keys.append(name)
            value = self.compose_node(node, key)
            self._keys.pop()
            node.value.append((key, value))
        node.end_mark = self._next().end_mark
        return node


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


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # past Python's 4,300 digits for int(text): keep the text, so validation can name it
        return node.value


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)  # type: ignore[type-var]
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)  # type: ignore[type-var]
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)  # type: ignore[type-var]

# What YAML allows nowhere in a stream (libyaml says so without a line): refused first, with line and column.
_NOT_YAML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _load_yaml(name: str, text: str) -> object:
    """The document, composed within the bounds of _BoundedComposer; raises InputError for every breach."""
    found = _NOT_YAML.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
        expected = f"YAML text without control characters (U+{ord(found.group()):04X} at column {column})"
        raise InputError.single(name, line, "yaml", None, expected)
    loader = _LineLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except _StopComposingError:
            node = None
        if loader.problems:
            problems = [InputProblem(name, *problem) for problem in loader.problems]
            raise InputError(problems, complete=loader.complete)
        return None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise InputError.single(name, line, "yaml", None, f"valid YAML ({error.problem})") from None
    except yaml.YAMLError as error:
        raise InputError.single(name, 0, "yaml", None, f"valid YAML ({error})") from None
    finally:
        loader.dispose()


def _read_yaml(name: str, text: str, progress: Progress) -> LedgerFile:
    document = _load_yaml(name, text)
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
    problems: list[InputProblem] = []
    sections: dict[str, list[RawEntry | InputProblem]] = {}
    for section in YAML_SECTIONS:
        items = document.get(section) or []
        if not isinstance(items, list):
            problems.append(InputProblem(name, lines.get(section, 1), section, None, "a list of entries"))
            continue
        sections[section] = list(_yaml_entries(name, section, items))
    return _build_sections(name, sections, progress, problems)


def read_records(
    name: str,
    parties: Iterable[Mapping[str, Any]] = (),
    agreements: Iterable[Mapping[str, Any]] = (),
    valuations: Iterable[Mapping[str, Any]] = (),
    progress: Progress = silent,
) -> LedgerFile:
    """Entries already in memory (the importer's records, as the history keeps them) read like a YAML file's
    sections, with the same validation; `name` stands for the file in messages, lines count entries."""
    sections: dict[str, list[RawEntry | InputProblem]] = {
        section: [RawEntry(dict(record), line, {}) for line, record in enumerate(records, start=1)]
        for section, records in (("parties", parties), ("agreements", agreements), ("valuations", valuations))
    }
    return _build_sections(name, sections, progress, [])


def _build_sections(
    name: str,
    sections: Mapping[str, list[RawEntry | InputProblem]],
    progress: Progress,
    problems: list[InputProblem],
) -> LedgerFile:
    builders: dict[str, Builder[Any]] = {"parties": build_party, "valuations": build_valuation}
    result = LedgerFile(name)
    complete = True
    for section, entries in sections.items():
        try:
            if section == "agreements":
                done = progress("Validating agreements", len(entries))
                result.batch = _agreements(*_as_entries(name, entries))
                done(len(entries))
            else:
                built = _build_all(name, entries, builders[section], progress(f"Validating {section}", len(entries)))
                setattr(result, section, built)
        except InputError as error:
            problems += error.problems
            complete &= error.complete
    if problems:
        raise InputError(problems, complete=complete)
    return result


def _as_entries(name: str, items: list[RawEntry | InputProblem]) -> tuple[Entries, list[tuple[int, InputProblem]]]:
    """The mappings of a section as entries, and what is not a mapping (with how many entries precede it)."""
    entries = [(item.data, item.line, item.field_lines) for item in items if isinstance(item, RawEntry)]
    others, before = [], 0
    for item in items:
        if isinstance(item, RawEntry):
            before += 1
        else:
            others.append((before, item))
    return Entries.of_mappings(name, entries), others


def _yaml_entries(name: str, section: str, items: list[Any]) -> Iterator[RawEntry | InputProblem]:
    for item in items:
        if not isinstance(item, _LinedDict):
            yield InputProblem(name, 0, section, item, "each entry to be a mapping of keys to values")
            continue
        data = {k: v for k, v in item.items() if v is not None and not (isinstance(v, str) and not v.strip())}
        yield RawEntry(data, item.line, item.lines)
