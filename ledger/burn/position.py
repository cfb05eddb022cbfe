"""A commitment's position on a day and its forecast to the end of its term (pure: no database).

Definitions (README, "Spend against commitments"); all money in exact pico units:

- the schedule comes in *pieces*: calendar months cut at the term's monthly
  anniversaries (a term from the 1st has whole months), so that every contract
  year, minimum period and month is a union of whole pieces;
- charges are dated by month; the *as-of month* is the month holding the
  as-of day, and its charges count as consumed; a month's charges belong to
  the contract year (or minimum period) holding the month's anniversary day
  (the day of the month the term started on, clamped to the month and to the
  term), the day its monthly instalment is dated;
- expected to date: the commitment's schedule through the as-of day (whole
  pieces before it, and the piece holding it pro rata by days elapsed,
  floored to the minor unit);
- remaining = max(committed - consumed, 0); utilization = consumed / committed;
- months left: whole months of the term after the as-of month (all of them
  before the start; none after the end); days left likewise in days;
- required monthly run-rate = remaining / months left, rounded up to the minor
  unit (None when money remains and no month does);
- trailing monthly run-rate: consumption of the last three months of the term
  up to the as-of month, averaged over the months counted, floored to the
  minor unit;
- projected consumption at the end = consumed + trailing rate * months left;
  projected shortfall (what true-up will bill) and overage are its distance
  below and above the committed amount; once the term is over they are actual;
- met on: the last day of the month in which cumulative consumption reached
  the commitment, or (at the trailing pace) will reach it within the term;
  None when it will not.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ledger.domain.agreements import Status, Term
from ledger.domain.dates import add_months
from ledger.domain.money import pico_per_minor, split_by_weights
from ledger.domain.spend import MinimumPeriod

TRAILING_MONTHS = 3


@dataclass(frozen=True, slots=True)
class Minimum:
    amount_minor: int
    period: MinimumPeriod


@dataclass(frozen=True)
class CommitmentTerms:
    """What the ledger knows of one commitment: its counted amount, term and month schedule."""

    key: str
    payer: str  # the agreement's own parties (the draw-down rolls them up to their parents)
    payee: str
    currency: str
    start: dt.date
    last_day: dt.date
    committed_minor: int
    schedule: Mapping[dt.date, int] = field(default_factory=dict)  # piece start -> minor units
    minimum: Minimum | None = None
    binding_years: bool = False  # tranches: each contract year's amount is due within that year
    contract_id: str | None = None  # agreements that `expand` one another form one contract
    description: str | None = None
    anchor: dt.date | None = None  # the day monthly anniversaries count from (the term's start)
    status: str = "announced"
    qualifier: str = "exact"
    kind: str = "cloud_commitment"
    quantity: str | None = None  # capacity of an undisclosed commitment (exact decimal text), and its unit
    unit: str | None = None

    @property
    def term(self) -> Term:
        return Term.through(self.start, self.last_day)

    @property
    def origin(self) -> dt.date:
        return self.anchor or self.start

    def anniversary(self, month: dt.date) -> dt.date:
        """The month's anniversary day: the monthly anniversary of the start that falls in that month."""
        return add_months(self.origin, (month.year - self.origin.year) * 12 + month.month - self.origin.month)

    def piece_end(self, start: dt.date) -> dt.date:
        """The exclusive end of the schedule piece starting on `start`: the next month's first day, the next
        monthly anniversary or the end of the term, whichever comes first."""
        following = add_months(start.replace(day=1), 1)
        anniversary = self.anniversary(start)
        if anniversary <= start:
            anniversary = self.anniversary(following)
        return min(following, anniversary, self.last_day + dt.timedelta(days=1))

    def charge_day(self, month: dt.date) -> dt.date:
        """The day a month of charges is dated at for periods: its anniversary day, within the term."""
        return min(max(self.anniversary(month), self.start), self.last_day)


