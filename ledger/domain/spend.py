"""Actual spend: charge categories and the rule of what counts toward a commitment.

Costs are exact sub-cent amounts in pico units (ledger.domain.money). Stored rows
split a pico amount into whole minor units and the sub-minor rest, so the
`*_minor` columns stay the ledger's usual exact integers.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Final

from ledger.domain.agreements import Choice


class ChargeCategory(Choice):
    """What a charge is (FOCUS ChargeCategory), plus `true_up`: a bill for an unmet commitment."""

    USAGE = "usage"
    PURCHASE = "purchase"
    TAX = "tax"
    CREDIT = "credit"
    ADJUSTMENT = "adjustment"
    TRUE_UP = "true_up"


class CostColumn(enum.StrEnum):
    """Which of a FOCUS row's costs draws a commitment down."""

    EFFECTIVE = "EffectiveCost"
    BILLED = "BilledCost"
    LIST = "ListCost"
    CONTRACTED = "ContractedCost"


class MinimumPeriod(Choice):
    """How often a commitment's minimum spend is due (besides its total by the end of the term)."""

    MONTH = "month"
    QUARTER = "quarter"
    CONTRACT_YEAR = "contract-year"


DEFAULT_TRUE_UP_PATTERN: Final[str] = r"\b(end of (contract|term)|true[- ]?up|commitment shortfall)\b"


@dataclass(frozen=True)
class CountingRule:
    """Which charges draw commitments down, and with which cost.

    The default: usage charges (including monthly unused-minimum fees, which
    providers bill as usage) at their EffectiveCost. Purchases are the
    prepayment of a commitment, not its consumption; taxes, credits and
    adjustments do not count. A charge whose description matches
    `true_up_pattern` (case-insensitive; "End of contract unused fee") is the
    bill for a shortfall: it is recorded as `true_up` and never counts.
    """

    counted: frozenset[ChargeCategory] = field(default_factory=lambda: frozenset({ChargeCategory.USAGE}))
    cost: CostColumn = CostColumn.EFFECTIVE
    true_up_pattern: str = DEFAULT_TRUE_UP_PATTERN

    def __post_init__(self) -> None:
        if ChargeCategory.TRUE_UP in self.counted:
            raise ValueError("true-up charges bill a shortfall; they cannot count toward the commitment")
        re.compile(self.true_up_pattern)

    def counts(self, category: ChargeCategory) -> bool:
        return category in self.counted

    def describe(self) -> str:
        listed = ",".join(sorted(c.value for c in self.counted))
        return f"count={listed}; cost={self.cost.value}; true_up=/{self.true_up_pattern}/i"
