"""Exact decimal text -> integers, for whole arrays at once (the billing-file kernel).

`parse_plain_decimals` reads plain decimals (`-12.34000000000`, `.5`, `7`) as
bytes, one column of characters at a time, into integer parts: a sign, the
whole units and the fraction in 10^-12 units. Anything else (spaces,
exponents, more than 12 decimals, non-ASCII) is flagged not `plain`, for the
scalar `ledger.domain.spend.parse_cost` to accept or word the problem. A
property test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ledger.domain.spend import MAX_WHOLE_DIGITS, PICO_DIGITS

WIDTH = 1 + MAX_WHOLE_DIGITS + 1 + PICO_DIGITS  # sign, whole digits, point, fraction
_ZERO, _NINE, _POINT, _MINUS = ord("0"), ord("9"), ord("."), ord("-")

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DecimalParts:
    plain: BoolArray  # parsed here; the others need the scalar parser
    negative: BoolArray
    whole: IntArray  # whole units, at most 15 digits
    fraction: IntArray  # 10^-12 units, 0 <= fraction < 10^12


def parse_plain_decimals(texts: npt.NDArray[np.object_]) -> DecimalParts:
    n = len(texts)
    lengths = np.fromiter((len(t) if t.isascii() else -1 for t in texts), dtype=np.int64, count=n)
    ascii_only = np.where(lengths >= 0, texts, "")
    raw = np.array(ascii_only, dtype=f"S{WIDTH}")  # longer texts are cut: their length tells
    chars = raw.view(np.uint8).reshape(n, WIDTH).astype(np.int64)
    length = (chars != 0).sum(axis=1)
    negative = chars[:, 0] == _MINUS
    start = negative.astype(np.int64)
    is_point = chars == _POINT
    positions = np.arange(WIDTH)
    in_body = (positions >= start[:, None]) & (positions < length[:, None])
    points = (is_point & in_body).sum(axis=1)
    point = np.where(points == 1, np.argmax(is_point & in_body, axis=1), length)
    is_digit = (chars >= _ZERO) & (chars <= _NINE)
    whole_digits = point - start
    fraction_digits = np.where(points == 1, length - point - 1, 0)
    plain = (
        (length == lengths)
        & (points <= 1)
        & ((is_digit | is_point) | ~in_body).all(axis=1)
        & (whole_digits + fraction_digits >= 1)
        & (whole_digits <= MAX_WHOLE_DIGITS)
        & (fraction_digits <= PICO_DIGITS)
    )
    whole = np.zeros(n, dtype=np.int64)
    fraction = np.zeros(n, dtype=np.int64)
    for j in range(WIDTH):  # one column of characters at a time: n-long vectors, little memory
        digit = chars[:, j] - _ZERO
        in_whole = plain & (j >= start) & (j < point)
        whole = np.where(in_whole, whole * 10 + digit, whole)
        in_fraction = plain & (j > point) & (j < length)
        fraction = np.where(in_fraction, fraction * 10 + digit, fraction)
    fraction = fraction * 10 ** (PICO_DIGITS - np.where(plain, fraction_digits, PICO_DIGITS))
    return DecimalParts(plain, negative & plain, whole, fraction)
