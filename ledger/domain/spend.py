"""Actual spend: charge categories, the rule of what counts toward a commitment, and exact sub-cent costs.

Billing files carry costs with more decimals than the currency's minor unit
(the FOCUS sample has 11: `0.01288992000`). The ledger keeps them exactly, in
*pico units*: 10^-12 of the currency's major unit. Stored rows split a pico
amount into whole minor units and the sub-minor rest, so the `*_minor`
columns stay the ledger's usual exact integers.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from ledger.domain.agreements import Choice
from ledger.domain.money import minor_digits

PICO_DIGITS: Final[int] = 12  # decimals of the major unit kept exactly
MAX_WHOLE_DIGITS: Final[int] = 15  # at most 999 trillion major units on one billing row


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


def pico_per_minor(currency: str) -> int:
    """Pico units in one minor unit of `currency` (10^10 for USD, 10^12 for JPY)."""
    return int(10 ** (PICO_DIGITS - minor_digits(currency)))


def split_pico(pico: int, currency: str) -> tuple[int, int]:
    """Pico units -> (whole minor units, sub-minor rest in pico, 0 <= rest < pico_per_minor)."""
    return divmod(pico, pico_per_minor(currency))


def join_pico(minor: int, sub_minor: int, currency: str) -> int:
    return minor * pico_per_minor(currency) + sub_minor


def minor_to_pico(minor: int, currency: str) -> int:
    return minor * pico_per_minor(currency)


def format_pico(pico: int, currency: str) -> str:
    """Exact decimal text with at least the currency's minor digits: '228.00', '0.01288992'."""
    digits = minor_digits(currency)
    sign = "-" if pico < 0 else ""
    whole, frac = divmod(abs(pico), 10**PICO_DIGITS)
    text = f"{frac:0{PICO_DIGITS}d}".rstrip("0").ljust(digits, "0")
    return f"{sign}{whole}.{text}" if text else f"{sign}{whole}"


_COST = re.compile(r"^(?P<sign>[-+])?(?P<int>\d+)?(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[-+]?\d+))?$", re.ASCII)
COST_EXPECTED = f"a decimal amount with at most {PICO_DIGITS} decimals, like 12.34 or -0.0128899"


def parse_cost(text: str) -> int:
    """Decimal text (plain or with an exponent, as some exports write it) -> pico units, exactly.

    Raises ValueError when the text is not a number or has more than 12 decimals.
    """
    match = _COST.match(text.strip())
    if match is None or not (match["int"] or match["frac"]):
        raise ValueError(COST_EXPECTED)
    value = Decimal(text.strip())
    scaled = value.scaleb(PICO_DIGITS)
    if scaled != scaled.to_integral_value() or abs(value) >= Decimal(10) ** MAX_WHOLE_DIGITS:
        raise ValueError(COST_EXPECTED)
    return int(scaled)
