"""Terminal tables that fit: ids and amounts never cut at any width, amounts with their currency, totals per
currency (exact, near the largest amounts), nothing shown as nan, and what gives way when a table is too
wide (ledger/render/tables.py)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.money import MAX_MINOR
from ledger.render.output import grouped_amount
from ledger.render.tables import Field, TableSpec, print_table, terminal_width, wrap

SPEC = TableSpec(
    fields=(
        Field("agreement_id"),
        Field("kind", give_way=3, under="agreement_id"),
        Field("payer", "text"),
        Field("payee", "text", give_way=4, under="payer"),
        Field("period"),
        Field("period_start", give_way=1),
        Field("period_end", give_way=1),
        Field("amount", "money"),
    ),
    group=("agreement_id", "kind", "payer", "payee"),
    sums=("amount",),
    subtotals=True,
    totals=True,
    label="period",
)


def shown(frame: pd.DataFrame, spec: TableSpec = SPEC, width: int = 80, **options: object) -> str:
    out = io.StringIO()
    print_table(frame, spec, out, width=width, **options)  # type: ignore[arg-type]
    return out.getvalue()


def amount_text(minor: int, digits: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"


def lines_of(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    rows = []
    for n, key in enumerate(ids):
        for year in (2026, 2027):
            rows.append({
                "agreement_id": key, "kind": "cloud_commitment", "payer": "OpenAI", "payee": "Amazon Web Services",
                "period": str(year), "period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
                "amount": amount_text(10**9 * (n + 1) + year, 2), "currency": "USD",
            })  # fmt: skip
    return pd.DataFrame(rows)


IDS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/", min_size=1, max_size=40)
NAMES = st.lists(st.text(alphabet="abcdefghij →.", min_size=1, max_size=12), min_size=1, max_size=5).map(" ".join)
CURRENCIES = st.sampled_from([("USD", 2), ("EUR", 2), ("JPY", 0), ("BHD", 3)])
RECORDS = st.lists(
    st.tuples(IDS, NAMES, NAMES, st.integers(-MAX_MINOR, MAX_MINOR), CURRENCIES), min_size=1, max_size=12
)


@settings(max_examples=150, deadline=None)
@given(RECORDS, st.integers(min_value=20, max_value=200), st.booleans())
def test_no_id_or_amount_is_ever_cut_at_any_width(records: list, width: int, wide: bool) -> None:  # type: ignore[type-arg]
    """Whatever the width: every id and every amount with its currency appears whole on one line, nothing
    is cut with an ellipsis, and a table that fits is no wider than the terminal."""
    frame = pd.DataFrame(
        [
            {"agreement_id": key, "kind": "k", "payer": payer, "payee": payee, "period": "2026",
             "period_start": "2026-01-01", "period_end": "2026-12-31", "amount": amount_text(minor, digits),
             "currency": code}
            for key, payer, payee, minor, (code, digits) in records
        ]
    )  # fmt: skip
    text = shown(frame, width=width, wide=wide)
    lines = text.splitlines()
    assert "…" not in text
    for key in frame["agreement_id"]:
        assert any(key in line for line in lines), key
    for amount, code in zip(frame["amount"], frame["currency"], strict=True):
        assert f"{grouped_amount(amount)} {code}" in text
    widest = max(len(line) for line in lines)
    if widest > width and not wide:  # wider than asked only when no narrower table would do
        assert max(len(line) for line in shown(frame, width=widest - 1).splitlines()) == widest


def test_at_80_columns_less_important_columns_stack_or_go_and_the_table_says_which() -> None:
    frame = lines_of(pd.DataFrame(), ["OAI-AWS-2025-11", "ANTH-2026-02-SERIES-G"])
    narrow, wide = shown(frame, width=80), shown(frame, width=80, wide=True)
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "period start" not in "".join(narrow.splitlines()[:6])  # not in the header
    assert "Not shown at 80 columns: period start, period end" in narrow
    assert "--wide shows every column" in narrow
    assert "2026-12-31" in wide and "Not shown" not in wide and max(len(line) for line in wide.splitlines()) > 80
    header = narrow.splitlines()[1:5]
    assert any("kind" in line for line in header) and any("payee" in line for line in header)  # stacked
    assert "cloud_commitment" in narrow and "Amazon Web" in narrow  # their values too


def test_a_group_shows_its_fields_once_with_a_total_and_the_table_totals_per_currency() -> None:
    frame = pd.DataFrame(
        [
            {"agreement_id": "A", "payer": "P", "payee": "Q", "period": "2026", "amount": "100.10", "currency": "USD"},
            {"agreement_id": "A", "payer": "P", "payee": "Q", "period": "2027", "amount": "0.01", "currency": "USD"},
            {"agreement_id": "B", "payer": "P", "payee": "Q", "period": "2026", "amount": "5.00", "currency": "EUR"},
            {"agreement_id": "C", "payer": "P", "payee": "Q", "period": "2026", "amount": "-7", "currency": "JPY"},
        ]
    )
    text = shown(frame, width=120)
    lines = text.splitlines()
    assert sum(line.startswith("│ A ") for line in lines) == 1  # the group's id on its first row only
    assert re.search(r"subtotal .*100\.11 USD", text)
    totals = [line for line in lines if re.search(r"│ total ", line)]
    assert [re.findall(r"-?[\d,.]+ [A-Z]{3}", t)[0] for t in totals] == ["5.00 EUR", "-7 JPY", "100.11 USD"]


def test_totals_are_exact_near_the_largest_amounts() -> None:
    amounts = [amount_text(MAX_MINOR, 2), amount_text(MAX_MINOR - 1, 2), amount_text(1, 2), "0.01288992"]
    frame = pd.DataFrame({"agreement_id": list("ABCD"), "period": "2026", "amount": amounts, "currency": "USD"})
    spec = TableSpec((Field("agreement_id"), Field("period"), Field("amount", "money")), sums=("amount",),
                     totals=True, label="period")  # fmt: skip
    assert "2,000,000,000,000,000.01288992 USD" in shown(frame, spec)  # 10**15 + (10**15 - 0.01) + 0.01 + ...


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_values_are_empty_never_nan_none_or_nat(missing: object) -> None:
    frame = pd.DataFrame(
        {"agreement_id": ["A", "B"], "met_on": [missing, "2027-01-31"], "amount": [missing, "1.00"],
         "currency": ["USD", "USD"], "note": [missing, "x"]}
    )  # fmt: skip
    spec = TableSpec((Field("agreement_id"), Field("met_on"), Field("amount", "money"), Field("note", "text")))
    text = shown(frame, spec)
    assert not re.search(r"\b(nan|NaN|None|NaT|<NA>)\b", text)
    assert "2027-01-31" in text and "1.00 USD" in text


def test_amounts_show_their_qualifier_and_words_stay_words() -> None:
    frame = pd.DataFrame(
        {"agreement_id": ["A", "B"], "amount": ["4000000000.00", "undisclosed"], "q": ["up_to", None],
         "currency": ["USD", "USD"]}
    )  # fmt: skip
    spec = TableSpec((Field("agreement_id"), Field("amount", "money", qualifier="q")))
    text = shown(frame, spec)
    assert "up to 4,000,000,000.00 USD" in text and "undisclosed" in text and "undisclosed USD" not in text


def test_a_list_of_ids_wraps_between_ids_never_inside_one() -> None:
    ids = ["ANTH-GOOG-2023-CLOUD", "ANTH-GOOG-2025-10-TPU", "GOOG-ANTH-2026-04-T2"]
    frame = pd.DataFrame({"finding": ["overlap"], "agreements": [", ".join(ids)], "message": ["m " * 200]})
    spec = TableSpec((Field("finding"), Field("agreements"), Field("message", "text")))
    text = shown(frame, spec, width=60)
    for key in ids:
        assert key in text


def test_wrap_breaks_between_words_and_folds_a_word_too_long() -> None:
    assert wrap("Investors in ANTH-2026-02-SERIES-G", 14) == ["Investors in", "ANTH-2026-02-S", "ERIES-G"]
    assert wrap("a b\nc", 10) == ["a b", "c"]
    assert wrap("", 5) == [""]


def test_off_a_terminal_the_width_is_columns_else_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width(io.StringIO()) == 80
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width(io.StringIO()) == 132
    monkeypatch.setenv("COLUMNS", "wide")
    assert terminal_width(io.StringIO()) == 80
