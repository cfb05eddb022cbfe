"""Reporting calendars: months, quarters, calendar and fiscal years (month-end or 52/53-week).

A calendar turns a date range into contiguous periods [start, end) with labels
users read in reports: `2026-03`, `2026-Q1`, `2026`, `FY2027`. Fiscal years are
labelled by the calendar year in which they end (`FY2027` = Jul 2026 - Jun 2027
for a fiscal year ending in June). Contract years belong to one agreement each
and live with the amortization kernel.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ledger.domain.dates import DateArray, month_first_day, month_index
from ledger.errors import DomainError

MONTH_ABBR = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

WeekRule = Literal["last", "nearest"]

# 52/53-week years are computed with pandas timestamps (1677-09-22 to 2262-04-11) and reach up to a
# year beyond the dates asked for; these bounds keep that inside, with the supported range
# (ledger.domain.dates) well within them.
WEEK_YEARS_FIRST = dt.date(1700, 1, 1)
WEEK_YEARS_LAST = dt.date(2260, 12, 31)


class Grain(enum.StrEnum):
    """The period sizes a schedule can be reported in."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    FISCAL_YEAR = "fiscal-year"
    CONTRACT_YEAR = "contract-year"


_SPEC = re.compile(r"^(?:52-53:(?P<wm>[a-z]{3}):(?P<wd>[a-z]{3}):(?P<rule>last|nearest)|(?P<m>[a-z]{3}))$")


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """When a party's fiscal year ends.

    `end_month` alone: the year ends on the last day of that month (`jun` ->
    Microsoft's July-June year). With `week_day` and `week_rule`: a 52/53-week
    year ending on the last such weekday of `end_month` (`last`), or the one
    nearest the month's end (`nearest`), like retailers and chip makers use.
    """

    end_month: int = 12
    week_day: int | None = None
    week_rule: WeekRule | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.end_month <= 12:
            raise ValueError("a fiscal year end month from 1 to 12")
        if (self.week_day is None) != (self.week_rule is None):
            raise ValueError("both a week day and a week rule for a 52/53-week year, or neither")
        if self.week_day is not None and not 0 <= self.week_day <= 6:
            raise ValueError("a week day from 0 (Monday) to 6 (Sunday)")

    @property
    def is_52_53_week(self) -> bool:
        return self.week_day is not None

    @classmethod
    def parse(cls, spec: str) -> FiscalCalendar:
        """Read `dec`, `jun`, or `52-53:jan:sun:last` (see the README's calendar section)."""
        match = _SPEC.match(spec.strip().lower())
        if match is None:
            raise ValueError(FISCAL_SPEC_EXPECTED)
        if match["m"]:
            if match["m"] not in MONTH_ABBR:
                raise ValueError(FISCAL_SPEC_EXPECTED)
            return cls(MONTH_ABBR.index(match["m"]) + 1)
        if match["wm"] not in MONTH_ABBR or match["wd"] not in DAY_ABBR:
            raise ValueError(FISCAL_SPEC_EXPECTED)
        rule: WeekRule = "last" if match["rule"] == "last" else "nearest"
        return cls(MONTH_ABBR.index(match["wm"]) + 1, DAY_ABBR.index(match["wd"]), rule)

    def __str__(self) -> str:
        month = MONTH_ABBR[self.end_month - 1]
        if self.week_day is None:
            return month
        return f"52-53:{month}:{DAY_ABBR[self.week_day]}:{self.week_rule}"


FISCAL_SPEC_EXPECTED = (
    "a fiscal calendar like 'dec' (calendar year), 'jun' (year ends in June) "
    "or '52-53:jan:sun:last' (52/53-week year ending the last Sunday of January)"
)
CALENDAR_YEAR = FiscalCalendar()


@dataclass(frozen=True)
class PeriodTable:
    """Contiguous periods: period i is [start[i], end[i]) and end[i] == start[i+1]."""

    start: DateArray
    end: DateArray
    label: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.start)


