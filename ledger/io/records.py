"""Validated input records (one schema for CSV rows and YAML entries) and their conversion to domain values.

Field-level checks are pydantic's; the rules that tie fields together (a term
needs `term_months` or `end_date`, tranches must sum to the amount...) are
checked while building the domain value, so that every problem names the
column it is about.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ledger.domain.agreements import (
    KINDS_PAID_AT_ONCE,
    Agreement,
    Basis,
    Capacity,
    Confidence,
    Kind,
    Minimum,
    Party,
    PartyKind,
    Profile,
    Qualifier,
    Relation,
    RelationKind,
    Slice,
    Source,
    Status,
    Term,
    Valuation,
    ValuationKind,
    check_slices,
    contract_year_slices,
    ramp_slices,
)
from ledger.domain.calendars import FISCAL_SPEC_EXPECTED, FiscalCalendar
from ledger.domain.dates import LAST_DAY, ONE_DAY, RANGE_EXPECTED, in_range
from ledger.domain.money import MINOR_DIGITS, parse_amount
from ledger.domain.spend import MinimumPeriod
from ledger.errors import DomainError, InputProblem
from ledger.io.limits import JSON_ARRAY, LABEL, LIST, MAX_DECIMAL_CHARS, MAX_ID_CHARS, NAME, TEXT, URL

T = TypeVar("T")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KEY_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._:/-]{{0,{MAX_ID_CHARS - 1}}}"
_KEY = re.compile(f"^{KEY_PATTERN}$")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")

DATE_EXPECTED = "a date written YYYY-MM-DD, like 2026-03-01"
KEY_EXPECTED = f"an id of letters, digits and . _ : / - (at most {MAX_ID_CHARS} characters), like OAI-AWS-2026-02"
DECIMAL_EXPECTED = "a plain non-negative decimal without separators or exponent, like 100000000000.00"


def _date(value: object) -> object:
    day = _day(value)
    if day is None:
        raise ValueError(DATE_EXPECTED)
    if not in_range(day):
        raise ValueError(RANGE_EXPECTED)
    return day


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _key(value: object) -> object:
    if isinstance(value, str) and _KEY.match(value.strip()):
        return value.strip()
    raise ValueError(KEY_EXPECTED)


def _decimal_text(value: object) -> object:
    """Keep amounts as exact text; ints are fine, floats are refused (YAML readers never make them)."""
    if isinstance(value, bool | float):
        raise ValueError("a plain decimal written as text, like 100000000000.00")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and len(value.strip()) > MAX_DECIMAL_CHARS:
        raise ValueError(f"a decimal of at most {MAX_DECIMAL_CHARS} characters")
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        return value.strip()
    raise ValueError(DECIMAL_EXPECTED)


def _currency(value: object) -> object:
    if isinstance(value, str) and value.strip().upper() in MINOR_DIGITS:
        return value.strip().upper()
    raise ValueError("an ISO 4217 currency code the ledger knows, like USD or EUR")


def _split(value: object) -> object:
    """CSV cells hold lists as `a;b;c`."""
    if isinstance(value, str):
        LIST.check(value)
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


class _RepeatedKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (json would keep the last of a repeated key silently)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKeyError(key)
        found[key] = value
    return found


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: no amount or date is one


def json_objects(keys: str, example: str) -> Callable[[object], object]:
    """A before-validator for a list field that a CSV cell fills with a JSON array of objects (YAML gives
    the list itself, which passes on). The objects are then validated like YAML's, field by field."""
    expected = f"a JSON array of {{{keys}}} objects, like {example}"

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        JSON_ARRAY.check(value)
        try:
            parsed = json.loads(value, object_pairs_hook=_once, parse_constant=_no_constant)
        except _RepeatedKeyError as error:
            raise ValueError(f"{expected}, each key once ({error.key!r} is repeated)") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{expected} (not JSON: {error.msg} at character {error.pos + 1})") from None
        except (ValueError, RecursionError):  # a constant, a number past Python's digits, nesting past its stack
            raise ValueError(expected) from None
        if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
            raise ValueError(expected)
        return parsed

    return parse


def _url(value: object) -> object:
    URL.check(value)
    if isinstance(value, str) and re.match(r"^https?://\S+$", value.strip()):
        return value.strip()
    raise ValueError("a web address starting with http:// or https://")


