"""Date arithmetic on months, for single dates and for numpy arrays of datetime64[D].

The rule users rely on: adding months keeps the day of the month and clamps to
the last day of the target month (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap
year). The scalar and array versions implement the same rule (a property test
keeps them equal).
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import numpy.typing as npt

DateArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]

ONE_DAY = dt.timedelta(days=1)

# The supported range: every date read from a file (agreement terms, tranches, announcements,
# valuations, charges) lies in it, and a term ends by LAST_DAY. It leaves room on both sides for
# what is computed from those dates: fiscal years reach past a term's end (at most a year and a
# week), 52/53-week years are computed with pandas timestamps (1677-09-22 to 2262-04-11), and
# nothing comes near the year 9999 where Python's dates end.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
RANGE_EXPECTED = f"a date from {FIRST_DAY} to {LAST_DAY} (the ledger's supported range)"


def in_range(day: dt.date) -> bool:
    """Whether `day` lies in the supported range [FIRST_DAY, LAST_DAY]."""
    return FIRST_DAY <= day <= LAST_DAY


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months` calendar months, clamped to the end of the target month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = 29 if month0 == 1 and calendar.isleap(year) else _MONTH_DAYS[month0]
    return dt.date(year, month0 + 1, min(day.day, last))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_index(days: DateArray) -> IntArray:
    """Months since 1970-01 for each date (1970-01 -> 0)."""
    return days.astype("datetime64[M]").astype(np.int64)


def month_first_day(months: IntArray) -> DateArray:
    """First day of each month index."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")


def day_of_month(days: DateArray) -> IntArray:
    """Day of the month, 1-based."""
    offset: IntArray = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    return offset + 1


def days_in_month(months: IntArray) -> IntArray:
    """Number of days in each month index."""
    months = np.asarray(months, dtype=np.int64)
    return (month_first_day(months + 1) - month_first_day(months)).astype(np.int64)


def add_months_array(days: DateArray, months: IntArray) -> DateArray:
    """Vectorized `add_months`: keep the day of the month, clamp to the month's end."""
    target = month_index(days) + np.asarray(months, dtype=np.int64)
    day = np.minimum(day_of_month(days), days_in_month(target))
    moved: DateArray = month_first_day(target) + (day - 1).astype("timedelta64[D]")
    return moved


def months_before(start: DateArray, when: DateArray) -> IntArray:
    """How many of the dates start, start+1 month, start+2 months, ... fall before `when`.

    0 when `when` <= start. This counts monthly instalments dated strictly
    before `when`; with `when = add_months(start, n)` it is exactly n.
    """
    k = month_index(when) - month_index(start)
    anniversary_day = np.minimum(day_of_month(start), days_in_month(month_index(when)))
    count: IntArray = np.maximum(k + (day_of_month(when) > anniversary_day), 0)
    return count


def anniversary_periods(
    start: DateArray, end: DateArray, step_months: int
) -> tuple[IntArray, IntArray, DateArray, DateArray]:
    """The one definition of a term's periods: contract years (step 12), quarters (3) and months (1).

    Period j (0-based) of term i is [add_months(start, step*j), add_months(start, step*(j+1))), always
    counted from the term's own start (so a 29 February start keeps the 29th where a month has one),
    the last period cut at the term's end. Returns (term index, j, period start, period end), sorted
    by term and j. Schedules, burn periods, minimums and the FOCUS export all build periods here.
    """
    start = np.asarray(start, "datetime64[D]")
    end = np.asarray(end, "datetime64[D]")
    counts = (months_before(start, end) + step_months - 1) // step_months
    owner = np.repeat(np.arange(len(start), dtype=np.int64), counts)
    j = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    begins = add_months_array(start[owner], step_months * j)
    ends = np.minimum(add_months_array(start[owner], step_months * (j + 1)), end[owner])
    return owner, j, begins, ends


CONTRACT_YEAR_MONTHS = 12


def contract_years(start: DateArray, end: DateArray) -> tuple[IntArray, IntArray, DateArray, DateArray]:
    """The contract years of terms [start, end): anniversaries of the start, the last year cut at the end
    (`anniversary_periods` of 12 months). Tranches, ramps, schedules and burn all count years here."""
    return anniversary_periods(start, end, CONTRACT_YEAR_MONTHS)