def calendar_periods(
    grain: Grain, lo: np.datetime64 | dt.date, hi: np.datetime64 | dt.date, fiscal: FiscalCalendar = CALENDAR_YEAR
) -> PeriodTable:
    """The periods of `grain` that cover [lo, hi) (hi exclusive, hi > lo)."""
    lo64, hi64 = _day(lo), _day(hi)
    if grain is Grain.CONTRACT_YEAR:
        raise ValueError("contract years depend on each agreement's start; see schedule.kernel")
    if grain is Grain.FISCAL_YEAR and fiscal.is_52_53_week:
        return _week_52_53_periods(fiscal, lo64, hi64)
    size, offset = {
        Grain.MONTH: (1, 0),
        Grain.QUARTER: (3, 0),
        Grain.YEAR: (12, 0),
        Grain.FISCAL_YEAR: (12, fiscal.end_month % 12),
    }[grain]
    first = (int(month_index(np.asarray(lo64))) - offset) // size
    last = (int(month_index(np.asarray(hi64 - np.timedelta64(1, "D")))) - offset) // size
    start_months = np.arange(first, last + 2, dtype=np.int64) * size + offset
    edges = month_first_day(start_months)
    return PeriodTable(edges[:-1], edges[1:], _labels(grain, start_months[:-1]))


def _day(value: np.datetime64 | dt.date) -> np.datetime64:
    return value.astype("datetime64[D]") if isinstance(value, np.datetime64) else np.datetime64(value, "D")


def _labels(grain: Grain, start_months: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    years, month0 = np.divmod(start_months + 1970 * 12, 12)
    if grain is Grain.MONTH:
        labels = [f"{y}-{m + 1:02d}" for y, m in zip(years.tolist(), month0.tolist(), strict=True)]
    elif grain is Grain.QUARTER:
        labels = [f"{y}-Q{m // 3 + 1}" for y, m in zip(years.tolist(), month0.tolist(), strict=True)]
    elif grain is Grain.YEAR:
        labels = [str(y) for y in years.tolist()]
    else:  # fiscal year: labelled by the year of its last month
        end_years = (start_months + 11 + 1970 * 12) // 12
        labels = [f"FY{y}" for y in end_years.tolist()]
    return np.array(labels, dtype=object)


def _week_52_53_periods(fiscal: FiscalCalendar, lo: np.datetime64, hi: np.datetime64) -> PeriodTable:
    import pandas as pd

    assert fiscal.week_day is not None
    assert fiscal.week_rule is not None
    first, last = np.datetime64(WEEK_YEARS_FIRST, "D"), np.datetime64(WEEK_YEARS_LAST, "D")
    if lo < first or hi - np.timedelta64(1, "D") > last:
        raise DomainError(
            f"52/53-week fiscal years ({fiscal}) only from {WEEK_YEARS_FIRST} to {WEEK_YEARS_LAST}; "
            f"the periods asked for run from {lo} to {hi - np.timedelta64(1, 'D')}"
        )
    offset = pd.offsets.FY5253(weekday=fiscal.week_day, startingMonth=fiscal.end_month, variation=fiscal.week_rule)
    # Year ends (inclusive last days) from the one before `lo` to the first on or after `hi`.
    first_end = offset.rollback(pd.Timestamp(lo) - pd.Timedelta(days=1))
    ends = pd.date_range(first_end, offset.rollforward(pd.Timestamp(hi) - pd.Timedelta(days=1)), freq=offset)
    edges = (ends + pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]")
    # 'nearest' years may end a few days into the next month: label by the
    # month the year nominally ends in, 3 days back from the last day.
    nominal = (ends[1:] - pd.Timedelta(days=3)).year
    labels = np.array([f"FY{y}" for y in nominal], dtype=object)
    return PeriodTable(edges[:-1], edges[1:], labels)
