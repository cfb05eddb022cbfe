"""The amortization kernel on hand-checked cases (amounts in minor units)."""

import datetime as dt

import numpy as np
import pandas as pd

from ledger.domain.calendars import FiscalCalendar, Grain
from ledger.domain.money import split_by_weights
from ledger.io.readers import read_records
from ledger.schedule.kernel import Periods, SliceArrays, amortize, contract_year_periods, cumulative
from ledger.schedule.schedules import schedule_frame

D = dt.date


def frame(*rows: tuple[str, int | None, str, str, str]) -> pd.DataFrame:
    """(agreement_id, amount_minor, start, last day, basis) -> an agreements frame."""
    return pd.DataFrame(
        {
            "agreement_id": [r[0] for r in rows],
            "amount_minor": pd.array([r[1] for r in rows], dtype="Int64"),
            "currency": "USD",
            "start_date": np.array([r[2] for r in rows], dtype="datetime64[D]"),
            "end_date": np.array([r[3] for r in rows], dtype="datetime64[D]"),
            "profile": "straight_line",
            "basis": [r[4] for r in rows],
        }
    )


NO_SLICES = pd.DataFrame({"agreement_id": [], "start_date": [], "end_date": [], "amount_minor": []})


def lines(agreements: pd.DataFrame, grain: Grain, slices: pd.DataFrame = NO_SLICES, calendars=None) -> list[tuple]:  # type: ignore[no-untyped-def]
    out = schedule_frame(agreements, slices, grain, calendars)
    return list(zip(out["agreement_id"], out["period"], out["amount_minor"].tolist(), strict=True))


def test_monthly_instalments_follow_the_floor_rule() -> None:
    # $100.00 over 3 months: C(k) = floor(10000 k / 3) = 3333, 6666, 10000.
    got = lines(frame(("A", 10000, "2026-01-15", "2026-04-14", "monthly")), Grain.MONTH)
    assert got == [("A", "2026-01", 3333), ("A", "2026-02", 3333), ("A", "2026-03", 3334)]


def test_month_end_start_keeps_one_instalment_per_month() -> None:
    # Instalments on Jan 31, Feb 28, Mar 31, Apr 30.
    got = lines(frame(("A", 400, "2026-01-31", "2026-05-30", "monthly")), Grain.MONTH)
    assert got == [("A", "2026-01", 100), ("A", "2026-02", 100), ("A", "2026-03", 100), ("A", "2026-04", 100)]


def test_daily_basis_splits_by_days() -> None:
    # $310.00 over [Jan 16, Feb 16): 16 days in January, 15 in February.
    got = lines(frame(("A", 31000, "2026-01-16", "2026-02-15", "daily")), Grain.MONTH)
    assert got == [("A", "2026-01", 16000), ("A", "2026-02", 15000)]


def test_daily_basis_in_a_leap_year() -> None:
    got = lines(frame(("A", 36600, "2024-01-01", "2024-12-31", "daily")), Grain.MONTH)
    assert [a for _, _, a in got] == [3100, 2900, 3100, 3000, 3100, 3000, 3100, 3100, 3000, 3100, 3000, 3100]


def test_founding_example_yearly() -> None:
    agreements = frame(
        ("OAI-AWS-2025-11", 3_800_000_000_000, "2025-11-01", "2032-10-31", "monthly"),
        ("OAI-AWS-2026-02", 10_000_000_000_000, "2026-03-01", "2034-02-28", "monthly"),
    )
    got = lines(agreements, Grain.YEAR)
    by_id: dict[str, list[int]] = {}
    for key, _, amount in got:
        by_id.setdefault(key, []).append(amount)
    # 84 instalments of $38B: 2 in 2025, 12 a year, 10 in 2032.
    assert by_id["OAI-AWS-2025-11"][0] == 3_800_000_000_000 * 2 // 84
    assert sum(by_id["OAI-AWS-2025-11"]) == 3_800_000_000_000
    # 96 instalments of $100B from March 2026: 10 in 2026, 12 a year, 2 in 2034.
    assert by_id["OAI-AWS-2026-02"] == [1_041_666_666_666] + [1_250_000_000_000] * 7 + [208_333_333_334]


