"""Reporting calendars: labels, fiscal years by end month, 52/53-week years."""

import datetime as dt

import numpy as np
import pytest

from ledger.domain.calendars import CALENDAR_YEAR, FiscalCalendar, Grain, calendar_periods

D = dt.date


def _table(grain: Grain, lo: dt.date, hi: dt.date, fiscal: FiscalCalendar = CALENDAR_YEAR):  # type: ignore[no-untyped-def]
    table = calendar_periods(grain, lo, hi, fiscal)
    return list(
        zip(table.label.tolist(), table.start.astype(object).tolist(), table.end.astype(object).tolist(), strict=True)
    )


def test_months_quarters_years_cover_the_range() -> None:
    assert _table(Grain.MONTH, D(2026, 1, 15), D(2026, 3, 2)) == [
        ("2026-01", D(2026, 1, 1), D(2026, 2, 1)),
        ("2026-02", D(2026, 2, 1), D(2026, 3, 1)),
        ("2026-03", D(2026, 3, 1), D(2026, 4, 1)),
    ]
    assert [p[0] for p in _table(Grain.QUARTER, D(2025, 12, 31), D(2026, 4, 2))] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert _table(Grain.YEAR, D(2026, 3, 1), D(2027, 1, 1)) == [("2026", D(2026, 1, 1), D(2027, 1, 1))]


def test_fiscal_year_is_labelled_by_the_year_it_ends() -> None:
    july_start = FiscalCalendar.parse("jun")  # Microsoft: FY2027 = Jul 2026 - Jun 2027
    assert _table(Grain.FISCAL_YEAR, D(2026, 7, 1), D(2027, 7, 1), july_start) == [
        ("FY2027", D(2026, 7, 1), D(2027, 7, 1))
    ]
    assert [p[0] for p in _table(Grain.FISCAL_YEAR, D(2026, 6, 30), D(2026, 7, 2), july_start)] == ["FY2026", "FY2027"]
    assert _table(Grain.FISCAL_YEAR, D(2026, 1, 1), D(2026, 2, 1)) == [("FY2026", D(2026, 1, 1), D(2027, 1, 1))]


def test_nvidia_52_53_week_year() -> None:
    nvidia = FiscalCalendar.parse("52-53:jan:sun:last")
    periods = _table(Grain.FISCAL_YEAR, D(2025, 6, 1), D(2027, 6, 1), nvidia)
    # FY2026 ended Sunday 25 Jan 2026; FY2027 ends Sunday 31 Jan 2027 and has 53 weeks.
    assert periods[0] == ("FY2026", D(2025, 1, 27), D(2026, 1, 26))
    assert periods[1] == ("FY2027", D(2026, 1, 26), D(2027, 2, 1))
    assert (periods[1][2] - periods[1][1]).days == 53 * 7
    assert periods[2][0] == "FY2028"


def test_nearest_rule_labels_by_nominal_month() -> None:
    broadcom = FiscalCalendar.parse("52-53:oct:sun:nearest")
    periods = _table(Grain.FISCAL_YEAR, D(2024, 6, 1), D(2024, 12, 1), broadcom)
    # Broadcom's FY2024 ended Sunday 3 Nov 2024, a few days past October.
    assert periods[0] == ("FY2024", D(2023, 10, 30), D(2024, 11, 4))
    assert periods[1][0] == "FY2025"


@pytest.mark.parametrize("spec", ["dec", "jun", "52-53:jan:sun:last", "52-53:oct:sun:nearest", "52-53:dec:sat:last"])
def test_spec_round_trip(spec: str) -> None:
    assert str(FiscalCalendar.parse(spec)) == spec


@pytest.mark.parametrize("spec", ["june", "13", "52-53:jan:sunday:last", "52-53:jan:sun", "52-53:foo:sun:last", ""])
def test_bad_specs_say_what_is_expected(spec: str) -> None:
    with pytest.raises(ValueError, match="fiscal calendar like"):
        FiscalCalendar.parse(spec)


def test_periods_are_contiguous() -> None:
    for grain in (Grain.MONTH, Grain.QUARTER, Grain.YEAR, Grain.FISCAL_YEAR):
        table = calendar_periods(grain, D(2019, 5, 17), D(2031, 2, 3), FiscalCalendar.parse("52-53:jan:sun:last"))
        assert np.all(table.end[:-1] == table.start[1:])
        assert table.start[0] <= np.datetime64("2019-05-17") and table.end[-1] >= np.datetime64("2031-02-03")