def _assumptions(value: object) -> object:
    """A mapping of what was assumed (`start_date: not reported`) is kept as one text: `k: v; k: v`."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ValueError("text, or a mapping of names to text like {start_date: not reported}")
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    return TEXT.check(value)


IsoDate = Annotated[dt.date, BeforeValidator(_date)]
Key = Annotated[str, BeforeValidator(_key)]
DecimalText = Annotated[str, BeforeValidator(_decimal_text)]
CurrencyCode = Annotated[str, BeforeValidator(_currency)]
Name = Annotated[str, BeforeValidator(NAME.check), Field(min_length=1)]
Label = Annotated[str, BeforeValidator(LABEL.check)]  # one line: resource, unit, titles...
Text = Annotated[str, BeforeValidator(TEXT.check)]  # free text: notes, assumptions, participants
Url = Annotated[str, BeforeValidator(_url)]


class _Record(BaseModel):
    """Readers leave out empty cells and null values, so optional fields get their defaults."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class RelationRecord(_Record):
    kind: RelationKind
    to: Key


class SourceRecord(_Record):
    url: Url
    title: Label | None = None
    date: IsoDate | None = None


class TrancheRecord(_Record):
    start_date: IsoDate
    end_date: IsoDate
    amount: DecimalText


# The list fields a CSV cell holds as a JSON array, with the keys their YAML entries have.
_RELATIONS = json_objects("kind, to", '[{"kind": "additional", "to": "OAI-AWS-2025-11"}]')
_SOURCES = json_objects(
    "url, title, date", '[{"url": "https://example.com/a", "title": "A report", "date": "2026-01-05"}]'
)
_TRANCHES = json_objects(
    "start_date, end_date, amount", '[{"start_date": "2026-01-01", "end_date": "2026-12-31", "amount": "100.00"}]'
)


class AgreementRecord(_Record):
    """One agreement as written in an import file (CSV columns or YAML keys)."""

    agreement_id: Key
    kind: Kind
    payer: Name
    payee: Name
    amount: DecimalText | None = None
    currency: CurrencyCode
    start_date: IsoDate
    term_months: Annotated[int, Field(gt=0, le=1200)] | None = None
    end_date: IsoDate | None = None
    profile: Profile = Profile.STRAIGHT_LINE
    basis: Basis = Basis.MONTHLY
    amount_qualifier: Qualifier | None = None
    status: Status = Status.ANNOUNCED
    confidence: Confidence | None = None
    resource: Label | None = None
    announced_on: IsoDate | None = None
    participants: Text | None = None
    notes: Text | None = None
    assumptions: Annotated[str, BeforeValidator(_assumptions)] | None = None
    relation_to: Key | None = None
    relation_kind: RelationKind | None = None
    relations: Annotated[tuple[RelationRecord, ...], BeforeValidator(_RELATIONS)] = ()
    source_url: Url | None = None
    source_title: Label | None = None
    source_date: IsoDate | None = None
    sources: Annotated[tuple[SourceRecord, ...], BeforeValidator(_SOURCES)] = ()
    tranche_amounts: Annotated[tuple[DecimalText, ...], BeforeValidator(_split)] | None = None
    tranches: Annotated[tuple[TrancheRecord, ...], BeforeValidator(_TRANCHES)] | None = None
    ramp_weights: Annotated[tuple[Annotated[int, Field(ge=0)], ...], BeforeValidator(_split)] | None = None
    chip_family: Label | None = None
    quantity: DecimalText | None = None
    unit: Label | None = None
    minimum_amount: DecimalText | None = None
    minimum_period: MinimumPeriod | None = None


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


INPUT_COLUMNS = tuple(AgreementRecord.model_fields)  # the columns an agreement file may have
# The keys of a lossless agreement record (AgreementBatch.to_records) and the columns of the lossless CSV
# export: every field but the one-item shorthands of `relations` and `sources`, and `tranche_amounts`
# (tranches are written dated).
SHORTHAND_COLUMNS = ("relation_to", "relation_kind", "source_url", "source_title", "source_date", "tranche_amounts")
RECORD_COLUMNS = tuple(column for column in INPUT_COLUMNS if column not in SHORTHAND_COLUMNS)
REQUIRED_AGREEMENT_COLUMNS = ("agreement_id", "kind", "payer", "payee", "amount", "currency", "start_date")


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
        lines, top = self.entry.field_lines, column.split(".")[0]  # tranches.1.end_date: on the line of tranches
        self.found.append(
            InputProblem(self.file, lines.get(column, lines.get(top, self.entry.line)), column, shown, expected)
        )

    def from_validation(self, error: ValidationError) -> None:
        for item in error.errors():
            column = ".".join(str(part) for part in item["loc"]) or "entry"
            self.add(column, _expected(item), item.get("input"))


