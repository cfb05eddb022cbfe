"""The words of an agreement (kind, profile, basis, qualifier, status, relations), its term, parties and valuations.

Pure values: no database, no files. Agreements themselves travel as columns
(ledger.io.batch): the rule table of agreement input (ledger.io.agreement_rules)
checks them and builds their slices, the services store them, the amortization
kernel spreads the slices.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import numpy as np

from ledger.domain.calendars import CALENDAR_YEAR, FiscalCalendar
from ledger.domain.dates import ONE_DAY, add_months, anniversary_periods, contract_years
from ledger.errors import DomainError


class Choice(enum.StrEnum):
    """A text enumeration read case-insensitively ('Cloud_Commitment' is cloud_commitment)."""

    @classmethod
    def _missing_(cls, value: object) -> Choice | None:
        if isinstance(value, str):
            folded = value.strip().lower()
            for member in cls:
                if member.value == folded:
                    return member
        return None


class Kind(Choice):
    CLOUD_COMMITMENT = "cloud_commitment"
    CHIP_AGREEMENT = "chip_agreement"
    EQUITY_INVESTMENT = "equity_investment"
    FUNDING_ROUND = "funding_round"


class Profile(Choice):
    STRAIGHT_LINE = "straight_line"
    TRANCHES = "tranches"
    RAMP = "ramp"


class Basis(Choice):
    MONTHLY = "monthly"
    DAILY = "daily"


class Qualifier(Choice):
    """How certain the reported amount is."""

    EXACT = "exact"
    APPROXIMATELY = "approximately"
    UP_TO = "up_to"
    AT_LEAST = "at_least"
    UNDISCLOSED = "undisclosed"


class Status(Choice):
    PROPOSED = "proposed"  # talks, letters of intent, non-binding
    ANNOUNCED = "announced"  # publicly announced or reported
    BINDING = "binding"  # signed contract
    COMPLETED = "completed"  # fully paid or closed
    CANCELLED = "cancelled"


def counted_statuses(*, include_proposed: bool = False) -> frozenset[str]:
    """The one rule of which statuses count (README, "Statuses").

    `cancelled` counts nowhere: no schedule, no consolidated total, no burn, no export, no cycle.
    `proposed` (talks, letters of intent) has its own schedule but stays out of consolidated
    totals, burn, the FOCUS export and cycles unless the user asks for it.
    """
    kept = {Status.ANNOUNCED, Status.BINDING, Status.COMPLETED} | ({Status.PROPOSED} if include_proposed else set())
    return frozenset(s.value for s in kept)


SCHEDULED_STATUSES = counted_statuses(include_proposed=True)  # every status but cancelled has a schedule


class Confidence(Choice):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RelationKind(Choice):
    """How an agreement relates to an earlier one (see the README's relation semantics)."""

    ADDITIONAL = "additional"
    EXPANDS = "expands"
    SUPERSEDES = "supersedes"
    TRANCHE_OF = "tranche_of"


class PartyKind(Choice):
    LAB = "lab"
    CLOUD = "cloud"
    CHIP_MAKER = "chip_maker"
    INVESTOR = "investor"
    INVESTOR_GROUP = "investor_group"
    COMPANY = "company"


class ValuationKind(Choice):
    PRE_MONEY = "pre_money"
    POST_MONEY = "post_money"
    SECONDARY = "secondary"  # price set by a secondary share sale
    STAKE_VALUE = "stake_value"  # value of one holder's stake, not of the company
    TRANSACTION = "transaction"  # price set by a merger or acquisition


KINDS_PAID_AT_ONCE = frozenset({Kind.EQUITY_INVESTMENT, Kind.FUNDING_ROUND})


@dataclass(frozen=True, slots=True)
class Term:
    """A half-open interval of days [start, end)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise DomainError(f"a term must end after it starts ({self.start} .. {self.end})")

    @classmethod
    def of_months(cls, start: dt.date, months: int) -> Term:
        if months <= 0:
            raise DomainError("a term of at least one month")
        return cls(start, add_months(start, months))

    @classmethod
    def through(cls, start: dt.date, last_day: dt.date) -> Term:
        """A term whose last day (inclusive) is `last_day`."""
        return cls(start, last_day + ONE_DAY)

    @property
    def last_day(self) -> dt.date:
        return self.end - ONE_DAY

    def contract_years(self) -> list[Term]:
        """Anniversary years [start + 12(j-1) months, start + 12j months), the last cut at the term's end."""
        start, end = np.array([self.start], "datetime64[D]"), np.array([self.end], "datetime64[D]")
        _, _, begins, ends = contract_years(start, end)
        return [Term(b, e) for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]

    def periods(self, step_months: int) -> list[Term]:
        """The term's anniversary periods of `step_months` months (see `anniversary_periods`)."""
        _, _, begins, ends = anniversary_periods(
            np.array([self.start], "datetime64[D]"), np.array([self.end], "datetime64[D]"), step_months
        )
        return [Term(b, e) for b, e in zip(begins.tolist(), ends.tolist(), strict=True)]


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    title: str | None = None
    published_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    kind: PartyKind = PartyKind.COMPANY
    parent: str | None = None
    fiscal_calendar: FiscalCalendar = CALENDAR_YEAR
    notes: str | None = None
    aliases: tuple[str, ...] = ()  # other names billing files use for it ("AWS")


@dataclass(frozen=True, slots=True)
class Valuation:
    key: str
    party: str
    kind: ValuationKind
    amount_minor: int
    currency: str
    as_of: dt.date
    round_key: str | None = None
    qualifier: Qualifier = Qualifier.EXACT
    confidence: Confidence | None = None
    notes: str | None = None
    sources: tuple[Source, ...] = ()
