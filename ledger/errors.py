"""The one exception hierarchy: every error a user can cause is a LedgerError with a one-line message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

MAX_LISTED = 20  # problems an InputError's message lists; the rest are counted
MAX_SHOWN_CHARS = 80  # of a value (or column name) quoted in a problem: one huge cell cannot make a huge message
MAX_EXPECTED_CHARS = 1000


class LedgerError(Exception):
    """Base of every error the ledger reports to its users (never shown as a traceback)."""


class ConfigurationError(LedgerError):
    """A database URL, option or environment setting that cannot be used."""


class SchemaError(LedgerError):
    """The database has no ledger schema, or an older one."""


class DomainError(LedgerError):
    """A value that breaks a rule of the domain (term, profile, tranche sums...)."""


class NotFoundError(LedgerError):
    """A named agreement or party that the ledger does not hold."""


def shown(value: object) -> str:
    """A value as a problem quotes it: text in quotes with control characters escaped, cut to
    MAX_SHOWN_CHARS with its full length given; other values briefly ('' for nothing)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, str) and len(value) > MAX_SHOWN_CHARS:
        return f"{value[:MAX_SHOWN_CHARS]!r}… ({len(value):,} characters)"
    text = _brief(value, 2)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"


def _brief(value: object, depth: int) -> str:
    """A few items and levels of a container (a YAML structure is never walked whole), else the value."""
    if isinstance(value, str):
        return repr(value) if len(value) <= MAX_SHOWN_CHARS else repr(value[:MAX_SHOWN_CHARS]) + "…"
    if isinstance(value, dict):
        if depth == 0:
            return "{…}"
        items = [f"{_brief(k, depth - 1)}: {_brief(v, depth - 1)}" for k, v in islice(value.items(), 4)]
        return "{" + ", ".join(items) + (", …" if len(value) > 4 else "") + "}"
    if isinstance(value, list | tuple | set | frozenset):
        if depth == 0:
            return "[…]"
        items = [_brief(item, depth - 1) for item in islice(value, 4)]
        return "[" + ", ".join(items) + (", …" if len(value) > 4 else "") + "]"
    if isinstance(value, bytes):
        return repr(value[:MAX_SHOWN_CHARS])
    try:
        return str(value)
    except ValueError:  # an int past Python's digit limit for conversion to text
        return "a number too long to show"


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split()) if not text.isprintable() else text
    return flat if len(flat) <= limit else flat[:limit] + "…"


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file, located to the line and column."""

    file: str
    line: int
    column: str
    value: object
    expected: str

    def __str__(self) -> str:
        value = shown(self.value)
        got = f" got {value}," if value else ""
        column = (
            self.column if self.column.isprintable() and len(self.column) <= MAX_SHOWN_CHARS else shown(self.column)
        )
        return f"{self.file}:{self.line}: {column}:{got} expected {_one_line(self.expected, MAX_EXPECTED_CHARS)}"


class InputError(LedgerError):
    """An input file was refused; nothing was written. Carries the problems found.

    The message lists the first MAX_LISTED problems, one per line, and counts the rest.
    `total` is how many were found (default: the problems given); `complete` is False when
    reading stopped before the end of the input, so that there may be more than counted.
    """

    def __init__(self, problems: Sequence[InputProblem], *, total: int | None = None, complete: bool = True) -> None:
        self.problems = tuple(problems)
        self.total = max(len(self.problems), total or 0)
        self.complete = complete
        lines = [str(p) for p in self.problems[:MAX_LISTED]]
        rest = self.total - len(lines)
        if rest > 0:
            lines.append(f"… and {'at least ' if not complete else ''}{rest:,} more problem{'s' if rest > 1 else ''}")
        super().__init__("\n".join(lines))

    @classmethod
    def single(cls, file: str, line: int, column: str, value: object, expected: str) -> InputError:
        return cls([InputProblem(file, line, column, value, expected)])


class LimitError(DomainError):
    """An amount or a sum of money past the ledger's limits (ledger.domain.money.MAX_MINOR, MAX_TOTAL_MINOR)."""
