"""Which commitment each counted charge draws down (pure: no database).

The rule (README, "Spend against commitments"): a counted charge draws the
active commitments of its payer and payee (both rolled up to their ultimate
parent companies) in the same currency whose term covers the charge's month,
earliest-expiring first (then earliest start, then id), each up to what it has
left; what is left when all of them are full lands on the last one as overage.
A charge that names its agreement draws that one only, without a cap.
Negative counted charges (refunds, when credits are made to count) give back
to the earliest-expiring covering commitment. True-up charges are not
consumption: they are attributed to the first covering commitment, so that the
burn report can set what was billed beside the shortfall it computes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.domain.spend import ChargeCategory


@dataclass(frozen=True, slots=True)
class Charge:
    """One stored month aggregate of charges between a payer and a payee (groups: ultimate parents)."""

    id: int
    payer: str
    payee: str
    currency: str
    month: dt.date  # first day
    pico: int
    category: ChargeCategory
    counts: bool
    agreement: str | None = None  # the commitment the charge names, if any


@dataclass(frozen=True, slots=True)
class Commitment:
    key: str
    payer: str
    payee: str
    currency: str
    start: dt.date
    last_day: dt.date
    committed_pico: int

    def covers(self, month: dt.date) -> bool:
        return self.start.replace(day=1) <= month <= self.last_day


@dataclass(frozen=True, slots=True)
class Draw:
    charge_id: int
    agreement: str
    pico: int
    kind: str  # "draw" or "true_up"


def draw_down(charges: Iterable[Charge], commitments: Sequence[Commitment]) -> list[Draw]:
    """Allocate charges (in month order, then id) to commitments; see the module's rule."""
    by_pair: dict[tuple[str, str, str], list[Commitment]] = defaultdict(list)
    for c in sorted(commitments, key=lambda c: (c.last_day, c.start, c.key)):
        by_pair[(c.payer, c.payee, c.currency)].append(c)
    known = {c.key for c in commitments}
    used: dict[str, int] = defaultdict(int)
    draws: list[Draw] = []
    for charge in sorted(charges, key=lambda c: (c.month, c.id)):
        if charge.category is ChargeCategory.TRUE_UP or charge.counts:
            draws += _allocate(charge, by_pair, known, used)
    return draws


def _allocate(
    charge: Charge, by_pair: dict[tuple[str, str, str], list[Commitment]], known: set[str], used: dict[str, int]
) -> list[Draw]:
    if charge.agreement is not None:
        if charge.agreement not in known:
            return []
        used[charge.agreement] += charge.pico if charge.counts else 0
        kind = "draw" if charge.counts else "true_up"
        return [Draw(charge.id, charge.agreement, charge.pico, kind)]
    covering = [c for c in by_pair.get((charge.payer, charge.payee, charge.currency), ()) if c.covers(charge.month)]
    if not covering or charge.pico == 0:
        return []
    if charge.category is ChargeCategory.TRUE_UP:
        return [Draw(charge.id, covering[0].key, charge.pico, "true_up")]
    if charge.pico < 0:
        used[covering[0].key] += charge.pico
        return [Draw(charge.id, covering[0].key, charge.pico, "draw")]
    draws, left = [], charge.pico
    for i, commitment in enumerate(covering):
        room = max(commitment.committed_pico - used[commitment.key], 0)
        take = left if i == len(covering) - 1 else min(left, room)
        if take:
            draws.append(Draw(charge.id, commitment.key, take, "draw"))
            used[commitment.key] += take
            left -= take
        if not left:
            break
    return draws
