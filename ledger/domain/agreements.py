"""Agreements, parties, valuations and the rules that shape an agreement's amount over its term.

Pure values: no database, no files. The file readers build these; the
services store them; the amortization kernel spreads their slices.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ledger.domain.calendars import CALENDAR_YEAR, FiscalCalendar
from ledger.domain.dates import ONE_DAY, add_months, anniversary_periods, contract_years
from ledger.domain.money import format_minor, split_by_weights
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
class Slice:
    """A dated part of an agreement's amount, spread within itself by the agreement's basis."""

    start: dt.date
    end: dt.date  # exclusive
    amount_minor: int
    weight: int | None = None  # the ramp weight it came from, if any


@dataclass(frozen=True, slots=True)
class Relation:
    kind: RelationKind
    target: str  # key of the earlier (or parent) agreement


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    title: str | None = None
    published_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Capacity:
    """Physical size of a chip or capacity deal: `2 GW` of Trainium, `1000000 TPU chips`."""

    quantity: str  # exact decimal text
    unit: str
    chip_family: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    kind: PartyKind = PartyKind.COMPANY
    parent: str | None = None
    fiscal_calendar: FiscalCalendar = CALENDAR_YEAR
    notes: str | None = None
    aliases: tuple[str, ...] = ()  # other names billing files use for it ("AWS")


@dataclass(frozen=True)
class Agreement:
    """One deal between a payer and a payee, with its amount spread over a term."""

    key: str
    kind: Kind
    payer: str
    payee: str
    amount_minor: int | None  # None when undisclosed
    currency: str
    term: Term
    term_months: int | None = None
    profile: Profile = Profile.STRAIGHT_LINE
    basis: Basis = Basis.MONTHLY
    qualifier: Qualifier = Qualifier.EXACT
    status: Status = Status.ANNOUNCED
    confidence: Confidence | None = None
    resource: str | None = None
    announced_on: dt.date | None = None
    participants: str | None = None
    notes: str | None = None
    assumptions: str | None = None
    slices: tuple[Slice, ...] = ()  # tranches and ramps only; straight lines have one implicit slice
    relations: tuple[Relation, ...] = ()
    sources: tuple[Source, ...] = ()
    capacity: Capacity | None = None
    minimum: Minimum | None = None  # commitments: minimum spend per period, besides the total


@dataclass(frozen=True, slots=True)
class Minimum:
    """A minimum spend due in every period (month, quarter or contract year) of a commitment's term."""

    amount_minor: int
    period: str  # a MinimumPeriod value


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


def linear_ramp_weights(years: int) -> list[int]:
    """Weights 1, 2, ..., n: each contract year larger than the one before."""
    return list(range(1, years + 1))


def contract_year_slices(
    term: Term, amounts: Sequence[int], weights: Sequence[int] | None = None, years: Sequence[Term] | None = None
) -> tuple[Slice, ...]:
    """One slice per contract year with the given amounts (len(amounts) must equal the number of years)."""
    years = term.contract_years() if years is None else years
    if len(amounts) != len(years):
        raise DomainError(f"{len(years)} contract-year amounts for a term of {len(years)} contract years")
    return tuple(
        Slice(year.start, year.end, amount, None if weights is None else weights[i])
        for i, (year, amount) in enumerate(zip(years, amounts, strict=True))
    )


def ramp_slices(term: Term, total: int, weights: Sequence[int] | None = None) -> tuple[Slice, ...]:
    """Contract-year slices for a ramp: linear weights 1..n unless weights are given."""
    years = term.contract_years()
    n = len(years)
    chosen = list(weights) if weights is not None else linear_ramp_weights(n)
    if len(chosen) != n:
        raise DomainError(f"{n} ramp weights, one per contract year")
    return contract_year_slices(term, split_by_weights(total, chosen), chosen, years)


def check_slices(term: Term, total: int, slices: Sequence[Slice], currency: str) -> None:
    """Slices must lie within the term, not overlap, and sum to the agreement's amount."""
    ordered = sorted(slices, key=lambda s: s.start)
    for previous, current in itertools.pairwise(ordered):
        if current.start < previous.end:
            raise DomainError(f"tranches that do not overlap ({previous.start}..{current.start})")
    for part in ordered:
        if part.end <= part.start:
            raise DomainError(f"a tranche that ends after it starts ({part.start})")
        if part.start < term.start or part.end > term.end:
            raise DomainError(f"tranches within the term {term.start} .. {term.last_day}")
        if part.amount_minor < 0:
            raise DomainError("non-negative tranche amounts")
    scheduled = sum(s.amount_minor for s in ordered)
    if scheduled != total:
        raise DomainError(
            f"tranches summing to the amount {format_minor(total, currency)}, not {format_minor(scheduled, currency)}"
        )
