"""Consolidation: schedules with nothing counted twice, and every removed amount traceable.

Relation semantics (the README's "Relations"):

- `additional`: both agreements count.
- `expands`: both count, reported as one contract (`contract_id` = the first
  agreement of the chain) when both are of the same kind between the same parties.
- `supersedes`: the newer replaces the older from the newer's start date: the
  older is cut there (`until` in the kernel) and keeps what accrued before,
  with its timing. A newer agreement starting on or before the older's start
  is a restatement: the older contributes nothing, and its parts (below)
  become parts of the newer.
- `tranche_of`: a part of a larger whole. The whole counts once: its parts
  count with their own schedules, and the whole keeps only what they leave
  (the unallocated remainder, e.g. other investors of a round). If the parts
  exceed the whole, the whole keeps nothing (and reconcile reports an error).

The whole's schedule E is split among its parts and its remainder so that
every piece ties out to its part, every period to E, and each piece's running
total stays within one cent of its exact share (`ledger.domain.money.split_schedule`).

Each change to an agreement's gross schedule is an adjustment line: (agreement,
period, relation, related agreement, delta). consolidated = gross + adjustments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

import numpy as np
import pandas as pd

from ledger.domain.agreements import RelationKind
from ledger.domain.chains import top_of
from ledger.domain.dates import IntArray
from ledger.domain.money import minor_array, split_schedule
from ledger.schedule.kernel import Lines, SliceArrays, amortize
from ledger.schedule.schedules import Prepared

LINE_COLUMNS = ["agreement_id", "contract_id", "period", "period_start", "period_end", "amount_minor", "currency"]
ADJUSTMENT_COLUMNS = [
    "agreement_id",
    "period",
    "period_start",
    "period_end",
    "relation_kind",
    "related_id",
    "amount_minor",
]


@dataclass(frozen=True)
class RelationPlan:
    """What the relations do to each agreement, by key."""

    cut: dict[str, tuple[dt.date, str]] = field(default_factory=dict)  # older -> (newer's start, newer)
    parts: dict[str, list[str]] = field(default_factory=dict)  # whole -> parts (own and inherited)
    contract: dict[str, str] = field(default_factory=dict)  # agreement -> first agreement of its expands chain

    def contract_of(self, key: str) -> str:
        return self.contract.get(key, key)


def relation_plan(
    starts: dict[str, dt.date],
    relations: Iterable[tuple[str, str, str]],
    sides: dict[str, tuple[str, str, str]] | None = None,
) -> RelationPlan:
    """`relations` are (agreement, kind, related agreement); `starts` holds every agreement's start date.

    Relations to agreements not in `starts` are ignored here (reconcile reports them), so leaving an
    agreement out (a cancelled or proposed one) leaves out what it would do to others. `sides[key]`
    is an agreement's (kind, payer, payee): an `expands` makes one contract only between agreements
    of the same kind and parties (a commitment never joins the contract of an equity stake).
    """
    plan = RelationPlan()
    expands: dict[str, str] = {}
    for key, kind, related in relations:
        if key not in starts or related not in starts:
            continue
        if kind == RelationKind.SUPERSEDES:
            cut = plan.cut.get(related)
            if cut is None or (starts[key], key) < cut:
                plan.cut[related] = (starts[key], key)
        elif kind == RelationKind.TRANCHE_OF:
            plan.parts.setdefault(related, []).append(key)
        elif kind == RelationKind.EXPANDS and (sides is None or sides.get(key) == sides.get(related)):
            expands[key] = related
    _inherit_parts(plan, starts)
    for key in expands:
        plan.contract[key] = top_of(expands, key)
    return plan


def _inherit_parts(plan: RelationPlan, starts: dict[str, dt.date]) -> None:
    """A full restatement takes over the parts of what it restates (the upsized round keeps its investors)."""
    restated = {older: newer for older, (date, newer) in plan.cut.items() if date <= starts[older]}
    order: TopologicalSorter[str] = TopologicalSorter()
    for older, newer in restated.items():
        order.add(newer, older)  # an older deal first: its parts pass on down the chain
    try:
        sequence = list(order.static_order())
    except CycleError:  # a loop of restatements is reported (ledger reconcile), not followed
        return
    for older in sequence:
        successor = restated.get(older)
        if successor is not None:
            inherited = [p for p in plan.parts.get(older, []) if p not in plan.parts.get(successor, [])]
            if inherited:
                plan.parts.setdefault(successor, []).extend(inherited)


@dataclass
class Consolidation:
    """Consolidated lines (one per agreement and period) and the adjustments that made them from gross."""

    lines: pd.DataFrame
    adjustments: pd.DataFrame
    plan: RelationPlan


def consolidate(ready: Prepared, plan: RelationPlan, *, with_lines: bool = True) -> Consolidation:
    """Apply the relation plan to the prepared agreements: gross lines + adjustments = consolidated lines.

    with_lines=False computes the adjustments only (what the ledger stores).
    """
    agreements = ready.agreements
    keys = agreements["agreement_id"].to_numpy(dtype=object)
    position = {key: i for i, key in enumerate(keys)}
    gross = amortize(ready.pieces, ready.periods, ready.slice_calendar)
    totals = np.zeros(len(agreements), dtype=np.int64)
    np.add.at(totals, gross.owner, gross.amount)

    # Only the agreements a relation changes are amortized again: cut where superseded.
    cut = {position[k]: v for k, v in plan.cut.items() if k in position}
    wholes = {position[k]: parts for k, parts in plan.parts.items() if k in position}
    involved = np.array(sorted(set(cut) | set(wholes)), dtype=np.int64)
    rows = np.flatnonzero(np.isin(ready.pieces.owner, involved))
    pieces = ready.pieces.take(rows)
    cut_day = np.array([np.datetime64(cut[o][0], "D") if o in cut else np.datetime64("NaT") for o in involved.tolist()])
    owner_cut = cut_day[np.searchsorted(involved, pieces.owner)] if len(involved) else pieces.end
    until = np.where(np.isnat(owner_cut), pieces.end, owner_cut)
    effective = _by_owner(
        amortize(
            SliceArrays(pieces.owner, pieces.start, pieces.end, pieces.amount, pieces.daily, until),
            ready.periods,
            ready.slice_calendar[rows],
        )
    )
    gross_lines = _by_owner(
        Lines(*(a[np.isin(gross.owner, involved)] for a in (gross.owner, gross.period, gross.amount)))
    )
    deltas: list[tuple[int, int, str, str, int]] = []
    for owner, (_, newer) in cut.items():
        kept = dict(effective.get(owner, []))
        totals[owner] = sum(kept.values())
        for period, amount in gross_lines.get(owner, []):
            if kept.get(period, 0) != amount:
                deltas.append((owner, period, RelationKind.SUPERSEDES.value, newer, kept.get(period, 0) - amount))

    # tranche_of: the whole keeps what its parts leave
    for whole, part_keys in wholes.items():
        if not effective.get(whole):
            continue
        parts = [(k, int(totals[position[k]])) for k in part_keys if k in position]
        parts = [(k, amount) for k, amount in parts if amount > 0 and _same_currency(agreements, whole, position[k])]
        if not parts:
            continue
        periods, amounts = zip(*effective[whole], strict=True)
        allocated = sum(amount for _, amount in parts)
        weights = [amount for _, amount in parts] + [max(int(totals[whole]) - allocated, 0)]
        for (part_key, _), piece in zip(parts, split_schedule(amounts, weights), strict=False):
            deltas += [
                (whole, period, RelationKind.TRANCHE_OF.value, part_key, -amount)
                for period, amount in zip(periods, piece, strict=True)
                if amount
            ]
    return _frames(ready, gross, deltas, plan, with_lines)


def _same_currency(agreements: pd.DataFrame, a: int, b: int) -> bool:
    currency = agreements["currency"].to_numpy(dtype=object)
    return bool(currency[a] == currency[b])


def _by_owner(lines: Lines) -> dict[int, list[tuple[int, int]]]:
    grouped: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for owner, period, amount in zip(lines.owner.tolist(), lines.period.tolist(), lines.amount.tolist(), strict=True):
        grouped[owner].append((period, amount))
    return grouped


def _frames(
    ready: Prepared, gross: Lines, deltas: list[tuple[int, int, str, str, int]], plan: RelationPlan, with_lines: bool
) -> Consolidation:
    keys = ready.agreements["agreement_id"].to_numpy(dtype=object)
    periods = ready.periods
    one_day = np.timedelta64(1, "D")
    adjustments = pd.DataFrame(deltas, columns=["owner", "period_index", "relation_kind", "related_id", "amount_minor"])
    owners = adjustments["owner"].to_numpy(dtype=np.int64)
    index = adjustments["period_index"].to_numpy(dtype=np.int64)
    adjustments = pd.DataFrame(
        {
            "agreement_id": keys[owners],
            "period": periods.label[index],
            "period_start": periods.start[index],
            "period_end": periods.end[index] - one_day,
            "relation_kind": adjustments["relation_kind"].to_numpy(dtype=object),
            "related_id": adjustments["related_id"].to_numpy(dtype=object),
            "amount_minor": adjustments["amount_minor"].to_numpy(dtype=np.int64),
        },
        columns=ADJUSTMENT_COLUMNS,
    )
    if not with_lines:
        return Consolidation(pd.DataFrame(columns=LINE_COLUMNS), adjustments, plan)
    owner, period, amount = _net_lines(gross, owners, index, adjustments["amount_minor"].to_numpy(dtype=np.int64))
    agreements = ready.agreements
    frame = pd.DataFrame(
        {
            "agreement_id": keys[owner],
            "contract_id": np.array([plan.contract_of(k) for k in keys], dtype=object)[owner],
            "period": periods.label[period],
            "period_start": periods.start[period],
            "period_end": periods.end[period] - one_day,
            "amount_minor": amount,
            "currency": agreements["currency"].to_numpy(dtype=object)[owner],
        }
    )
    return Consolidation(frame, adjustments, plan)


def _net_lines(gross: Lines, owner: IntArray, period: IntArray, delta: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Gross lines plus adjustment deltas, summed per (owner, period), zero lines dropped.

    Pure int64: a join that fills missing values would turn minor units into floats and lose cents
    near 10^17 (the sums are of a line and what consolidation removes from it, so within its range).
    """
    owners = np.concatenate([gross.owner, owner]).astype(np.int64)
    periods = np.concatenate([gross.period, period]).astype(np.int64)
    amounts = minor_array(np.concatenate([gross.amount, delta]))
    if len(owner) == 0:
        keep = amounts != 0
        return owners[keep], periods[keep], amounts[keep]
    order = np.lexsort((periods, owners))
    owners, periods, amounts = owners[order], periods[order], amounts[order]
    heads = np.flatnonzero(np.concatenate(([True], (owners[1:] != owners[:-1]) | (periods[1:] != periods[:-1]))))
    summed = np.add.reduceat(amounts, heads) if len(amounts) else amounts
    keep = summed != 0
    return owners[heads][keep], periods[heads][keep], summed[keep]
