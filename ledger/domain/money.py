"""Exact money in one place: currencies, the decimal-text parsers, formatting, minor and pico units, and the
one rounding rule with the allocations built on it.

Every reader parses money here: the agreement files' amounts (`parse_amount`, `parse_amounts` for whole
columns), the billing files' costs (`parse_cost`, `parse_costs`), and the field rule of a decimal written
in a file (`plain_decimal`). The vectorized parsers read the common case (ASCII digits within the
limits) with numpy, through one kernel (`decimal_parts`), and leave every other text to their scalar
twin, which accepts it or words the problem; so the two cannot disagree on what they both read (a
property test holds them equal).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

from ledger.errors import DomainError

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

# ISO 4217 minor-unit digits for the currencies the ledger accepts. The first
# migration seeds the `currency` table with the same list (a test keeps them equal).
MINOR_DIGITS: Final[dict[str, int]] = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
    "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PLN": 2, "QAR": 2, "SAR": 2, "SEK": 2,
    "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip
MAX_MINOR_DIGITS: Final[int] = max(MINOR_DIGITS.values())
CURRENCY_EXPECTED: Final = "an ISO 4217 currency code the ledger knows, like USD or EUR"

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

# Billing files carry costs with more decimals than the currency's minor unit (the FOCUS sample has 11:
# `0.01288992000`). The ledger keeps them exactly, in pico units: 10^-12 of the currency's major unit.
PICO_DIGITS: Final[int] = 12  # decimals of the major unit kept exactly
MAX_WHOLE_DIGITS: Final[int] = 15  # at most 999 trillion major units on one billing row

_SCALE: Final = (1, 10, 100, 1000, 10_000)  # 10**digits, as ints for the type checker

N = TypeVar("N", int, IntArray, ObjectArray)


def minor_digits(currency: str) -> int:
    """Number of decimal digits of the currency's minor unit (2 for USD, 0 for JPY)."""
    try:
        return MINOR_DIGITS[currency]
    except KeyError:
        raise ValueError(CURRENCY_EXPECTED) from None


# -- decimal text: agreement files ------------------------------------------------------------------------

# The one grammar of an amount in an import file: digits, then perhaps a point and more digits; no
# separators or exponent. A sign only where negative amounts are allowed (`parse_amount(allow_negative=True)`).
_AMOUNT = re.compile(r"(?P<sign>-)?(?P<whole>\d+)(?:\.(?P<fraction>\d+))?", re.ASCII)  # 0-9 only, not ١٢
DECIMAL_EXPECTED: Final = "a plain non-negative decimal without separators or exponent, like 100000000000.00"
WRITTEN_AS_TEXT_EXPECTED: Final = "a plain decimal written as text, like 100000000000.00"


def plain_decimal(text: str) -> bool:
    """Whether `text` (stripped) is a plain non-negative decimal: the grammar every amount and quantity of an
    import file is written in, whatever its currency."""
    match = _AMOUNT.fullmatch(text)
    return match is not None and match["sign"] is None


def amount_expected(currency: str) -> str:
    digits = minor_digits(currency)
    example = "100000000000" + ("." + "0" * digits if digits else "")
    return f"a plain decimal with at most {digits} decimals for {currency}, like {example}"


def amount_limit_expected(currency: str) -> str:
    return f"an amount of at most {format_minor(MAX_MINOR, currency)} {currency}"


def parse_amount(value: object, currency: str, *, allow_negative: bool = False) -> int:
    """Exact decimal text (or int/Decimal) -> integer minor units of `currency`.

    Raises ValueError whose message says what was expected. Floats are refused:
    they cannot hold 99999999999.99 exactly.
    """
    digits = minor_digits(currency)
    expected = amount_expected(currency)
    minor = _to_minor(value, digits, expected)
    if minor < 0 and not allow_negative:
        raise ValueError(f"a non-negative amount ({expected})")
    if abs(minor) > MAX_MINOR:
        raise ValueError(amount_limit_expected(currency))
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
        match = _AMOUNT.fullmatch(value.strip())
        fraction = (match["fraction"] or "").rstrip("0") if match else ""
        if match is None or len(fraction) > digits:
            raise ValueError(expected)
        minor = int(match["whole"]) * _SCALE[digits] + int(fraction.ljust(digits, "0") or "0")
        return -minor if match["sign"] else minor
    raise ValueError(expected)


