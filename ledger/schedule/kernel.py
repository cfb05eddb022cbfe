"""The amortization kernel: spreads many agreements' slices over periods at once, on int64 minor units.

The one rounding rule (ledger.domain.money.floor_share): the amount accrued by a
boundary date d is C(d) = floor(T * elapsed(d) / whole), and a period [a, b)
receives C(b) - C(a).
`elapsed/whole` counts monthly instalments (basis `monthly`: instalment k is
dated start + k months) or days (basis `daily`). Because every period is a
difference of the same cumulative function, every grain ties out to T exactly
and coarser periods equal the sums of finer ones.

T can reach 10^17 minor units, so T * elapsed would overflow int64; the rule is
computed split, floor(T * e / W) = (T // W) * e + ((T % W) * e) // W, where the
second product is below W^2 (W is at most a few thousand days). The kernel splits
each slice's T once and evaluates the rule at every edge (`share_of`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ledger.domain.calendars import PeriodTable
from ledger.domain.dates import (
    CONTRACT_YEAR_MONTHS,
    DateArray,
    IntArray,
    anniversary_periods,
    contract_years,
    day_of_month,
    days_in_month,
    month_first_day,
    month_index,
    months_before,
)
from ledger.domain.money import floor_share, minor_array, share_of, split_total

BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

_DAY = np.timedelta64(1, "D")
# Period lookups search one sorted key per (calendar, date): calendar * _SPAN + day.
_SPAN = np.int64(2**26)
_HALF = np.int64(2**25)


@dataclass(frozen=True)
class SliceArrays:
    """Struct of arrays: slice i belongs to agreement `owner[i]` and spreads `amount[i]` over [start, end).

    `until[i]`, when given, cuts the slice there: nothing accrues from that
    date on, and what accrued before keeps its timing (a superseded remainder
    is removed this way). Slices of one owner must not overlap; they are kept
    sorted by (owner, start).
    """

    owner: IntArray
    start: DateArray
    end: DateArray
    amount: IntArray
    daily: BoolArray
    until: DateArray | None = None

    @classmethod
    def build(
        cls, owner: object, start: object, end: object, amount: object, daily: object, until: object = None
    ) -> SliceArrays:
        o = np.asarray(owner, dtype=np.int64)
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        a = minor_array(amount)
        d = np.asarray(daily, dtype=bool)
        u = None if until is None else np.asarray(until, dtype="datetime64[D]")
        if len(o) and np.any(e <= s):
            raise ValueError("every slice must end after it starts")
        if len(o) and np.any(a < 0):
            raise ValueError("slice amounts must be non-negative")
        built = cls(o, s, e, a, d, u)
        order = np.lexsort((s, o))
        return built if np.all(order == np.arange(len(o))) else built.take(order)

    def __len__(self) -> int:
        return len(self.owner)

    def take(self, index: IntArray) -> SliceArrays:
        until = None if self.until is None else self.until[index]
        return SliceArrays(
            self.owner[index], self.start[index], self.end[index], self.amount[index], self.daily[index], until
        )


@dataclass(frozen=True)
class Periods:
    """Contiguous periods of one or more calendars; period i belongs to calendar `calendar[i]`.

    Rows are sorted by (calendar, start); within a calendar, end[i] == start[i + 1].
    """

    calendar: IntArray
    start: DateArray
    end: DateArray
    label: ObjArray

    @classmethod
    def single(cls, table: PeriodTable) -> Periods:
        return cls.stack([table])

    @classmethod
    def stack(cls, tables: Sequence[PeriodTable]) -> Periods:
        """Calendar i is tables[i]."""
        sizes = [len(t) for t in tables]
        return cls(
            np.repeat(np.arange(len(tables), dtype=np.int64), sizes),
            np.concatenate([t.start for t in tables]) if tables else np.array([], "datetime64[D]"),
            np.concatenate([t.end for t in tables]) if tables else np.array([], "datetime64[D]"),
            np.concatenate([t.label for t in tables]) if tables else np.array([], object),
        )

    def __len__(self) -> int:
        return len(self.start)


@dataclass(frozen=True)
class Lines:
    """Schedule lines: agreement `owner[i]` receives `amount[i]` in period `period[i]` (an index into Periods)."""

    owner: IntArray
    period: IntArray
    amount: IntArray

    def __len__(self) -> int:
        return len(self.owner)


def cumulative(slices: SliceArrays, when: DateArray) -> IntArray:
    """Amount of each slice accrued strictly before `when[i]` (the rounding rule's C), cuts included."""
    when = np.asarray(when, dtype="datetime64[D]")
    if slices.until is not None:
        when = np.minimum(when, slices.until)
    day_whole = (slices.end - slices.start).astype(np.int64)
    day_elapsed = np.clip((when - slices.start).astype(np.int64), 0, day_whole)
    month_whole = months_before(slices.start, slices.end)
    month_elapsed = np.minimum(months_before(slices.start, when), month_whole)
    elapsed = np.where(slices.daily, day_elapsed, month_elapsed)
    whole = np.where(slices.daily, day_whole, month_whole)
    return floor_share(slices.amount, elapsed, whole)


def _keys(calendar: IntArray, days: DateArray) -> IntArray:
    return calendar * _SPAN + days.astype(np.int64) + _HALF


def amortize(slices: SliceArrays, periods: Periods, slice_calendar: IntArray | None = None) -> Lines:
    """Spread every slice over the periods of its calendar; one line per (owner, period) with a non-zero amount.

    `slice_calendar[i]` names the calendar of slice i (all calendar 0 when omitted).
    The periods of each calendar must cover its slices' terms.
    """
    n = len(slices)
    calendar = np.zeros(n, np.int64) if slice_calendar is None else np.asarray(slice_calendar, np.int64)
    start_keys = _keys(periods.calendar, periods.start)
    first = np.searchsorted(start_keys, _keys(calendar, slices.start), side="right") - 1
    last = np.searchsorted(start_keys, _keys(calendar, slices.end - _DAY), side="right") - 1
    if n and (
        np.any(first < 0) or np.any(periods.calendar[first] != calendar) or np.any(periods.end[last] < slices.end)
    ):
        raise ValueError("the periods do not cover every slice's term")
    if n == 0:
        return Lines(*(np.array([], np.int64) for _ in range(3)))
    terms = _SliceTerms.of(slices)
    edge = _Edges.of(periods.end)
    # Work through the slices in blocks of about CHUNK_LINES lines: the arrays
    # stay in cache and are reused, instead of a dozen gigabyte-sized
    # temporaries. Blocks end where an owner ends, so merging stays within one.
    counts = last - first + 1
    ends = np.searchsorted(np.cumsum(counts), np.arange(CHUNK_LINES, int(counts.sum()), CHUNK_LINES))
    cuts = [0]
    for end in ends.tolist():
        while end < n and end > cuts[-1] and slices.owner[end] == slices.owner[end - 1]:
            end += 1
        if end > cuts[-1] and end < n:
            cuts.append(end)
    cuts.append(n)
    parts = [
        _amortize_block(slices.owner[a:b], terms[a:b], first[a:b], last[a:b], edge) for a, b in itertools.pairwise(cuts)
    ]
    return Lines(*(np.concatenate([getattr(p, name) for p in parts]) for name in ("owner", "period", "amount")))


CHUNK_LINES = 1 << 20


def _amortize_block(owner: IntArray, terms: _SliceTerms, first: IntArray, last: IntArray, edge: _Edges) -> Lines:
    counts = last - first + 1
    # Period index of each line: a run first[i], first[i] + 1, ..., last[i] per slice, built by a cumsum.
    heads = np.cumsum(counts) - counts
    step = np.ones(int(counts.sum()), dtype=np.int64)
    step[0] = first[0]
    step[heads[1:]] = first[1:] - last[:-1]
    period = np.cumsum(step)

    # Only the closing edge of each line is evaluated: a line's opening value is
    # the previous line's closing value (periods are contiguous), and 0 for a
    # slice's first line. Everything is int64 arithmetic on per-slice constants
    # repeated per line and per-period edge facts gathered per line.
    daily = np.repeat(terms.daily, counts)
    whole = np.repeat(terms.whole, counts)
    days = edge.day[period] - np.repeat(terms.start_day, counts)
    anniversary = np.minimum(np.repeat(terms.start_day_of_month, counts), edge.month_days[period])
    months = edge.month[period] - np.repeat(terms.start_month, counts) + (edge.day_of_month[period] > anniversary)
    elapsed = np.minimum(np.where(daily, days, months), np.repeat(terms.cap, counts))
    accrued = share_of(np.repeat(terms.quotient, counts), np.repeat(terms.remainder, counts), elapsed, whole)
    amount = np.empty_like(accrued)
    amount[0] = accrued[0]
    np.subtract(accrued[1:], accrued[:-1], out=amount[1:])
    amount[heads] = accrued[heads]
    merged = _merge_adjacent(Lines(np.repeat(owner, counts), period, amount))
    if np.all(merged.amount != 0):
        return merged
    keep = merged.amount != 0  # periods a term touches but no instalment falls in
    return Lines(merged.owner[keep], merged.period[keep], merged.amount[keep])


@dataclass(frozen=True)
class _Edges:
    """Calendar facts about period boundary dates, computed once per period."""

    day: IntArray
    month: IntArray
    day_of_month: IntArray
    month_days: IntArray

    @classmethod
    def of(cls, days: DateArray) -> _Edges:
        month = month_index(days)
        return cls(days.astype(np.int64), month, day_of_month(days), days_in_month(month))


@dataclass(frozen=True)
class _SliceTerms:
    """Per-slice constants of the rounding rule: whole = instalments or days; T = q * whole + r."""

    daily: BoolArray
    start_day: IntArray
    start_month: IntArray
    start_day_of_month: IntArray
    whole: IntArray
    cap: IntArray  # instalments or days accrued by the cut (`until`); `whole` when uncut
    quotient: IntArray
    remainder: IntArray

    def __getitem__(self, rows: slice) -> _SliceTerms:
        return _SliceTerms(*(getattr(self, f.name)[rows] for f in dataclasses.fields(self)))

    @classmethod
    def of(cls, slices: SliceArrays) -> _SliceTerms:
        whole = np.where(
            slices.daily, (slices.end - slices.start).astype(np.int64), months_before(slices.start, slices.end)
        )
        quotient, remainder = split_total(slices.amount, whole)
        cap = whole
        if slices.until is not None:
            until = np.clip(slices.until, slices.start, slices.end)
            cap = np.where(slices.daily, (until - slices.start).astype(np.int64), months_before(slices.start, until))
        return cls(
            slices.daily,
            slices.start.astype(np.int64),
            month_index(slices.start),
            day_of_month(slices.start),
            whole,
            np.minimum(cap, whole),
            quotient,
            remainder,
        )


def _merge_adjacent(lines: Lines) -> Lines:
    """Sum lines of one owner that fall in the same period (two slices meeting inside a period)."""
    if len(lines) < 2:
        return lines
    same = (lines.owner[1:] == lines.owner[:-1]) & (lines.period[1:] == lines.period[:-1])
    if not same.any():
        return lines
    heads = np.flatnonzero(np.concatenate(([True], ~same)))
    return Lines(lines.owner[heads], lines.period[heads], np.add.reduceat(lines.amount, heads))


def contract_year_periods(start: DateArray, end: DateArray) -> Periods:
    """Per-agreement contract years: calendar i holds agreement i's years CY1, CY2, ... cut at its end."""
    owner, j, year_start, year_end = contract_years(start, end)
    return Periods(owner, year_start, year_end, _year_labels(j))


def contract_piece_periods(start: DateArray, end: DateArray) -> Periods:
    """Per-agreement pieces: calendar months cut at the term's monthly anniversaries, labelled by contract year.

    Every calendar month, contract year, contract quarter and contract month of the term is a union
    of whole pieces, so one amortization at this grain serves them all (burn, minimums, the FOCUS
    export) and each of their sums equals the kernel's figure at that grain exactly.
    """
    start = np.asarray(start, "datetime64[D]")
    end = np.asarray(end, "datetime64[D]")
    owner_a, _, anniversaries, _ = anniversary_periods(start, end, 1)
    first, last = month_index(start), month_index(end - _DAY)
    counts = np.maximum(last - first, 0)
    owner_m = np.repeat(np.arange(len(start), dtype=np.int64), counts)
    month = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    firsts = month_first_day(first[owner_m] + month + 1)
    owner = np.concatenate([owner_a, owner_m])
    begins = np.concatenate([anniversaries, firsts])
    keys = np.unique(owner * _SPAN + begins.astype(np.int64) + _HALF)
    owner = keys // _SPAN
    begins = (keys - owner * _SPAN - _HALF).astype("datetime64[D]")
    following = np.append(begins[1:], np.datetime64("NaT", "D"))
    last_of_owner = np.append(owner[1:] != owner[:-1], True)
    ends = np.where(last_of_owner, end[owner], following)
    year = months_before(start[owner], np.asarray(begins + _DAY, "datetime64[D]")) - 1
    return Periods(owner, begins, ends, _year_labels(year // CONTRACT_YEAR_MONTHS))


def _year_labels(index: IntArray) -> ObjArray:
    """CY1, CY2, ... for 0-based contract-year indexes."""
    labels: ObjArray = np.char.add("CY", (index + 1).astype(str)).astype(object)
    return labels
