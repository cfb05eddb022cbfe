"""Exact money: currencies and their minor units, decimal text <-> integer minor units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt

# ISO 4217 minor-unit digits for the currencies the ledger accepts. The first
# migration seeds the `currency` table with the same list (a test keeps them equal).
MINOR_DIGITS: Final[dict[str, int]] = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
    "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PLN": 2, "QAR": 2, "SAR": 2, "SEK": 2,
    "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip

# Largest single amount the ledger stores, in minor units: 10^17 (one quadrillion
# dollars in cents). The amortization kernel stays exact up to this bound.
MAX_MINOR: Final[int] = 10**17

# Largest sum the ledger stores or computes, in minor units: 10^18, per currency
# (ten quadrillion dollars in cents; 64-bit integers end at about 9.2 * 10^18).
# A write that would take the book's total of commitments or of charges in one
# currency past it is refused, so that every sum of a part of the book (a month
# of charges, a draw-down, a consolidated total, a cycle's edge, a view) is exact
# in 64 bits. The database enforces both bounds with CHECK constraints.
MAX_TOTAL_MINOR: Final[int] = 10**18

_SCALE: Final = (1, 10, 100, 1000, 10_000)  # 10**digits, as ints for the type checker
_DECIMAL_TEXT = re.compile(r"^(?P<sign>-)?(?P<int>\d+)(?:\.(?P<frac>\d+))?$")


def minor_digits(currency: str) -> int:
    """Number of decimal digits of the currency's minor unit (2 for USD, 0 for JPY)."""
    try:
        return MINOR_DIGITS[currency]
    except KeyError:
        raise ValueError("an ISO 4217 currency code the ledger knows, like USD or EUR") from None


def parse_amount(value: object, currency: str, *, allow_negative: bool = False) -> int:
    """Exact decimal text (or int/Decimal) -> integer minor units of `currency`.

    Raises ValueError whose message says what was expected. Floats are refused:
    they cannot hold 99999999999.99 exactly.
    """
    digits = minor_digits(currency)
    example = "100000000000" + ("." + "0" * digits if digits else "")
    expected = f"a plain decimal with at most {digits} decimals for {currency}, like {example}"
    minor = _to_minor(value, digits, expected)
    if minor < 0 and not allow_negative:
        raise ValueError(f"a non-negative amount ({expected})")
    if abs(minor) > MAX_MINOR:
        raise ValueError(f"an amount of at most {format_minor(MAX_MINOR, currency)} {currency}")
    return minor


def _to_minor(value: object, digits: int, expected: str) -> int:
    if isinstance(value, bool | float):
        raise ValueError(f"{expected} (written as text: floating-point numbers are not exact)")
    if isinstance(value, int):
        return value * _SCALE[digits]
    if isinstance(value, Decimal):
        scaled = value.scaleb(digits) if value.is_finite() else None
        if scaled is None or scaled != scaled.to_integral_value():
            raise ValueError(expected)
        return int(scaled)
    if isinstance(value, str):
        match = _DECIMAL_TEXT.match(value.strip())
        frac = (match["frac"] or "").rstrip("0") if match else ""
        if match is None or len(frac) > digits:
            raise ValueError(expected)
        minor = int(match["int"]) * _SCALE[digits] + int(frac.ljust(digits, "0") or "0")
        return -minor if match["sign"] else minor
    raise ValueError(expected)


def format_minor(minor: int, currency: str) -> str:
    """Integer minor units -> plain decimal text with the currency's digits, e.g. '38000000000.00'."""
    digits = minor_digits(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(int(minor)), _SCALE[digits])
    return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"


def to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units -> exact Decimal with the currency's scale."""
    return Decimal(int(minor)).scaleb(-minor_digits(currency))


def format_minor_array(minor: npt.NDArray[np.int64], digits: int) -> npt.NDArray[np.str_]:
    """Vectorized `format_minor` for one currency: int64 minor units -> decimal strings."""
    minor = np.asarray(minor, dtype=np.int64)
    if minor.size == 0:
        return np.array([], dtype=str)
    sign = np.where(minor < 0, "-", "")
    magnitude = np.abs(minor)
    if digits == 0:
        return np.char.add(sign, magnitude.astype(str))
    whole, frac = np.divmod(magnitude, 10**digits)
    text = np.char.add(np.char.add(sign, whole.astype(str)), ".")
    return np.char.add(text, np.char.zfill(frac.astype(str), digits))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: integer minor units and an ISO currency code."""

    minor: int
    currency: str

    @classmethod
    def parse(cls, value: object, currency: str) -> Money:
        return cls(parse_amount(value, currency), currency)

    @property
    def decimal(self) -> Decimal:
        return to_decimal(self.minor, self.currency)

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"


def minor_array(values: object) -> npt.NDArray[np.int64]:
    """Minor units as an int64 array, refusing what is not an exact integer.

    A float reaching money code has already rounded cents away above 2^53 (about 9 * 10^15 minor
    units), so it is an error here, not a silent conversion: the kernel, consolidation and every
    bulk path build their money arrays through this one door.
    """
    array = np.asarray(values)
    if array.dtype.kind in "iu" or array.size == 0:
        return array.astype(np.int64)
    if array.dtype.kind == "b":
        raise TypeError("money as booleans: expected integer minor units")
    if array.dtype.kind == "O" and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in array.flat):
        return array.astype(np.int64)
    raise TypeError(f"money as {array.dtype}: expected integer minor units (a float would have lost cents)")


# A float sum of int64 values is off by far less than this fraction of the limit, so a group whose float
# sum stays under (1 + _SLACK) * MAX_TOTAL_MINOR has an exact int64 sum (it cannot have wrapped).
_SLACK: Final = 0.01


def over_total_limit(values: npt.NDArray[np.int64]) -> bool:
    """True when the exact sum of `values` (or of their magnitudes) could pass MAX_TOTAL_MINOR."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return False
    largest = int(np.abs(values).max())
    return largest * values.size > MAX_TOTAL_MINOR


def sum_money(frame: Any, keys: list[str], columns: list[str], **groupby: Any) -> tuple[Any, npt.NDArray[np.bool_]]:
    """Group sums of int64 money `columns` of a DataFrame by `keys`, exact, and where they pass the limit.

    Returns (sums, over): `over` marks the groups whose sum of any column exceeds MAX_TOTAL_MINOR in
    magnitude; their sums are not valid and the caller refuses them (LimitError). Sums that cannot reach
    the limit (largest magnitude times rows) take the plain int64 path; the others are checked against a
    float sum, which cannot wrap, before the int64 sum is trusted.
    """
    risky = [c for c in columns if over_total_limit(frame[c].to_numpy())]
    approx = {f"{c}\0approx": frame[c].to_numpy().astype(np.float64) for c in risky}
    summed = frame.assign(**approx).groupby(keys, sort=False, **groupby)[[*columns, *approx]].sum().reset_index()
    over = np.zeros(len(summed), dtype=bool)
    for c in risky:
        estimate = np.abs(summed.pop(f"{c}\0approx").to_numpy())
        exact = np.abs(summed[c].to_numpy(dtype=np.int64))
        over |= (estimate > (1 + _SLACK) * MAX_TOTAL_MINOR) | (exact > MAX_TOTAL_MINOR)
    return summed, over


def total_limit_text(currency: str) -> str:
    """The limit of one sum, as users read it: '10000000000000000.00 USD'."""
    return f"{format_minor(MAX_TOTAL_MINOR, currency)} {currency}"