@dataclass(frozen=True)
class Amounts:
    """Amounts of a whole column in minor units: `minor` where `problem` is None, else what was expected."""

    minor: IntArray
    problem: ObjectArray  # None, or the expected text of parse_amount's error

    @property
    def ok(self) -> BoolArray:
        return _none(self.problem)


def parse_amounts(texts: ObjectArray, currencies: ObjectArray) -> Amounts:
    """`parse_amount` of each text in its row's currency (known codes), for whole columns.

    Texts of ASCII digits within 17 whole digits and 3 decimals are read by the kernel; the others
    (longer, other digits) by `parse_amount` itself, one by one.
    """
    n = len(texts)
    digits = np.fromiter((MINOR_DIGITS[c] for c in currencies), dtype=np.int64, count=n)
    parts = decimal_parts(texts, whole_digits=17, fraction_digits=MAX_MINOR_DIGITS, signed=False, bare_point=False)
    step = 10 ** (MAX_MINOR_DIGITS - digits)  # the kernel's fraction units in one minor unit
    exact = parts.plain & (parts.fraction % step == 0)
    within = exact & (parts.whole <= MAX_MINOR // 10**digits)  # so that the product below stays in int64
    minor = np.where(within, parts.whole, 0) * 10**digits + np.where(within, parts.fraction // step, 0)
    problem = np.full(n, None, dtype=object)
    for i in np.flatnonzero(parts.plain & ~exact).tolist():
        problem[i] = amount_expected(currencies[i])
    for i in np.flatnonzero(exact & (~within | (minor > MAX_MINOR))).tolist():
        problem[i] = amount_limit_expected(currencies[i])
    for i in np.flatnonzero(~parts.plain).tolist():
        try:
            minor[i] = parse_amount(texts[i], currencies[i])
        except ValueError as error:
            problem[i] = str(error)
    minor[~_none(problem)] = 0
    return Amounts(minor, problem)


def _none(values: ObjectArray) -> BoolArray:
    return np.fromiter((value is None for value in values), dtype=bool, count=len(values))


# -- decimal text: billing files --------------------------------------------------------------------------

# Costs as exports write them: a sign, digits with a point anywhere (`.5`, `7.`), an exponent.
_COST = re.compile(r"^(?P<sign>[-+])?(?P<int>\d+)?(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[-+]?\d+))?$", re.ASCII)
COST_EXPECTED: Final = f"a decimal amount with at most {PICO_DIGITS} decimals, like 12.34 or -0.0128899"


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


@dataclass(frozen=True)
class Costs:
    """Costs of a whole column as (sign, whole major units, pico fraction); `bad` where parse_cost refuses."""

    bad: BoolArray
    negative: BoolArray
    whole: IntArray  # whole major units, at most MAX_WHOLE_DIGITS digits
    fraction: IntArray  # pico units, 0 <= fraction < 10^12


def parse_costs(texts: ObjectArray) -> Costs:
    """`parse_cost` of each text, for whole columns: plain decimals by the kernel, the others one by one."""
    parts = decimal_parts(texts, whole_digits=MAX_WHOLE_DIGITS, fraction_digits=PICO_DIGITS, signed=True)
    negative, whole, fraction = parts.negative.copy(), parts.whole.copy(), parts.fraction.copy()
    bad = np.zeros(len(texts), dtype=bool)
    for i in np.flatnonzero(~parts.plain).tolist():  # exponents, spaces, signs: the scalar parser decides
        try:
            value = parse_cost(texts[i])
        except ValueError:
            bad[i] = True
            continue
        negative[i] = value < 0
        whole[i], fraction[i] = divmod(abs(value), 10**PICO_DIGITS)
    return Costs(bad, negative, whole, fraction)


# -- the kernel ---------------------------------------------------------------------------------------------

_ZERO, _NINE, _POINT, _MINUS = ord("0"), ord("9"), ord("."), ord("-")


@dataclass(frozen=True)
class DecimalParts:
    plain: BoolArray  # read here; the others need the scalar parser
    negative: BoolArray
    whole: IntArray  # whole units
    fraction: IntArray  # in 10^-fraction_digits units


def decimal_parts(
    texts: ObjectArray, *, whole_digits: int, fraction_digits: int, signed: bool, bare_point: bool = True
) -> DecimalParts:
    """Plain decimals (`-12.34`; `.5` and `7.` where `bare_point`) read as bytes, one column of characters at
    a time, into a sign, whole units and the fraction. A text is `plain` when it is ASCII, has at most
    `whole_digits` and `fraction_digits` digits and no other character; the others are left to the
    scalar parsers (which may accept them: spaces, exponents, trailing zeros, other digits)."""
    n = len(texts)
    width = int(signed) + whole_digits + 1 + fraction_digits
    lengths = np.fromiter((len(t) if t.isascii() else -1 for t in texts), dtype=np.int64, count=n)
    ascii_only = np.where(lengths >= 0, texts, "")
    raw = np.array(ascii_only, dtype=f"S{width}")  # longer texts are cut: their length tells
    chars = raw.view(np.uint8).reshape(n, width).astype(np.int64)
    length = (chars != 0).sum(axis=1)
    negative = (chars[:, 0] == _MINUS) if signed else np.zeros(n, dtype=bool)
    start = negative.astype(np.int64)
    is_point = chars == _POINT
    positions = np.arange(width)
    in_body = (positions >= start[:, None]) & (positions < length[:, None])
    points = (is_point & in_body).sum(axis=1)
    point = np.where(points == 1, np.argmax(is_point & in_body, axis=1), length)
    is_digit = (chars >= _ZERO) & (chars <= _NINE)
    whole_count = point - start
    fraction_count = np.where(points == 1, length - point - 1, 0)
    plain = (
        (length == lengths)
        & (points <= 1)
        & ((is_digit | is_point) | ~in_body).all(axis=1)
        & (whole_count + fraction_count >= 1)
        & (whole_count <= whole_digits)
        & (fraction_count <= fraction_digits)
    )
    if not bare_point:
        plain &= (whole_count >= 1) & ((points == 0) | (fraction_count >= 1))
    whole = np.zeros(n, dtype=np.int64)
    fraction = np.zeros(n, dtype=np.int64)
    for j in range(width):  # one column of characters at a time: n-long vectors, little memory
        digit = chars[:, j] - _ZERO
        in_whole = plain & (j >= start) & (j < point)
        whole = np.where(in_whole, whole * 10 + digit, whole)
        in_fraction = plain & (j > point) & (j < length)
        fraction = np.where(in_fraction, fraction * 10 + digit, fraction)
    fraction = fraction * 10 ** (fraction_digits - np.where(plain, fraction_count, fraction_digits))
    return DecimalParts(plain, negative & plain, whole, fraction)


# -- formatting ---------------------------------------------------------------------------------------------


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


def format_minor_column(minor: IntArray, currencies: ObjectArray) -> ObjectArray:
    """`format_minor` of each row in its own currency, for whole columns."""
    out = np.empty(len(minor), dtype=object)
    for code in np.unique(currencies).tolist():
        rows = currencies == code
        out[rows] = format_minor_array(minor[rows], MINOR_DIGITS[code]).astype(object)
    return out


def format_pico(pico: int, currency: str) -> str:
    """Exact decimal text with at least the currency's minor digits: '228.00', '0.01288992'."""
    digits = minor_digits(currency)
    sign = "-" if pico < 0 else ""
    whole, frac = divmod(abs(pico), 10**PICO_DIGITS)
    text = f"{frac:0{PICO_DIGITS}d}".rstrip("0").ljust(digits, "0")
    return f"{sign}{whole}.{text}" if text else f"{sign}{whole}"


def total_limit_text(currency: str) -> str:
    """The limit of one sum, as users read it: '10000000000000000.00 USD'."""
    return f"{format_minor(MAX_TOTAL_MINOR, currency)} {currency}"


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


# -- pico units: finer than the minor unit ----------------------------------------------------------------


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


def split_costs(costs: Costs, digits: IntArray) -> tuple[IntArray, IntArray]:
    """`split_pico` for whole columns: (whole minor units, sub-minor pico rest >= 0), per row's currency digits."""
    per_minor = 10 ** (PICO_DIGITS - digits)
    minor = costs.whole * 10**digits + costs.fraction // per_minor
    sub = costs.fraction % per_minor
    # a negative amount -(m + s) is -(m + 1) + (1 - s): keep 0 <= sub < one minor unit
    borrow = costs.negative & (sub > 0)
    minor = np.where(costs.negative, -minor - borrow, minor)
    sub = np.where(borrow, per_minor - sub, sub)
    return minor, sub


def carry_pico(minor: IntArray, sub: IntArray, digits: IntArray) -> tuple[IntArray, IntArray]:
    """Whole minor units moved out of sums of sub-minor rests: (minor, sub) with 0 <= sub < one minor unit."""
    per_minor = 10 ** (PICO_DIGITS - digits)
    return minor + sub // per_minor, sub % per_minor


# -- the one rounding rule, and allocations -------------------------------------------------------------------


def floor_share(total: N, elapsed: N | int, whole: N | int) -> N:
    """The one rounding rule: floor(total * elapsed / whole), for Python integers or int64 arrays.

    The cumulative amount at a boundary is this share, and a period's amount the difference of
    the shares at its two boundaries, so every grain ties out. Split so that int64 cannot overflow:
    total * elapsed would (total reaches 10^17), while (total % whole) * elapsed stays below whole^2
    (0 <= elapsed <= whole).
    """
    quotient, remainder = split_total(total, whole)
    return share_of(quotient, remainder, elapsed, whole)


def split_total(total: N, whole: N | int) -> tuple[N, N]:
    """total = quotient * whole + remainder, the parts `share_of` takes (not divmod: numpy has none for
    arrays of Python integers)."""
    return total // whole, total % whole


def share_of(quotient: N, remainder: N, elapsed: N | int, whole: N | int) -> N:
    """`floor_share` of a total given as quotient * whole + remainder (computed once, used at many edges)."""
    return quotient * elapsed + (remainder * elapsed) // whole  # type: ignore[no-any-return]


def split_by_weights(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` minor units by integer weights with the one rounding rule.

    Cumulative share after weight j is floor(total * W_j / W); each part is the
    difference of two cumulative shares, so the parts sum to `total` exactly.
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise DomainError("non-negative weights with a positive sum")
    whole = sum(weights)
    parts, before, running = [], 0, 0
    for weight in weights:
        running += weight
        cumulative = floor_share(total, running, whole)
        parts.append(cumulative - before)
        before = cumulative
    return parts


def split_by_weights_array(totals: ObjectArray, weights: ObjectArray, owner: IntArray) -> ObjectArray:
    """`split_by_weights` of many totals at once: weight i belongs to total `owner[i]` (owners ascending,
    every total with weights summing above zero). Python integers: weights may be of any size."""
    weights = np.asarray(weights, dtype=object)
    n = len(weights)
    if n == 0:
        return np.array([], dtype=object)
    heads = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    counts = np.diff(np.r_[heads, n])
    running = np.cumsum(weights)
    before = np.zeros(len(heads), dtype=object)
    before[1:] = running[heads[1:] - 1]
    running = running - np.repeat(before, counts)
    whole = np.repeat(running[heads + counts - 1], counts)
    cumulative = floor_share(np.asarray(totals, dtype=object)[owner], running, whole)
    previous = np.zeros(n, dtype=object)
    previous[1:] = cumulative[:-1]
    previous[heads] = 0
    parts: ObjectArray = cumulative - previous
    return parts


def split_schedule(amounts: Sequence[int], weights: Sequence[int]) -> list[list[int]]:
    """Split a schedule (one amount per period) into pieces by weights, exactly both ways, never negative.

    The pieces' totals are the total split by the one rounding rule
    (`split_by_weights`). Period by period, each piece's running total is kept
    within one unit of its exact share C(t) * S_j / T (floor first, then the
    units left over go to the largest remainders), so the pieces of a period
    sum to its amount and no piece ever goes below zero. Python integers:
    C(t) * S_j reaches 10^34.
    """
    total = sum(amounts)
    shares = split_by_weights(total, weights) if total else [0] * len(weights)
    pieces: list[list[int]] = [[] for _ in weights]
    given = [0] * len(weights)
    accrued = 0
    for amount in amounts:
        accrued += amount
        exact = [divmod(accrued * share, total) if total else (0, 0) for share in shares]
        step = [max(floor - have, 0) for (floor, _), have in zip(exact, given, strict=True)]
        left = amount - sum(step)
        by_remainder = sorted(range(len(shares)), key=lambda j: (-exact[j][1], j))
        if left > 0:  # round up the largest remainders (each at most to its ceiling)
            for j in by_remainder:
                if left and exact[j][1] and given[j] + step[j] == exact[j][0]:
                    step[j] += 1
                    left -= 1
        for j in reversed(by_remainder):  # over: hold back from the smallest remainders
            if left >= 0:
                break
            cut = min(step[j], -left)
            step[j] -= cut
            left += cut
        for j, part in enumerate(step):
            pieces[j].append(part)
            given[j] += part
    return pieces


# -- int64 money arrays and their sums ---------------------------------------------------------------------


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
