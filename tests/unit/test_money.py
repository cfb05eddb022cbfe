"""Exact money: parsing decimal text to minor units and back, never through floats."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.money import (
    MAX_MINOR,
    MINOR_DIGITS,
    Money,
    format_minor,
    format_minor_array,
    parse_amount,
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