def test_amounts_near_the_bound_stay_exact() -> None:
    total = 10**17 - 1
    got = lines(frame(("BIG", total, "2026-01-01", "2026-07-31", "monthly")), Grain.MONTH)
    expected = [total * (k + 1) // 7 - total * k // 7 for k in range(7)]
    assert [a for _, _, a in got] == expected
    daily = lines(frame(("BIG", total, "2026-01-01", "2035-12-31", "daily")), Grain.YEAR)
    assert sum(a for _, _, a in daily) == total


def test_tranches_per_contract_year() -> None:
    agreements = frame(("T", 36000, "2026-07-01", "2028-06-30", "monthly")).assign(profile="tranches")
    slices = pd.DataFrame(
        {
            "agreement_id": ["T", "T"],
            "start_date": np.array(["2026-07-01", "2027-07-01"], dtype="datetime64[D]"),
            "end_date": np.array(["2027-06-30", "2028-06-30"], dtype="datetime64[D]"),
            "amount_minor": [12000, 24000],
        }
    )
    assert lines(agreements, Grain.YEAR, slices) == [("T", "2026", 6000), ("T", "2027", 18000), ("T", "2028", 12000)]
    assert lines(agreements, Grain.CONTRACT_YEAR, slices) == [("T", "CY1", 12000), ("T", "CY2", 24000)]


def test_linear_ramp_weights() -> None:
    entry = {"agreement_id": "R", "kind": "cloud_commitment", "payer": "P", "payee": "Q", "amount": "6.00"}
    entry |= {"currency": "USD", "start_date": "2026-01-01", "term_months": 36, "profile": "ramp"}
    parts = read_records("ramp", agreements=[entry]).batch.slices
    assert parts["amount_minor"].tolist() == [100, 200, 300]
    assert parts["weight"].tolist() == [1, 2, 3]
    assert split_by_weights(100, [1, 1, 1]) == [33, 33, 34]


def test_contract_years_cut_at_the_term_end() -> None:
    periods = contract_year_periods(
        np.array(["2025-11-03"], "datetime64[D]"), np.array(["2027-02-01"], "datetime64[D]")
    )
    assert periods.label.tolist() == ["CY1", "CY2"]
    assert periods.start.astype(str).tolist() == ["2025-11-03", "2026-11-03"]
    assert periods.end.astype(str).tolist() == ["2026-11-03", "2027-02-01"]


def test_fiscal_year_per_agreement_calendar() -> None:
    agreements = frame(
        ("A", 1200, "2026-01-01", "2026-12-31", "monthly"), ("B", 1200, "2026-01-01", "2026-12-31", "monthly")
    )
    got = lines(agreements, Grain.FISCAL_YEAR, calendars=[FiscalCalendar.parse("jun"), FiscalCalendar()])
    assert got == [("A", "FY2026", 600), ("A", "FY2027", 600), ("B", "FY2026", 1200)]


def test_undisclosed_agreements_have_no_lines() -> None:
    assert lines(frame(("U", None, "2026-01-01", "2026-12-31", "monthly")), Grain.YEAR) == []


def test_slices_meeting_inside_a_period_are_merged() -> None:
    slices = SliceArrays.build(
        [0, 0], ["2026-01-01", "2026-01-16"], ["2026-01-16", "2026-02-01"], [100, 200], [True, True]
    )
    from ledger.domain.calendars import calendar_periods

    periods = Periods.single(calendar_periods(Grain.MONTH, D(2026, 1, 1), D(2026, 2, 1)))
    out = amortize(slices, periods)
    assert out.owner.tolist() == [0] and out.amount.tolist() == [300]


def test_cumulative_at_points() -> None:
    slices = SliceArrays.build(
        [0, 1], ["2026-01-15", "2026-01-15"], ["2026-04-15", "2026-04-15"], [10000, 9000], [False, True]
    )
    when = np.array(["2026-02-15", "2026-02-15"], dtype="datetime64[D]")
    # monthly: instalments Jan 15 only are before Feb 15 -> floor(10000/3); daily: 31 of 90 days.
    assert cumulative(slices, when).tolist() == [3333, 9000 * 31 // 90]


def test_blocks_do_not_change_the_result(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The kernel works in blocks of lines; owners with several slices never straddle two blocks."""
    from ledger.domain.calendars import calendar_periods
    from ledger.schedule import kernel

    rng = np.random.default_rng(3)
    n = 300
    owner = np.sort(rng.integers(0, 120, n))
    start = np.datetime64("2024-01-01") + rng.integers(0, 2000, n).astype("timedelta64[D]")
    order = np.lexsort((start, owner))
    owner, start = owner[order], start[order]
    end = start + rng.integers(1, 400, n).astype("timedelta64[D]")
    # slices of one owner must not overlap: shift each after the previous one of its owner
    for i in range(1, n):
        if owner[i] == owner[i - 1] and start[i] < end[i - 1]:
            length = end[i] - start[i]
            start[i] = end[i - 1]
            end[i] = start[i] + length
    slices = SliceArrays.build(owner, start, end, rng.integers(0, 10**9, n), rng.random(n) < 0.5)
    periods = Periods.single(calendar_periods(Grain.MONTH, slices.start.min(), slices.end.max()))
    whole = amortize(slices, periods)
    monkeypatch.setattr(kernel, "CHUNK_LINES", 7)
    blocked = amortize(slices, periods)
    for name in ("owner", "period", "amount"):
        assert getattr(blocked, name).tolist() == getattr(whole, name).tolist()
    assert np.bincount(whole.owner, minlength=120).sum() == len(whole)


def test_cut_keeps_what_accrued_before_and_its_timing() -> None:
    from ledger.domain.calendars import calendar_periods

    # $120.00 monthly over 12 months from Jan 2026, cut on 2026-07-15: Jan..Jul instalments remain.
    slices = SliceArrays.build([0], ["2026-01-01"], ["2027-01-01"], [12000], [False], until=["2026-07-15"])
    periods = Periods.single(calendar_periods(Grain.MONTH, D(2026, 1, 1), D(2027, 1, 1)))
    out = amortize(slices, periods)
    assert out.amount.tolist() == [1000] * 7 and periods.label[out.period].tolist()[-1] == "2026-07"
    daily = SliceArrays.build([0], ["2026-01-01"], ["2026-01-11"], [1000], [True], until=["2026-01-04"])
    assert cumulative(daily, np.array(["2026-01-11"], "datetime64[D]")).tolist() == [300]
    restated = SliceArrays.build([0], ["2026-01-01"], ["2027-01-01"], [12000], [False], until=["2025-06-01"])
    assert len(amortize(restated, periods)) == 0
