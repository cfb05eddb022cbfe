"""Validated input records of parties and valuations (YAML entries), and located values.

Agreements are checked by the rule table (ledger.io.agreement_rules); parties and valuations by
pydantic models whose fields are read by the same kinds of field (ledger.io.fields), so that an id,
a name, a date or an amount is refused with the same words whichever entry it is in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ledger.domain.agreements import Confidence, Party, PartyKind, Qualifier, Source, Valuation, ValuationKind
from ledger.domain.calendars import FISCAL_SPEC_EXPECTED, FiscalCalendar
from ledger.domain.money import parse_amount
from ledger.errors import InputProblem
from ledger.io import fields
from ledger.io.agreement_rules import INPUT_COLUMNS, RECORD_COLUMNS, REQUIRED_AGREEMENT_COLUMNS, SHORTHAND_COLUMNS

__all__ = [
    "INPUT_COLUMNS",
    "RECORD_COLUMNS",
    "REQUIRED_AGREEMENT_COLUMNS",
    "SHORTHAND_COLUMNS",
    "Located",
    "RawEntry",
    "build_party",
    "build_valuation",
]

T = TypeVar("T")

IsoDate = Annotated[dt.date, BeforeValidator(fields.date)]
Key = Annotated[str, BeforeValidator(fields.key)]
DecimalText = Annotated[str, BeforeValidator(fields.decimal)]
CurrencyCode = Annotated[str, BeforeValidator(fields.currency)]
Name = Annotated[str, BeforeValidator(fields.name), Field(min_length=1)]
Label = Annotated[str, BeforeValidator(fields.label)]  # one line: titles, fiscal calendar
Text = Annotated[str, BeforeValidator(fields.text)]  # free text: notes
Url = Annotated[str, BeforeValidator(fields.url)]


class _Record(BaseModel):
    """Readers leave out empty cells and null values, so optional fields get their defaults."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SourceRecord(_Record):
    url: Url
    title: Label | None = None
    date: IsoDate | None = None


class PartyRecord(_Record):
    name: Name
    kind: PartyKind = PartyKind.COMPANY
    parent: Name | None = None
    fiscal_calendar: Label | None = None
    notes: Text | None = None
    aliases: tuple[Name, ...] = ()


class ValuationRecord(_Record):
    valuation_id: Key
    party: Name
    kind: ValuationKind
    amount: DecimalText
    currency: CurrencyCode
    as_of: IsoDate
    round: Key | None = None
    amount_qualifier: Qualifier = Qualifier.EXACT
    confidence: Confidence | None = None
    notes: Text | None = None
    source_url: Url | None = None
    source_title: Label | None = None
    sources: tuple[SourceRecord, ...] = ()


@dataclass(frozen=True)
class Located(Generic[T]):
    """A value read from a file, with the line of the entry and of each of its fields."""

    value: T
    line: int
    field_lines: Mapping[str, int]

    def line_of(self, field: str) -> int:
        return self.field_lines.get(field, self.line)


@dataclass(frozen=True)
class RawEntry:
    """An entry as read from a file, before validation."""

    data: Mapping[str, Any]
    line: int
    field_lines: Mapping[str, int]


class _Problems:
    """Collects located problems for one entry."""

    def __init__(self, file: str, entry: RawEntry) -> None:
        self.file = file
        self.entry = entry
        self.found: list[InputProblem] = []

    def add(self, column: str, expected: str, value: object = None) -> None:
        shown = self.entry.data.get(column) if value is None else value
        lines, top = self.entry.field_lines, column.split(".")[0]  # sources.1.url: on the line of sources
        self.found.append(
            InputProblem(self.file, lines.get(column, lines.get(top, self.entry.line)), column, shown, expected)
        )

    def from_validation(self, error: ValidationError) -> None:
        for item in error.errors():
            column = ".".join(str(part) for part in item["loc"]) or "entry"
            shown = None if item["type"] == "missing" else item.get("input")  # nothing was given
            self.add(column, _expected(item), shown)


def _expected(item: Mapping[str, Any]) -> str:
    kind, message = item["type"], str(item["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "missing":
        return fields.REQUIRED_EXPECTED
    if kind == "extra_forbidden":
        return fields.UNKNOWN_EXPECTED
    if kind == "enum":
        allowed = item.get("ctx", {}).get("expected", "")
        return f"one of {allowed}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return fields.WHOLE_EXPECTED
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return "a number " + message.removeprefix("Input should be ")
    if kind == "string_too_short":
        return "text " + message.removeprefix("String should have ")
    return message.removeprefix("Input should be ").removeprefix("Value error, ")


def validate(model: type[BaseModel], file: str, entry: RawEntry) -> tuple[Any, list[InputProblem]]:
    try:
        return model.model_validate(entry.data), []
    except ValidationError as error:
        problems = _Problems(file, entry)
        problems.from_validation(error)
        return None, problems.found


def build_party(file: str, entry: RawEntry) -> tuple[Located[Party] | None, list[InputProblem]]:
    record, found = validate(PartyRecord, file, entry)
    if record is None:
        return None, found
    problems = _Problems(file, entry)
    calendar = _parse_or(
        problems, "fiscal_calendar", FISCAL_SPEC_EXPECTED, FiscalCalendar.parse, record.fiscal_calendar
    )
    if record.parent == record.name:
        problems.add("parent", "a parent other than the party itself")
    if problems.found:
        return None, problems.found
    party = Party(
        record.name, record.kind, record.parent, calendar or FiscalCalendar(), record.notes, tuple(record.aliases)
    )
    return Located(party, entry.line, entry.field_lines), []


def build_valuation(file: str, entry: RawEntry) -> tuple[Located[Valuation] | None, list[InputProblem]]:
    record, found = validate(ValuationRecord, file, entry)
    if record is None:
        return None, found
    problems = _Problems(file, entry)
    try:
        amount = parse_amount(record.amount, record.currency)
    except ValueError as error:
        problems.add("amount", str(error), record.amount)
        return None, problems.found
    sources = [SourceRecord(url=record.source_url, title=record.source_title)] if record.source_url else []
    sources += list(record.sources)
    valuation = Valuation(
        key=record.valuation_id,
        party=record.party,
        kind=record.kind,
        amount_minor=amount,
        currency=record.currency,
        as_of=record.as_of,
        round_key=record.round,
        qualifier=record.amount_qualifier,
        confidence=record.confidence,
        notes=record.notes,
        sources=tuple(dict.fromkeys(Source(s.url, s.title, s.date) for s in sources)),
    )
    return Located(valuation, entry.line, entry.field_lines), []


def _parse_or(problems: _Problems, column: str, expected: str, parse: Callable[[str], T], text: str | None) -> T | None:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError:
        problems.add(column, expected, text)
        return None
