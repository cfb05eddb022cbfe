"""The one exception hierarchy: every error a user can cause is a LedgerError with a one-line message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file, located to the line and column."""

    file: str
    line: int
    column: str
    value: object
    expected: str

    def __str__(self) -> str:
        blank = self.value is None or (isinstance(self.value, str) and not self.value.strip())
        shown = "" if blank else repr(self.value) if isinstance(self.value, str) else str(self.value)
        got = f" got {shown}," if shown else ""
        return f"{self.file}:{self.line}: {self.column}:{got} expected {self.expected}"


class InputError(LedgerError):
    """An input file was refused; nothing was written. Carries every problem found."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, line: int, column: str, value: object, expected: str) -> InputError:
        return cls([InputProblem(file, line, column, value, expected)])


class LimitError(DomainError):
    """An amount or a sum of money past the ledger's limits (ledger.domain.money.MAX_MINOR, MAX_TOTAL_MINOR)."""
