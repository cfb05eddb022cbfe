"""Exact money: parsing decimal text to minor units and back, never through floats."""

import re
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.money import (
    MAX_MINOR,
    MAX_WHOLE_DIGITS,
    MINOR_DIGITS,
    PICO_DIGITS,
    Money,
    decimal_parts,
    floor_share,
    format_minor,
    format_minor_array,
    format_minor_column,
    format_pico,
    parse_amount,
    parse_amounts,
    parse_cost,
    parse_costs,
    plain_decimal,
    split_by_weights,
    split_by_weights_array,
    split_costs,
    split_pico,
    to_decimal,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("100000000000.00", "USD", 10_000_000_000_000),
        ("99999999999.99", "USD", 9_999_999_999_999),
        ("38000000000", "USD", 3_800_000_000_000),
        ("0.5", "USD", 50),
        ("1.500", "USD", 150),  # trailing zeros beyond the minor unit are exact
        ("1000", "JPY", 1000),
        ("1.234", "BHD", 1234),
        ("  12.30 ", "EUR", 1230),
    ],
)
def test_parse_amount_exact(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    "text",
    ["1,000.00", "1e9", "1.0E3", "12.345", "-5.00", "$100", "", "1.2.3", "NaN", "Infinity", " . "],
)
def test_parse_amount_refuses_inexact_or_ambiguous_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"plain decimal|non-negative"):
        parse_amount(text, "USD")


def test_parse_amount_refuses_floats_and_says_why() -> None:
    with pytest.raises(ValueError, match="floating-point numbers are not exact"):
        parse_amount(0.1, "USD")


def test_parse_amount_refuses_unknown_currency() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        parse_amount("1.00", "XYZ")


def test_parse_amount_bounds() -> None:
    assert parse_amount(str(MAX_MINOR // 100), "USD") == MAX_MINOR
    with pytest.raises(ValueError, match="at most"):
        parse_amount(str(MAX_MINOR // 100 + 1), "USD")


def test_negative_amounts_only_when_allowed() -> None:
    assert parse_amount("-5.25", "USD", allow_negative=True) == -525
    with pytest.raises(ValueError, match="non-negative"):
        parse_amount("-5.25", "USD")


def test_decimal_inputs() -> None:
    assert parse_amount(Decimal("12.34"), "USD") == 1234
    with pytest.raises(ValueError, match="plain decimal"):
        parse_amount(Decimal("12.345"), "USD")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (9_999_999_999_999, "USD", "99999999999.99"),
        (5, "USD", "0.05"),
        (-5, "USD", "-0.05"),
        (7, "JPY", "7"),
        (1, "BHD", "0.001"),
    ],
)
def test_format_minor(minor: int, currency: str, text: str) -> None:
    assert format_minor(minor, currency) == text


@given(st.integers(min_value=0, max_value=MAX_MINOR), st.sampled_from(sorted(MINOR_DIGITS)))
def test_round_trip_text_minor_text(minor: int, currency: str) -> None:
    text = format_minor(minor, currency)
    assert "e" not in text.lower() and "," not in text
    assert parse_amount(text, currency) == minor
    assert to_decimal(minor, currency) == Decimal(text)


@given(st.lists(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), max_size=50), st.sampled_from([0, 2, 3]))
def test_vectorized_format_matches_scalar(values: list[int], digits: int) -> None:
    currency = {0: "JPY", 2: "USD", 3: "BHD"}[digits]
    got = format_minor_array(np.array(values, dtype=np.int64), digits).tolist()
    assert got == [format_minor(v, currency) for v in values]


def test_money_value() -> None:
    money = Money.parse("38000000000.00", "USD")
    assert money.minor == 3_800_000_000_000
    assert str(money) == "38000000000.00 USD"
    assert money.decimal == Decimal("38000000000.00")


def test_migration_currency_list_matches_domain() -> None:
    import importlib.util

    from ledger.db.migrate import migrations_dir

    path = migrations_dir() / "versions" / "0001_initial_schema.py"
    spec = importlib.util.spec_from_file_location("initial", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.CURRENCIES == MINOR_DIGITS


# -- the parsers, for whole columns: the kernel and the scalar parser read the same -------------------------

PLAIN_COST = re.compile(r"^-?([0-9]{1,15}(\.[0-9]{0,12})?|\.[0-9]{1,12})$")
CURRENCIES = sorted(MINOR_DIGITS)

cost_texts = st.one_of(
    st.builds(
        lambda sign, whole, fraction: f"{sign}{whole}{fraction}",
        st.sampled_from(["", "-", "+"]),
        st.one_of(st.just(""), st.integers(0, 10**16).map(str)),
        st.one_of(st.just(""), st.just("."), st.text("0123456789", min_size=1, max_size=14).map(lambda t: "." + t)),
    ),
    st.text(max_size=20),
    st.sampled_from(["1e-5", " 2.5", "NULL", "1,5", "--1", "١٢", "1.5E-5", "."]),
)
amount_texts = st.one_of(
    st.builds(
        lambda whole, fraction, pad: f"{whole}{fraction}{pad}",
        st.one_of(st.integers(0, 10**18).map(str), st.text("0123456789", min_size=1, max_size=20)),
        st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=5).map(lambda t: "." + t)),
        st.sampled_from(["", "0", "000", "0" * 38, " "]),
    ),
    st.integers(0, MAX_MINOR).map(lambda m: format_minor(m, "USD")),
    st.sampled_from(["١٢", "١٢.٥", "1.", ".5", "-1.00", "1e3", " 7 ", "0", "00.10", "1" * 40]),
    st.text(max_size=12),
)