def _expected(item: Mapping[str, Any]) -> str:
    kind, message = item["type"], str(item["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "missing":
        return "a value (this column is required)"
    if kind == "extra_forbidden":
        return "a known column or key (see the README's file formats)"
    if kind == "enum":
        allowed = item.get("ctx", {}).get("expected", "")
        return f"one of {allowed}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
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


def build_agreement(file: str, entry: RawEntry) -> tuple[Located[Agreement] | None, list[InputProblem]]:
    """Validate one agreement entry and build its domain value; all problems are returned, located."""
    record, found = validate(AgreementRecord, file, entry)
    if record is None:
        return None, found
    problems = _Problems(file, entry)
    agreement = _agreement(record, problems)
    if problems.found or agreement is None:
        return None, problems.found
    return Located(agreement, entry.line, entry.field_lines), []


def _agreement(rec: AgreementRecord, problems: _Problems) -> Agreement | None:
    amount, qualifier = _amount(rec, problems)
    if rec.payer == rec.payee:
        problems.add("payee", "a payee different from the payer")
    term = _term(rec, problems)
    relations = _relations(rec, problems)
    sources = [SourceRecord(url=rec.source_url, title=rec.source_title, date=rec.source_date)] if rec.source_url else []
    sources += list(rec.sources)
    slices = _slices(rec, amount, term, problems) if term is not None else ()
    capacity = _capacity(rec, problems)
    minimum = _minimum(rec, problems)
    if problems.found or term is None:
        return None
    return Agreement(
        key=rec.agreement_id,
        kind=rec.kind,
        payer=rec.payer,
        payee=rec.payee,
        amount_minor=amount,
        currency=rec.currency,
        term=term,
        term_months=rec.term_months,
        profile=rec.profile,
        basis=rec.basis,
        qualifier=qualifier,
        status=rec.status,
        confidence=rec.confidence,
        resource=rec.resource,
        announced_on=rec.announced_on,
        participants=rec.participants,
        notes=rec.notes,
        assumptions=rec.assumptions,
        slices=slices,
        relations=relations,
        sources=tuple(dict.fromkeys(Source(s.url, s.title, s.date) for s in sources)),
        capacity=capacity,
        minimum=minimum,
    )


def _amount(rec: AgreementRecord, problems: _Problems) -> tuple[int | None, Qualifier]:
    amount = _money(rec.amount, rec.currency, "amount", problems) if rec.amount is not None else None
    qualifier = rec.amount_qualifier or Qualifier.EXACT
    if rec.amount is None and rec.amount_qualifier is None:  # a blank left by a slip must not vanish from totals
        problems.add("amount", "an amount, or amount_qualifier undisclosed for a deal whose amount is not known")
    elif rec.amount is None and qualifier is not Qualifier.UNDISCLOSED:
        problems.add("amount", f"an amount, since amount_qualifier is {qualifier.value}")
    if rec.amount is not None and qualifier is Qualifier.UNDISCLOSED:
        problems.add("amount_qualifier", "a qualifier other than undisclosed, since an amount is given")
    return amount, qualifier


def _relations(rec: AgreementRecord, problems: _Problems) -> tuple[Relation, ...]:
    if rec.relation_to is None and rec.relation_kind is None and not rec.relations:
        return ()
    relations = list(rec.relations)
    if (rec.relation_to is None) != (rec.relation_kind is None):
        missing = "relation_kind" if rec.relation_kind is None else "relation_to"
        problems.add(missing, "relation_to and relation_kind together, or neither")
    elif rec.relation_to is not None:
        relations.append(RelationRecord(kind=rec.relation_kind, to=rec.relation_to))
    for relation in relations:
        if relation.to == rec.agreement_id:
            problems.add("relation_to", "a relation to another agreement, not to itself", relation.to)
    return tuple(dict.fromkeys(Relation(r.kind, r.to) for r in relations))


def _capacity(rec: AgreementRecord, problems: _Problems) -> Capacity | None:
    if rec.quantity is None and rec.unit is None and rec.chip_family is None:
        return None
    if (rec.quantity is None) != (rec.unit is None):
        problems.add("unit" if rec.unit is None else "quantity", "quantity and unit together")
    return Capacity(rec.quantity or "", rec.unit or "", rec.chip_family)


def _minimum(rec: AgreementRecord, problems: _Problems) -> Minimum | None:
    if rec.minimum_amount is None and rec.minimum_period is None:
        return None
    if rec.minimum_amount is None or rec.minimum_period is None:
        missing = "minimum_amount" if rec.minimum_amount is None else "minimum_period"
        problems.add(missing, "minimum_amount and minimum_period together, or neither")
        return None
    if rec.kind not in (Kind.CLOUD_COMMITMENT, Kind.CHIP_AGREEMENT):
        problems.add("minimum_amount", "a minimum only on a cloud_commitment or chip_agreement")
    amount = _money(rec.minimum_amount, rec.currency, "minimum_amount", problems)
    return None if amount is None else Minimum(amount, rec.minimum_period.value)


def _money(text: str, currency: str, column: str, problems: _Problems) -> int | None:
    try:
        return parse_amount(text, currency)
    except ValueError as error:
        problems.add(column, str(error), text)
        return None


def _term(rec: AgreementRecord, problems: _Problems) -> Term | None:
    start = rec.start_date
    if rec.end_date is not None and rec.end_date < start:
        problems.add("end_date", f"a last day on or after start_date {start}")
        return None
    if rec.term_months is not None:
        term = Term.of_months(start, rec.term_months)
        if term.last_day > LAST_DAY:
            problems.add(
                "term_months",
                f"a term that ends by {LAST_DAY} (from {start}, {rec.term_months} months end on {term.last_day})",
            )
            return None
        if rec.end_date is not None and rec.end_date != term.last_day:
            problems.add(
                "end_date",
                f"{term.last_day}, the last day of {rec.term_months} months from {start} (or give only one of them)",
            )
            return None
        return term
    if rec.end_date is not None:
        return Term.through(start, rec.end_date)
    if rec.kind in KINDS_PAID_AT_ONCE:
        return Term(start, start + ONE_DAY)  # paid at once, on the start date
    problems.add("term_months", "term_months or end_date (the term's last day): a commitment needs a term")
    return None


def _slices(rec: AgreementRecord, amount: int | None, term: Term, problems: _Problems) -> tuple[Slice, ...]:
    column = {Profile.TRANCHES: "tranche_amounts", Profile.RAMP: "ramp_weights"}.get(rec.profile, "profile")
    given = [name for name in ("tranche_amounts", "tranches", "ramp_weights") if getattr(rec, name) is not None]
    if rec.profile is Profile.STRAIGHT_LINE:
        for name in given:
            problems.add(name, "no tranches or ramp weights for profile straight_line (or set profile)")
        return ()
    if amount is None:
        if rec.amount is None:
            problems.add("profile", "profile straight_line when the amount is undisclosed")
        return ()
    try:
        if rec.profile is Profile.RAMP:
            if rec.tranche_amounts is not None or rec.tranches is not None:
                problems.add("tranches", "ramp_weights (not tranches) for profile ramp")
                return ()
            slices = ramp_slices(term, amount, rec.ramp_weights)
        elif rec.tranches is not None:
            column = "tranches"
            slices = tuple(
                Slice(t.start_date, t.end_date + ONE_DAY, parse_amount(t.amount, rec.currency)) for t in rec.tranches
            )
        elif rec.tranche_amounts is not None:
            slices = contract_year_slices(term, [parse_amount(a, rec.currency) for a in rec.tranche_amounts])
        else:
            problems.add("tranche_amounts", "tranche_amounts (one per contract year) or dated tranches")
            return ()
        check_slices(term, amount, slices, rec.currency)
        return slices
    except (DomainError, ValueError) as error:
        problems.add(column, str(error))
        return ()


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
    amount = _money(record.amount, record.currency, "amount", problems)
    if amount is None:
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
