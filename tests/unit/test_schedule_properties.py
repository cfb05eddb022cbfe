"""Property tests of the one rounding rule: tie-out at every grain, rollups, leap years, month ends, fiscal years.

The kernel is checked against a slow reference written straight from the
README's definition (instalment dates for `monthly`, day counts for `daily`),
in Python integers, which cannot overflow.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.calendars import FiscalCalendar, Grain, calendar_periods
from ledger.domain.dates import add_months
from ledger.domain.money import MAX_MINOR
from ledger.schedule.schedules import schedule_frame

NO_SLICES = pd.DataFrame({"agreement_id": [], "start_date": [], "end_date": [], "amount_minor": []})


@st.composite
def agreements(draw: st.DrawFn) -> tuple[int, dt.date, dt.date, str]:
    """(total, start, end exclusive, basis) with month-end and leap-day starts favoured."""
    total = draw(st.one_of(st.integers(0, 10_000), st.integers(0, MAX_MINOR)))
    start = draw(
        st.one_of(
            st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)),
            st.sampled_from([dt.date(2024, 2, 29), dt.date(2025, 1, 31), dt.date(2025, 8, 31), dt.date(2027, 12, 31)]),
        )
    )
    basis = draw(st.sampled_from(["monthly", "daily"]))
    if draw(st.booleans()):
        end = add_months(start, draw(st.integers(1, 180)))
    else:
        end = start + dt.timedelta(days=draw(st.integers(1, 3000)))
    return total, start, end, basis


def reference_cumulative(total: int, start: dt.date, end: dt.date, basis: str, when: dt.date) -> int:
    if basis == "daily":
        whole = (end - start).days
        elapsed = min(max((when - start).days, 0), whole)
        return total * elapsed // whole
    dates = []
    k = 0
    while (d := add_months(start, k)) < end:
        dates.append(d)
        k += 1
    return total * sum(1 for d in dates if d < when) // len(dates)


def kernel(rows: list[tuple[int, dt.date, dt.date, str]], grain: Grain, calendar: FiscalCalendar | None = None):  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "agreement_id": [f"A{i:03d}" for i in range(len(rows))],
            "amount_minor": pd.array([r[0] for r in rows], dtype="Int64"),
            "currency": "USD",
            "start_date": np.array([r[1] for r in rows], dtype="datetime64[D]"),
            "end_date": np.array([r[2] - dt.timedelta(days=1) for r in rows], dtype="datetime64[D]"),
            "profile": "straight_line",
            "basis": [r[3] for r in rows],
        }
    )
    calendars = [calendar] * len(rows) if calendar else None
    return schedule_frame(frame, NO_SLICES, grain, calendars)


def totals(out: pd.DataFrame) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for key, amount in zip(out["agreement_id"], out["amount_minor"].tolist(), strict=True):
        sums[key] += amount
    return dict(sums)


fiscal_calendars = st.one_of(
    st.integers(1, 12).map(FiscalCalendar),
    st.builds(FiscalCalendar, st.integers(1, 12), st.integers(0, 6), st.sampled_from(["last", "nearest"])),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(agreements(), min_size=1, max_size=6), fiscal_calendars)
def test_every_grain_ties_out_to_the_amount(
    rows: list[tuple[int, dt.date, dt.date, str]], fiscal: FiscalCalendar
) -> None:
    expected = {f"A{i:03d}": r[0] for i, r in enumerate(rows) if r[0]}
    for grain in Grain:
        out = kernel(rows, grain, fiscal)
        assert totals(out) == expected, grain
        assert (out["amount_minor"] > 0).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(agreements(), min_size=1, max_size=4))
def test_months_match_the_reference_definition(rows: list[tuple[int, dt.date, dt.date, str]]) -> None:
    out = kernel(rows, Grain.MONTH)
    got = {
        (k, p): a
        for k, p, a in zip(out["agreement_id"], out["period_start"], out["amount_minor"].tolist(), strict=True)
    }
    for i, (total, start, end, basis) in enumerate(rows):
        month = start.replace(day=1)
        while month < end:
            nxt = add_months(month, 1)
            lo, hi = max(month, start), min(nxt, end)
            amount = reference_cumulative(total, start, end, basis, hi) - reference_cumulative(
                total, start, end, basis, lo
            )
            assert got.get((f"A{i:03d}", pd.Timestamp(month)), 0) == amount
            month = nxt


@settings(max_examples=100, deadline=None)
@given(st.lists(agreements(), min_size=1, max_size=5), st.integers(1, 12))
def test_coarser_periods_are_sums_of_months(rows: list[tuple[int, dt.date, dt.date, str]], end_month: int) -> None:
    months = kernel(rows, Grain.MONTH)
    month_start = months["period_start"].dt
    keys = {
        Grain.QUARTER: month_start.year.astype(str) + "-Q" + ((month_start.month + 2) // 3).astype(str),
        Grain.YEAR: month_start.year.astype(str),
        Grain.FISCAL_YEAR: "FY"
        + (month_start.year + (month_start.month > end_month % 12 if end_month != 12 else 0)).astype(str),
    }
    for grain, key in keys.items():
        rolled = months.assign(period=key).groupby(["agreement_id", "period"])["amount_minor"].sum()
        direct = kernel(rows, grain, FiscalCalendar(end_month)).set_index(["agreement_id", "period"])["amount_minor"]
        assert rolled.sort_index().to_dict() == direct.sort_index().to_dict(), grain


@settings(max_examples=100, deadline=None)
@given(agreements(), fiscal_calendars)
def test_any_boundary_matches_the_reference(row: tuple[int, dt.date, dt.date, str], fiscal: FiscalCalendar) -> None:
    """Contract years and 52/53-week years cut months; they still follow C(b) - C(a)."""
    total, start, end, basis = row
    for grain in (Grain.CONTRACT_YEAR, Grain.FISCAL_YEAR):
        out = kernel([row], grain, fiscal)
        for period_start, period_end, amount in zip(
            out["period_start"], out["period_end"], out["amount_minor"], strict=True
        ):
            lo = max(period_start.date(), start)
            hi = min(period_end.date() + dt.timedelta(days=1), end)
            want = reference_cumulative(total, start, end, basis, hi) - reference_cumulative(
                total, start, end, basis, lo
            )
            assert amount == want


@settings(max_examples=60, deadline=None)
@given(fiscal_calendars, st.dates(dt.date(1950, 1, 1), dt.date(2150, 1, 1)), st.integers(1, 20_000))
def test_fiscal_years_partition_time(fiscal: FiscalCalendar, lo: dt.date, days: int) -> None:
    table = calendar_periods(Grain.FISCAL_YEAR, lo, lo + dt.timedelta(days=days), fiscal)
    assert np.all(table.end[:-1] == table.start[1:])
    lengths = (table.end - table.start).astype(int)
    labels = [int(label[2:]) for label in table.label]
    assert labels == list(range(labels[0], labels[0] + len(labels)))  # one label per year, no gaps
    if fiscal.is_52_53_week:
        assert set(lengths.tolist()) <= {364, 371}
        last_days = (table.end - np.timedelta64(1, "D")).astype(object)
        assert {d.weekday() for d in last_days} == {fiscal.week_day}
    else:
        assert set(lengths.tolist()) <= {365, 366}
        assert all((d - dt.timedelta(days=1)).month == fiscal.end_month for d in table.end.astype(object))