@given(st.lists(cost_texts, min_size=1, max_size=40))
def test_the_cost_kernel_reads_plain_decimals_as_the_scalar_parser(values: list[str]) -> None:
    texts = np.array(values, dtype=object)
    parts = decimal_parts(texts, whole_digits=MAX_WHOLE_DIGITS, fraction_digits=PICO_DIGITS, signed=True)
    costs = parse_costs(texts)
    for i, text in enumerate(values):
        assert bool(parts.plain[i]) == bool(PLAIN_COST.match(text)), text
        try:
            expected: int | None = parse_cost(text)
        except ValueError:
            expected = None
        if expected is None:
            assert costs.bad[i], text
            continue
        value = int(costs.whole[i]) * 10**PICO_DIGITS + int(costs.fraction[i])
        assert not costs.bad[i] and (-value if costs.negative[i] else value) == expected, text


@given(st.lists(st.tuples(amount_texts, st.sampled_from(CURRENCIES)), min_size=1, max_size=40))
def test_amounts_of_a_column_are_parse_amount_of_each(cells: list[tuple[str, str]]) -> None:
    texts = np.array([text for text, _ in cells], dtype=object)
    amounts = parse_amounts(texts, np.array([currency for _, currency in cells], dtype=object))
    for i, (text, currency) in enumerate(cells):
        try:
            expected: int | str = parse_amount(text, currency)
        except ValueError as error:
            expected = str(error)
        assert (int(amounts.minor[i]) if amounts.problem[i] is None else amounts.problem[i]) == expected, text


@given(amount_texts)
def test_a_plain_decimal_is_a_non_negative_amount_in_some_number_of_decimals(text: str) -> None:
    """The field rule of a decimal in a file (any currency) and parse_amount read the same grammar."""
    if not plain_decimal(text):
        return
    decimals = len(text.partition(".")[2].rstrip("0"))
    currency = {0: "JPY", 1: "USD", 2: "USD", 3: "BHD"}.get(decimals)
    if currency is None:
        return
    if Decimal(text).scaleb(MINOR_DIGITS[currency]) > MAX_MINOR:
        with pytest.raises(ValueError, match="an amount of at most"):
            parse_amount(text, currency)
    else:
        assert parse_amount(text, currency) == Decimal(text).scaleb(MINOR_DIGITS[currency])


