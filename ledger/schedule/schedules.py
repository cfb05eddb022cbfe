"""Schedules of many agreements at any grain, as DataFrames: the kernel fed from agreement tables.

Input frames (as the repository loads them, or as tests build them):

- agreements: `agreement_id`, `currency`, `start_date`, `end_date` (inclusive),
  `amount_minor`, `profile`, `basis`, and for fiscal years the calendar
  column named by the caller (a FiscalCalendar spec such as `jun`);
- slices (tranches and ramps): `agreement_id`, `start_date`, `end_date`
  (inclusive), `amount_minor`.

Agreements with an undisclosed amount have no schedule, and neither have cancelled ones
(`SCHEDULED_STATUSES`, the one status rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.domain.agreements import SCHEDULED_STATUSES, Basis, Profile
from ledger.domain.calendars import CALENDAR_YEAR, FiscalCalendar, Grain, calendar_periods
from ledger.domain.dates import DateArray
from ledger.schedule.kernel import (
    Lines,
    Periods,
    SliceArrays,
    amortize,
    contract_piece_periods,
    contract_year_periods,
)

SCHEDULE_COLUMNS = ["agreement_id", "period", "period_start", "period_end", "amount_minor", "currency"]
_DAY = np.timedelta64(1, "D")


def _days(column: pd.Series) -> DateArray:
    days: DateArray = column.to_numpy(dtype="datetime64[D]")
    return days


def has_schedule(agreements: pd.DataFrame) -> np.ndarray:
    """Which agreements have a schedule: a disclosed amount and a status that is not cancelled."""
    keep = agreements["amount_minor"].notna().to_numpy(dtype=bool, copy=True)
    if "status" in agreements:
        keep &= agreements["status"].isin(SCHEDULED_STATUSES).to_numpy(dtype=bool)
    return keep


def disclosed(agreements: pd.DataFrame) -> pd.DataFrame:
    """The agreements that have a schedule (`has_schedule`), renumbered 0..n-1."""
    return agreements[has_schedule(agreements)].reset_index(drop=True)


def slice_arrays(agreements: pd.DataFrame, slices: pd.DataFrame) -> SliceArrays:
    """One slice per straight-line agreement, the stored slices for tranches and ramps; owner = row position."""
    position = np.arange(len(agreements), dtype=np.int64)
    straight = (agreements["profile"] == Profile.STRAIGHT_LINE.value).to_numpy()
    daily = (agreements["basis"] == Basis.DAILY.value).to_numpy()
    by_key = pd.Series(position, index=agreements["agreement_id"].to_numpy())
    sliced = slices[slices["agreement_id"].isin(by_key.index)]
    sliced_owner = by_key.loc[sliced["agreement_id"].to_numpy()].to_numpy(dtype=np.int64)
    return SliceArrays.build(
        owner=np.concatenate([position[straight], sliced_owner]),
        start=np.concatenate([_days(agreements["start_date"])[straight], _days(sliced["start_date"])]),
        end=np.concatenate([_days(agreements["end_date"])[straight], _days(sliced["end_date"])]) + _DAY,
        amount=np.concatenate(
            [agreements["amount_minor"].to_numpy(dtype=np.int64)[straight], sliced["amount_minor"].to_numpy(np.int64)]
        ),
        daily=np.concatenate([daily[straight], daily[sliced_owner]]),
    )


def periods_for(
    grain: Grain, agreements: pd.DataFrame, slices: SliceArrays, calendars: Sequence[FiscalCalendar] | None = None
) -> tuple[Periods, np.ndarray]:
    """The periods to report in, and the calendar index of each slice.

    `calendars[i]` is agreement i's fiscal calendar (fiscal years only; the
    calendar year when omitted).
    """
    if len(slices) == 0:
        return Periods.stack([]), np.zeros(0, np.int64)
    if grain is Grain.CONTRACT_YEAR:
        start = _days(agreements["start_date"])
        end: DateArray = _days(agreements["end_date"]) + _DAY
        return contract_year_periods(start, end), slices.owner
    lo, hi = slices.start.min(), slices.end.max()
    if grain is not Grain.FISCAL_YEAR or calendars is None:
        return Periods.single(calendar_periods(grain, lo, hi, CALENDAR_YEAR)), np.zeros(len(slices), np.int64)
    distinct = list(dict.fromkeys(calendars))
    index = {calendar: i for i, calendar in enumerate(distinct)}
    per_agreement = np.array([index[c] for c in calendars], dtype=np.int64)
    tables = [calendar_periods(grain, lo, hi, calendar) for calendar in distinct]
    return Periods.stack(tables), per_agreement[slices.owner]


@dataclass(frozen=True)
class Prepared:
    """Kernel inputs for a set of agreements at one grain (owner i = row i of `agreements`)."""

    agreements: pd.DataFrame  # the disclosed agreements, renumbered 0..n-1
    pieces: SliceArrays
    periods: Periods
    slice_calendar: np.ndarray


def prepare(
    agreements: pd.DataFrame,
    slices: pd.DataFrame,
    grain: Grain,
    calendars: Sequence[FiscalCalendar] | None = None,
) -> Prepared:
    """Slices and periods of every disclosed agreement (`calendars[i]`: agreement i's fiscal calendar)."""
    keep = has_schedule(agreements)
    if calendars is not None:
        calendars = [c for c, k in zip(calendars, keep, strict=True) if k]
    agreements = agreements[keep].reset_index(drop=True)
    pieces = slice_arrays(agreements, slices)
    periods, slice_calendar = periods_for(grain, agreements, pieces, calendars)
    return Prepared(agreements, pieces, periods, slice_calendar)


def prepare_pieces(agreements: pd.DataFrame, slices: pd.DataFrame) -> Prepared:
    """Kernel inputs at the grain of contract pieces (`contract_piece_periods`): calendar months cut at each
    term's monthly anniversaries, labelled by contract year (calendar i is agreement i)."""
    agreements = disclosed(agreements)
    pieces = slice_arrays(agreements, slices)
    start = _days(agreements["start_date"])
    end: DateArray = _days(agreements["end_date"]) + _DAY
    return Prepared(agreements, pieces, contract_piece_periods(start, end), pieces.owner)


def schedule_frame(
    agreements: pd.DataFrame,
    slices: pd.DataFrame,
    grain: Grain,
    calendars: Sequence[FiscalCalendar] | None = None,
) -> pd.DataFrame:
    """Schedule lines of every disclosed agreement at `grain`: SCHEDULE_COLUMNS, period_end inclusive."""
    ready = prepare(agreements, slices, grain, calendars)
    lines = amortize(ready.pieces, ready.periods, ready.slice_calendar)
    return lines_frame(lines, ready.periods, ready.agreements)


def lines_frame(lines: Lines, periods: Periods, agreements: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "agreement_id": agreements["agreement_id"].to_numpy(dtype=object)[lines.owner],
            "period": periods.label[lines.period],
            "period_start": periods.start[lines.period],
            "period_end": periods.end[lines.period] - _DAY,
            "amount_minor": lines.amount,
            "currency": agreements["currency"].to_numpy(dtype=object)[lines.owner],
        },
        columns=SCHEDULE_COLUMNS,
    )
