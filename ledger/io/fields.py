"""How one value of an input file is read: the kinds of field (ids, names, dates, decimals, choices, lists...).

Each kind is one function from a value as written (CSV text; YAML text, numbers, dates, lists) to the
value stored, raising ValueError with what was expected. The agreement rule table
(ledger.io.agreement_rules) runs them over whole columns, once per distinct value; the pydantic
records of parties and valuations (ledger.io.records) use the same functions as validators. What a
text may hold (sizes, characters) is ledger.io.limits'; what a decimal looks like, ledger.domain.money's.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ledger.domain.dates import RANGE_EXPECTED, in_range
from ledger.domain.money import (
    CURRENCY_EXPECTED,
    DECIMAL_EXPECTED,
    MINOR_DIGITS,
    WRITTEN_AS_TEXT_EXPECTED,
    plain_decimal,
)
from ledger.io.limits import JSON_ARRAY, LABEL, LIST, MAX_DECIMAL_CHARS, MAX_ID_CHARS, NAME, TEXT, URL, TextRule

Read = Callable[[object], Any]

KEY_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._:/-]{{0,{MAX_ID_CHARS - 1}}}"
_KEY = re.compile(KEY_PATTERN)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://\S+")

KEY_EXPECTED = f"an id of letters, digits and . _ : / - (at most {MAX_ID_CHARS} characters), like OAI-AWS-2026-02"
DATE_EXPECTED = "a date written YYYY-MM-DD, like 2026-03-01"
URL_EXPECTED = "a web address starting with http:// or https://"
STRING_EXPECTED = "a valid string"
REQUIRED_EXPECTED = "a value (this column is required)"
UNKNOWN_EXPECTED = "a known column or key (see the README's file formats)"
ASSUMPTIONS_EXPECTED = "text, or a mapping of names to text like {start_date: not reported}"
LIST_EXPECTED = "a valid tuple"
WHOLE_EXPECTED = "a whole number"


def key(value: object) -> str:
    if isinstance(value, str) and _KEY.fullmatch(value.strip()):
        return value.strip()
    raise ValueError(KEY_EXPECTED)


def text_of(rule: TextRule) -> Read:
    """Text under `rule` (checked as written), stored stripped."""

    def read(value: object) -> str:
        if isinstance(value, str):
            problem = rule.problem(value)
            if problem is not None:
                raise ValueError(problem)
            return value.strip()
        raise ValueError(STRING_EXPECTED)

    return read


label = text_of(LABEL)  # one line: resource, unit, titles...
text = text_of(TEXT)  # free text: notes, participants


def name(value: object) -> str:
    """A party's name: a label of at most MAX_NAME_CHARS, not empty."""
    read: str = text_of(NAME)(value)
    if not read:
        raise ValueError("text at least 1 character")
    return read


def url(value: object) -> str:
    if isinstance(value, str):
        problem = URL.problem(value)
        if problem is not None:
            raise ValueError(problem)
        if _URL.fullmatch(value.strip()):
            return value.strip()
    raise ValueError(URL_EXPECTED)


def date(value: object) -> dt.date:
    """A day written YYYY-MM-DD (or a YAML date), within the supported range."""
    day = _day(value)
    if day is None:
        raise ValueError(DATE_EXPECTED)
    if not in_range(day):
        raise ValueError(RANGE_EXPECTED)
    return day


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def decimal(value: object) -> str:
    """Exact decimal text, kept as text (ints are fine, floats refused: YAML readers never make them);
    which currency's digits it may have is a rule of its row (ledger.domain.money.parse_amount)."""
    if isinstance(value, bool | float):
        raise ValueError(WRITTEN_AS_TEXT_EXPECTED)
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and len(value.strip()) > MAX_DECIMAL_CHARS:
        raise ValueError(f"a decimal of at most {MAX_DECIMAL_CHARS} characters")
    if isinstance(value, str) and plain_decimal(value.strip()):
        return value.strip()
    raise ValueError(DECIMAL_EXPECTED)


def currency(value: object) -> str:
    if isinstance(value, str) and value.strip().upper() in MINOR_DIGITS:
        return value.strip().upper()
    raise ValueError(CURRENCY_EXPECTED)


def choice(choices: type[enum.StrEnum]) -> Read:
    """One of an enumeration's values, in any case and with spaces around (`Cloud_Commitment`)."""
    values = {member.value: member.value for member in choices}
    listed = [repr(v) for v in values]
    expected = "one of " + ", ".join(listed[:-1]) + " or " + listed[-1]  # as pydantic words it

    def read(value: object) -> str:
        if isinstance(value, str):
            found = values.get(value.strip().lower())
            if found is not None:
                return found
        raise ValueError(expected)

    return read