def test_plain_decimals() -> None:
    assert [plain_decimal(t) for t in ["1", "1.50", "007", "1." + "0" * 38]] == [True] * 4
    refused = ["", "1.", ".5", "-1", "+1", "1e3", "1,000", " 1", "1.2.3", "١٢"]
    assert [plain_decimal(t) for t in refused] == [False] * len(refused)


@given(st.lists(st.integers(-(10**26), 10**26), min_size=1, max_size=30), st.sampled_from(["USD", "JPY", "KWD", "CLP"]))
def test_costs_split_into_minor_units_and_a_rest_as_split_pico(picos: list[int], currency: str) -> None:
    texts = np.array([format_pico(p, currency) for p in picos], dtype=object)
    costs = parse_costs(texts)
    assert not costs.bad.any()
    minor, sub = split_costs(costs, np.full(len(picos), MINOR_DIGITS[currency], dtype=np.int64))
    assert list(zip(minor.tolist(), sub.tolist(), strict=True)) == [split_pico(p, currency) for p in picos]


# -- the one rounding rule ---------------------------------------------------------------------------------


@given(st.integers(0, MAX_MINOR), st.integers(1, 50_000), st.data())
def test_floor_share_is_the_exact_floor_for_integers_and_arrays(total: int, whole: int, data: st.DataObject) -> None:
    elapsed = data.draw(st.lists(st.integers(0, whole), min_size=1, max_size=20))
    exact = [total * e // whole for e in elapsed]
    assert [floor_share(total, e, whole) for e in elapsed] == exact
    as_arrays = floor_share(np.full(len(elapsed), total, np.int64), np.array(elapsed, np.int64), whole)
    assert as_arrays.dtype == np.int64 and as_arrays.tolist() == exact


@given(st.lists(st.tuples(st.integers(0, MAX_MINOR), st.lists(st.integers(0, 2**70), min_size=1, max_size=8))))
def test_weights_split_many_totals_as_each_alone(cases: list[tuple[int, list[int]]]) -> None:
    cases = [(total, weights) for total, weights in cases if sum(weights) > 0]
    owner = np.repeat(np.arange(len(cases)), [len(w) for _, w in cases])
    weights = np.array([w for _, ws in cases for w in ws], dtype=object)
    parts = split_by_weights_array(np.array([t for t, _ in cases], dtype=object), weights, owner).tolist()
    assert parts == [part for total, ws in cases for part in split_by_weights(total, ws)]
    for total, ws in cases:
        assert sum(split_by_weights(total, ws)) == total


@given(st.lists(st.tuples(st.integers(-MAX_MINOR, MAX_MINOR), st.sampled_from(CURRENCIES)), max_size=30))
def test_a_column_of_amounts_in_several_currencies_is_formatted_row_by_row(rows: list[tuple[int, str]]) -> None:
    minor = np.array([m for m, _ in rows], dtype=np.int64)
    currencies = np.array([c for _, c in rows], dtype=object)
    assert format_minor_column(minor, currencies).tolist() == [format_minor(m, c) for m, c in rows]


def test_amounts_are_written_in_ascii_digits_only() -> None:
    """Python's int() reads Arabic-Indic or full-width digits; an amount in a file must be 0-9 (what a
    reader of the file sees as the number), else it is refused, on the scalar and the column paths alike."""
    from ledger.domain.money import parse_amount, parse_amounts, plain_decimal

    for text in ("١٢.00", "１２.00", "12.٠٠"):
        assert not plain_decimal(text)
        with pytest.raises(ValueError, match="plain"):
            parse_amount(text, "USD")
        parsed = parse_amounts(np.array([text, "12.00"], dtype=object), np.array(["USD", "USD"], dtype=object))
        assert parsed.minor[1] == 1200 and not parsed.ok[0]