@dataclass(frozen=True)
class PeriodPosition:
    """A contract year, or a minimum-spend period (month, quarter or contract year) of a commitment,
    with its own position: the period taken as a commitment of its required amount."""

    kind: str  # "contract_year" or "minimum"
    label: str
    binding: bool  # due within the period (minimums; contract years of tranche commitments)
    position: Position

    @property
    def start(self) -> dt.date:
        return self.position.terms.start

    @property
    def last_day(self) -> dt.date:
        return self.position.terms.last_day

    @property
    def required_pico(self) -> int:
        return self.position.committed_pico

    @property
    def consumed_pico(self) -> int:
        return self.position.consumed_pico

    @property
    def state(self) -> str:
        """ "ended" once the as-of day reaches its last day (its last month's charges are known), else
        "current" or "future"."""
        as_of = self.position.as_of
        return "ended" if self.last_day <= as_of else "future" if self.start > as_of else "current"

    @property
    def gap_pico(self) -> int | None:
        """What the period fell short by, once it has ended (None before)."""
        return max(self.required_pico - self.consumed_pico, 0) if self.state == "ended" else None


@dataclass(frozen=True)
class Position:
    terms: CommitmentTerms
    as_of: dt.date
    status: str  # "not_started", "active", "expired", or "cancelled" (nothing due)
    expected_pico: int
    consumed_pico: int
    days_left: int
    months_left: int
    required_monthly_pico: int | None
    trailing_monthly_pico: int | None
    projected_pico: int
    met_on: dt.date | None
    true_up_billed_pico: int
    periods: tuple[PeriodPosition, ...]

    @property
    def committed_pico(self) -> int:
        return self.terms.committed_minor * pico_per_minor(self.terms.currency)

    @property
    def remaining_pico(self) -> int:
        return max(self.committed_pico - self.consumed_pico, 0)

    @property
    def utilization(self) -> Fraction | None:
        return Fraction(self.consumed_pico, self.committed_pico) if self.committed_pico else None

    @property
    def projected_shortfall_pico(self) -> int:
        return max(self.committed_pico - self.projected_pico, 0)

    @property
    def projected_overage_pico(self) -> int:
        return max(self.projected_pico - self.committed_pico, 0)


def position(
    terms: CommitmentTerms,
    consumed: Mapping[dt.date, int],
    as_of: dt.date,
    true_up_billed_pico: int = 0,
    *,
    with_periods: bool = True,
) -> Position:
    """The position of one commitment on `as_of`, from its consumption by month (pico units)."""
    unit = pico_per_minor(terms.currency)
    if terms.status == Status.CANCELLED:
        return _cancelled(terms, as_of)
    as_of_month = as_of.replace(day=1)
    first_month, last_month = terms.start.replace(day=1), terms.last_day.replace(day=1)
    status = "not_started" if as_of < terms.start else "expired" if as_of > terms.last_day else "active"
    consumed = {m: v for m, v in consumed.items() if m <= as_of_month}  # what is known on the as-of day
    consumed_to_date = sum(consumed.values())
    after = _previous(first_month) if status == "not_started" else as_of_month
    months_left = 0 if status == "expired" else _months_between(after, last_month)
    days_left = (terms.last_day - max(as_of, terms.start - dt.timedelta(days=1))).days if status != "expired" else 0
    committed = terms.committed_minor * unit
    remaining = max(committed - consumed_to_date, 0)
    required = None if remaining and not months_left else _ceil_to(remaining, max(months_left, 1), unit)
    trailing = _trailing(consumed, first_month, min(as_of_month, last_month), unit) if status != "not_started" else None
    projected = consumed_to_date + (trailing or 0) * months_left
    return Position(
        terms=terms,
        as_of=as_of,
        status=status,
        expected_pico=_expected(terms, as_of) * unit,
        consumed_pico=consumed_to_date,
        days_left=days_left,
        months_left=months_left,
        required_monthly_pico=required,
        trailing_monthly_pico=trailing,
        projected_pico=projected,
        met_on=_met_on(terms, consumed, as_of_month, committed, trailing, status),
        true_up_billed_pico=true_up_billed_pico,
        periods=tuple(_periods(terms, consumed, as_of)) if with_periods else (),
    )


def _cancelled(terms: CommitmentTerms, as_of: dt.date) -> Position:
    """A cancelled commitment: listed, with nothing due and nothing drawn."""
    empty = dataclasses.replace(terms, committed_minor=0, schedule={}, minimum=None)
    return Position(empty, as_of, "cancelled", 0, 0, 0, 0, None, None, 0, None, 0, ())


def _previous(month: dt.date) -> dt.date:
    return add_months(month, -1)


