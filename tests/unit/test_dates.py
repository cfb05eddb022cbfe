"""Month arithmetic: keep the day, clamp to the month's end; arrays and scalars agree."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.dates import add_months, add_months_array, day_of_month, days_in_month, month_index, months_before

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 8, 31), 1, D(2025, 9, 30)),
        (D(2025, 11, 3), 84, D(2032, 11, 3)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected
    assert add_months_array(np.array([start], "datetime64[D]"), np.array([months]))[0] == np.datetime64(expected)


dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))


@given(st.lists(st.tuples(dates, st.integers(-600, 600)), min_size=1, max_size=30))
def test_array_and_scalar_add_months_agree(cases: list[tuple[dt.date, int]]) -> None:
    days = np.array([d for d, _ in cases], dtype="datetime64[D]")
    months = np.array([m for _, m in cases])
    got = add_months_array(days, months).astype(object).tolist()
    assert got == [add_months(d, m) for d, m in cases]


@given(dates, st.integers(0, 400))
def test_months_before_counts_anniversaries_strictly_before(start: dt.date, n: int) -> None:
    when = add_months(start, n)
    s = np.array([start], "datetime64[D]")
    assert months_before(s, np.array([when], "datetime64[D]"))[0] == n
    assert months_before(s, np.array([when + dt.timedelta(days=1)], "datetime64[D]"))[0] == n + 1
    brute = sum(1 for k in range(n + 2) if add_months(start, k) < when)
    assert brute == n


def test_calendar_helpers() -> None:
    days = np.array(["2024-02-29", "1970-01-01", "2025-12-31"], dtype="datetime64[D]")
    assert month_index(days).tolist() == [(2024 - 1970) * 12 + 1, 0, (2025 - 1970) * 12 + 11]
    assert day_of_month(days).tolist() == [29, 1, 31]
    assert days_in_month(month_index(days)).tolist() == [29, 31, 31]