_INT: TypeAdapter[int] = TypeAdapter(int)


def whole_number(*, gt: int | None = None, ge: int | None = None, le: int | None = None) -> Read:
    """A whole number (as pydantic reads one: `12`, ` 12 `, `012`, `12.0`, `1_200`) within the bounds."""

    def read(value: object) -> int:
        try:
            number = _INT.validate_python(value)
        except ValidationError as error:
            item = error.errors()[0]
            if item["type"] in ("int_parsing", "int_type", "int_from_float"):
                raise ValueError(WHOLE_EXPECTED) from None
            raise ValueError(str(item["msg"]).removeprefix("Input should be ")) from None
        if gt is not None and not number > gt:
            raise ValueError(f"a number greater than {gt}")
        if ge is not None and not number >= ge:
            raise ValueError(f"a number greater than or equal to {ge}")
        if le is not None and not number <= le:
            raise ValueError(f"a number less than or equal to {le}")
        return number

    return read


def assumptions(value: object) -> str:
    """A mapping of what was assumed (`start_date: not reported`) is kept as one text: `k: v; k: v`."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ValueError(ASSUMPTIONS_EXPECTED)
        value = "; ".join(f"{k}: {v}" for k, v in value.items())
    read: str = text(value)
    return read


# -- lists ---------------------------------------------------------------------------------------------------


def split_list(value: str) -> list[str]:
    """CSV cells hold lists as `a;b;c`."""
    problem = LIST.problem(value)
    if problem is not None:
        raise ValueError(problem)
    return [part.strip() for part in value.split(";") if part.strip()]


class _RepeatedKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (json would keep the last of a repeated key silently)."""
    found: dict[str, Any] = {}
    for k, v in pairs:
        if k in found:
            raise _RepeatedKeyError(k)
        found[k] = v
    return found


def _no_constant(constant: str) -> object:
    raise ValueError(constant)  # NaN, Infinity: no amount or date is one


def json_objects(keys: str, example: str) -> Callable[[str], list[Any]]:
    """How a CSV cell holds a list of records: a JSON array of objects with the YAML keys."""
    expected = f"a JSON array of {{{keys}}} objects, like {example}"

    def parse(value: str) -> list[Any]:
        problem = JSON_ARRAY.problem(value)
        if problem is not None:
            raise ValueError(problem)
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


@dataclass(frozen=True)
class Field:
    """One key of an entry (a column of a CSV file): how its value is read, and whether it must be given."""

    name: str
    read: Read
    required: bool = False


@dataclass(frozen=True)
class Record:
    """A mapping inside a list (a relation, a source, a dated tranche): its keys, each read as a field."""

    title: str  # how a problem names it: "RelationRecord"
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class ListField:
    """A key whose value is a list (YAML), or a text that holds one (a CSV cell: `a;b` or a JSON array)."""

    name: str
    item: Read | Record
    split: Callable[[str], list[Any]] = split_list


Problem = tuple[str, object, str]  # column (`relations.0.kind`), the value quoted, what was expected


def read_value(field: Field | ListField, value: object) -> tuple[object, list[Problem]]:
    """A given value of `field`: what is stored, or the problems with it (each located by its column)."""
    if isinstance(field, Field):
        try:
            return field.read(value), []
        except ValueError as error:
            return None, [(field.name, value, str(error))]
    items: object = value
    if isinstance(value, str):
        try:
            items = field.split(value)
        except ValueError as error:
            return None, [(field.name, value, str(error))]
    if not isinstance(items, list | tuple):
        return None, [(field.name, value, LIST_EXPECTED)]
    read: list[object] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        got, found = _read_item(field.item, f"{field.name}.{i}", item)
        read.append(got)
        problems += found
    return (None, problems) if problems else (tuple(read), [])


def _read_item(item: Read | Record, column: str, value: object) -> tuple[object, list[Problem]]:
    if not isinstance(item, Record):
        try:
            return item(value), []
        except ValueError as error:
            return None, [(column, value, str(error))]
    if not isinstance(value, dict):
        return None, [(column, value, f"a valid dictionary or instance of {item.title}")]
    read: list[object] = []
    problems: list[Problem] = []
    for field in item.fields:
        where = f"{column}.{field.name}"
        if field.name not in value:
            read.append(None)
            if field.required:
                problems.append((where, None, REQUIRED_EXPECTED))
            continue
        if value[field.name] is None and not field.required:
            read.append(None)
            continue
        got, found = read_value(field, value[field.name])
        read.append(got)
        problems += [(where, shown, expected) for _, shown, expected in found]
    known = {field.name for field in item.fields}
    problems += [(f"{column}.{k}", v, UNKNOWN_EXPECTED) for k, v in value.items() if k not in known]
    return (None, problems) if problems else (tuple(read), [])