def _months_between(after: dt.date, through: dt.date) -> int:
    """Whole months strictly after month `after`, up to and including month `through`."""
    return max((through.year - after.year) * 12 + through.month - after.month, 0)


def _ceil_to(pico: int, months: int, unit: int) -> int:
    per_month = -(-pico // months)
    return -(-per_month // unit) * unit


def _trailing(consumed: Mapping[dt.date, int], first: dt.date, last: dt.date, unit: int) -> int:
    months = [m for m in (add_months(last, -k) for k in range(TRAILING_MONTHS)) if m >= first]
    total = sum(consumed.get(m, 0) for m in months)
    return (total // len(months)) // unit * unit


def _expected(terms: CommitmentTerms, as_of: dt.date) -> int:
    """Scheduled minor units through `as_of`: whole pieces before it, the piece holding it pro rata by day."""
    if as_of >= terms.last_day:
        return sum(terms.schedule.values())
    day_after = as_of + dt.timedelta(days=1)
    expected = 0
    for start, amount in terms.schedule.items():
        if start >= day_after:
            continue
        end = terms.piece_end(start)
        expected += amount if end <= day_after else amount * (day_after - start).days // (end - start).days
    return expected


def _month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _met_on(
    terms: CommitmentTerms,
    consumed: Mapping[dt.date, int],
    as_of_month: dt.date,
    committed: int,
    trailing: int | None,
    status: str,
) -> dt.date | None:
    running = 0
    for month in sorted(consumed):
        running += consumed[month]
        if running >= committed:
            return min(_month_end(month), terms.last_day)
    if status != "active" or not trailing or trailing <= 0:
        return None
    months = -(-(committed - running) // trailing)
    if months > _months_between(as_of_month, terms.last_day.replace(day=1)):
        return None  # not within the term at this pace
    return min(_month_end(add_months(as_of_month, months)), terms.last_day)


def _periods(terms: CommitmentTerms, consumed: Mapping[dt.date, int], as_of: dt.date) -> list[PeriodPosition]:
    """Contract years (binding for tranches), then the minimum periods, all from the term's one period rule."""
    out = [
        _period(
            "contract_year", f"CY{i}", year, _within(terms.schedule, year), terms, consumed, as_of, terms.binding_years
        )
        for i, year in enumerate(terms.term.contract_years(), start=1)
    ]
    if terms.minimum is not None:
        step, prefix = _MINIMUM_STEPS[MinimumPeriod(terms.minimum.period)]
        instalments = [month.start for month in terms.term.periods(1)]  # the monthly anniversaries
        for i, period in enumerate(terms.term.periods(step), start=1):
            dated = [day for day in instalments if period.start <= day < period.end]
            schedule = dict(zip(dated, split_by_weights(terms.minimum.amount_minor, [1] * len(dated)), strict=True))
            out.append(_period("minimum", f"{prefix}{i}", period, schedule, terms, consumed, as_of, True))
    return out


_MINIMUM_STEPS = {
    MinimumPeriod.MONTH: (1, "M"),
    MinimumPeriod.QUARTER: (3, "Q"),
    MinimumPeriod.CONTRACT_YEAR: (12, "CY"),
}


def _within(schedule: Mapping[dt.date, int], period: Term) -> dict[dt.date, int]:
    """The schedule pieces that start within the period (pieces never straddle a period boundary)."""
    return {start: v for start, v in schedule.items() if period.start <= start < period.end}


def _period(
    kind: str,
    label: str,
    period: Term,
    schedule: dict[dt.date, int],
    terms: CommitmentTerms,
    consumed: Mapping[dt.date, int],
    as_of: dt.date,
    binding: bool,
) -> PeriodPosition:
    """The period as a commitment of its own, of the given schedule: a contract year's pieces (exactly the
    schedule's contract-year amount), or a minimum spread over the period's monthly instalments by the
    one rounding rule. Charges count in the period that holds their month's anniversary day."""
    sub = dataclasses.replace(
        terms,
        start=period.start,
        last_day=period.last_day,
        committed_minor=sum(schedule.values()),
        schedule=schedule,
        minimum=None,
        anchor=terms.origin,
    )
    used = {m: v for m, v in consumed.items() if period.start <= terms.charge_day(m) < period.end}
    return PeriodPosition(kind, label, binding, position(sub, used, as_of, with_periods=False))
