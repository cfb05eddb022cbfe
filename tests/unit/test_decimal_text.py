"""The vectorized decimal kernel against the scalar parser (differential, property-based)."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.spend import PICO_DIGITS, parse_cost
from ledger.io.decimal_text import parse_plain_decimals

PLAIN = re.compile(r"^-?([0-9]{1,15}(\.[0-9]{0,12})?|\.[0-9]{1,12})$")

decimals = st.builds(
    lambda sign, whole, fraction: f"{sign}{whole}{fraction}",
    st.sampled_from(["", "-", "+"]),
    st.one_of(st.just(""), st.integers(0, 10**16).map(str)),
    st.one_of(st.just(""), st.just("."), st.text("0123456789", min_size=1, max_size=14).map(lambda t: "." + t)),
)
texts = st.one_of(decimals, st.text(max_size=20), st.sampled_from(["1e-5", " 2.5", "NULL", "1,5", "--1", "١٢"]))


@given(st.lists(texts, min_size=1, max_size=40))
def test_kernel_agrees_with_the_scalar_parser(values: list[str]) -> None:
    parts = parse_plain_decimals(np.array(values, dtype=object))
    for i, text in enumerate(values):
        if parts.plain[i]:
            assert PLAIN.match(text), text
            value = int(parts.whole[i]) * 10**PICO_DIGITS + int(parts.fraction[i])
            assert (-value if parts.negative[i] else value) == parse_cost(text)
        else:
            assert not PLAIN.match(text), f"{text!r} is plain but was left to the scalar parser"


def test_examples() -> None:
    parts = parse_plain_decimals(np.array(["-2.61370000000", "0.01288992000", "48", ".5", "7.", "1e3"], dtype=object))
    assert parts.plain.tolist() == [True, True, True, True, True, False]
    assert parts.negative.tolist()[:5] == [True, False, False, False, False]
    assert parts.whole.tolist()[:5] == [2, 0, 48, 0, 7]
    assert parts.fraction.tolist()[:5] == [613_700_000_000, 12_889_920_000, 0, 500_000_000_000, 0]
