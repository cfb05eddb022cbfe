"""Draw-down and burn position on hand-computed cases (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.burn.drawdown import Charge, Commitment, Draw, draw_down
from ledger.burn.position import CommitmentTerms, Minimum, position
from ledger.domain.dates import add_months
from ledger.domain.money import format_pico, join_pico, parse_cost, split_pico
from ledger.domain.spend import ChargeCategory, CountingRule, MinimumPeriod

D = dt.date
USD = 10**10  # pico units per cent
DOLLAR = 100 * USD


def monthly(start: D, months: int, minor_each: int) -> dict[D, int]:
    return {add_months(start, k): minor_each for k in range(months)}


# $1,200.00 over 12 months from 2025-04-01, $100.00 a month on schedule.
TERMS = CommitmentTerms(
    "C-1", "AwesomeCorp", "Acme Co", "USD", D(2025, 4, 1), D(2026, 3, 31), 120_000, monthly(D(2025, 4, 1), 12, 10_000)
)


def spend(*dollars: int) -> dict[D, int]:
    return {add_months(D(2025, 4, 1), k): v * DOLLAR for k, v in enumerate(dollars)}


def test_on_pace() -> None:
    p = position(TERMS, spend(*[100] * 6), D(2025, 9, 30))
    assert p.status == "active"
    assert (p.consumed_pico, p.expected_pico, p.remaining_pico) == (600 * DOLLAR, 600 * DOLLAR, 600 * DOLLAR)
    assert p.utilization == Fraction(1, 2)
    assert (p.months_left, p.days_left) == (6, 182)
    assert p.required_monthly_pico == p.trailing_monthly_pico == 100 * DOLLAR
    assert p.projected_pico == 1200 * DOLLAR
    assert (p.projected_shortfall_pico, p.projected_overage_pico) == (0, 0)
    assert p.met_on == D(2026, 3, 31)


def test_behind() -> None:
    p = position(TERMS, spend(*[50] * 6), D(2025, 9, 30))
    assert (p.consumed_pico, p.remaining_pico) == (300 * DOLLAR, 900 * DOLLAR)
    assert p.required_monthly_pico == 150 * DOLLAR
    assert p.trailing_monthly_pico == 50 * DOLLAR
    assert p.projected_pico == 600 * DOLLAR
    assert p.projected_shortfall_pico == 600 * DOLLAR
    assert p.met_on is None  # 900 / 50 = 18 more months: after the term


def test_ahead() -> None:
    p = position(TERMS, spend(*[150] * 6), D(2025, 9, 30))
    assert (p.consumed_pico, p.remaining_pico) == (900 * DOLLAR, 300 * DOLLAR)
    assert p.required_monthly_pico == 50 * DOLLAR
    assert p.projected_pico == 1800 * DOLLAR
    assert p.projected_overage_pico == 600 * DOLLAR
    assert p.met_on == D(2025, 11, 30)  # 300 / 150 = 2 more months


def test_already_met() -> None:
    p = position(TERMS, spend(*[200] * 6), D(2025, 9, 30))
    assert p.remaining_pico == 0
    assert p.required_monthly_pico == 0
    assert p.met_on == D(2025, 9, 30)  # 200 a month reaches 1,200 in the sixth month


def test_expired_shortfall_is_what_true_up_bills() -> None:
    p = position(TERMS, spend(48, 120, 60), D(2026, 6, 30), true_up_billed_pico=972 * DOLLAR)
    assert p.status == "expired"
    assert (p.consumed_pico, p.remaining_pico) == (228 * DOLLAR, 972 * DOLLAR)
    assert (p.months_left, p.days_left) == (0, 0)
    assert p.required_monthly_pico is None
    assert p.trailing_monthly_pico == 0  # the last three months of the term had no spend
    assert p.projected_shortfall_pico == p.true_up_billed_pico == 972 * DOLLAR
    assert p.met_on is None


def test_not_started() -> None:
    p = position(TERMS, {}, D(2025, 3, 15))
    assert p.status == "not_started"
    assert (p.consumed_pico, p.expected_pico) == (0, 0)
    assert (p.months_left, p.days_left) == (12, 365)
    assert p.required_monthly_pico == 100 * DOLLAR
    assert p.trailing_monthly_pico is None
    assert p.projected_shortfall_pico == 1200 * DOLLAR
    assert p.met_on is None


def test_trailing_pace_of_the_spec_scenario_after_three_months() -> None:
    p = position(TERMS, spend(48, 120, 60), D(2025, 6, 30))
    assert p.trailing_monthly_pico == 76 * DOLLAR  # (48 + 120 + 60) / 3
    assert p.required_monthly_pico == 108 * DOLLAR  # 972 / 9
    assert p.projected_pico == (228 + 9 * 76) * DOLLAR
    assert p.projected_shortfall_pico == 288 * DOLLAR


def test_rates_round_toward_safety() -> None:
    terms = CommitmentTerms(
        "C", "a", "b", "USD", D(2025, 1, 1), D(2025, 4, 30), 100_000, monthly(D(2025, 1, 1), 4, 25_000)
    )
    p = position(terms, {D(2025, 1, 1): 100 * USD * 100 + 1 * USD}, D(2025, 1, 31))
    assert p.required_monthly_pico == 29_999 * USD + USD  # 899.99 / 3 = 299.996... rounded up: 300.00
    three = {D(2025, 1, 1): 10_000 * USD, D(2025, 2, 1): 10_000 * USD, D(2025, 3, 1): 10_001 * USD}
    assert position(terms, three, D(2025, 3, 31)).trailing_monthly_pico == 10_000 * USD  # 100.0033 floored


def test_expected_to_date_is_pro_rata_within_the_month() -> None:
    assert position(TERMS, {}, D(2025, 4, 15)).expected_pico == 50 * DOLLAR  # 100.00 * 15 / 30
    assert position(TERMS, {}, D(2025, 5, 31)).expected_pico == 200 * DOLLAR


def test_charges_after_the_as_of_month_are_not_yet_known() -> None:
    p = position(TERMS, spend(100, 100, 100, 100), D(2025, 5, 20))
    assert p.consumed_pico == 200 * DOLLAR


def test_monthly_minimum_periods() -> None:
    terms = CommitmentTerms(
        "C-2", "a", "b", "USD", D(2025, 4, 1), D(2026, 3, 31), 120_000, monthly(D(2025, 4, 1), 12, 10_000),
        Minimum(6_000, MinimumPeriod.MONTH),
    )  # fmt: skip
    p = position(terms, spend(60, 120, 60, *[60] * 8), D(2026, 3, 31))
    minimums = [q for q in p.periods if q.kind == "minimum"]
    assert [q.label for q in minimums] == [f"M{i}" for i in range(1, 13)]
    assert all(q.state == "ended" for q in minimums)
    assert [q.gap_pico for q in minimums] == [0] * 11 + [60 * DOLLAR]
    assert p.remaining_pico == 480 * DOLLAR
    years = [q for q in p.periods if q.kind == "contract_year"]
    assert [(q.label, q.required_pico, q.consumed_pico) for q in years] == [("CY1", 1200 * DOLLAR, 720 * DOLLAR)]


def test_periods_in_progress_have_no_gap_yet() -> None:
    terms = CommitmentTerms(
        "C-3", "a", "b", "USD", D(2025, 1, 1), D(2026, 12, 31), 240_000, monthly(D(2025, 1, 1), 24, 10_000),
        Minimum(30_000, MinimumPeriod.QUARTER), binding_years=True,
    )  # fmt: skip
    p = position(terms, {D(2025, 1, 1): 500 * DOLLAR}, D(2025, 2, 10))
    quarters = [q for q in p.periods if q.kind == "minimum"]
    assert len(quarters) == 8
    assert (quarters[0].state, quarters[0].consumed_pico, quarters[0].gap_pico) == ("current", 500 * DOLLAR, None)
    assert quarters[1].state == "future"
    years = [q for q in p.periods if q.kind == "contract_year"]
    assert [(q.label, q.required_pico, q.binding) for q in years] == [
        ("CY1", 1200 * DOLLAR, True),
        ("CY2", 1200 * DOLLAR, True),
    ]


def test_each_contract_year_of_a_tranche_commitment_has_its_own_position() -> None:
    schedule = {**monthly(D(2025, 1, 1), 12, 1_000), **monthly(D(2026, 1, 1), 12, 2_000)}  # $120, then $240
    terms = CommitmentTerms(
        "EDP", "a", "b", "USD", D(2025, 1, 1), D(2026, 12, 31), 36_000, schedule, binding_years=True
    )
    spent = {add_months(D(2025, 1, 1), k): 10 * DOLLAR for k in range(18)}  # $10 a month through June 2026
    cy1, cy2 = position(terms, spent, D(2026, 6, 30)).periods
    assert (cy1.label, cy1.state, cy1.required_pico, cy1.consumed_pico, cy1.gap_pico) == (
        "CY1", "ended", 120 * DOLLAR, 120 * DOLLAR, 0,
    )  # fmt: skip
    year = cy2.position
    assert (cy2.state, cy2.required_pico, cy2.consumed_pico, cy2.gap_pico) == (
        "current",
        240 * DOLLAR,
        60 * DOLLAR,
        None,
    )
    assert year.expected_pico == 120 * DOLLAR  # six months of $20
    assert (year.months_left, year.required_monthly_pico, year.trailing_monthly_pico) == (6, 30 * DOLLAR, 10 * DOLLAR)
    assert year.projected_shortfall_pico == 120 * DOLLAR  # 240 - (60 + 6 * 10): the year's tranche will be missed


def test_a_quarterly_minimum_is_expected_evenly_by_month() -> None:
    terms = dataclasses.replace(TERMS, minimum=Minimum(30_000, MinimumPeriod.QUARTER))
    q1 = next(q for q in position(terms, spend(50), D(2025, 4, 30)).periods if q.label == "Q1")
    assert (q1.start, q1.last_day) == (D(2025, 4, 1), D(2025, 6, 30))
    assert q1.position.expected_pico == 100 * DOLLAR  # $300 over three months, one of them elapsed
    assert q1.position.required_monthly_pico == 125 * DOLLAR  # (300 - 50) / 2


# -- draw-down ---------------------------------------------------------------------------------------------

A = Commitment("A", "lab", "cloud", "USD", D(2025, 1, 1), D(2025, 12, 31), 100 * DOLLAR)
B = Commitment("B", "lab", "cloud", "USD", D(2025, 6, 1), D(2026, 12, 31), 1000 * DOLLAR)


def usage(id_: int, month: D, dollars: int, **kw: object) -> Charge:
    fields: dict[str, object] = {"payer": "lab", "payee": "cloud", "currency": "USD", "counts": True}
    fields.update(kw)
    category = fields.pop("category", ChargeCategory.USAGE)
    return Charge(id_, month=month, pico=dollars * DOLLAR, category=category, **fields)  # type: ignore[arg-type]


def test_earliest_expiring_first_then_the_next() -> None:
    draws = draw_down([usage(1, D(2025, 6, 1), 150)], [B, A])
    assert draws == [Draw(1, "A", 100 * DOLLAR, "draw"), Draw(1, "B", 50 * DOLLAR, "draw")]


def test_only_commitments_covering_the_month() -> None:
    draws = draw_down([usage(1, D(2025, 3, 1), 10), usage(2, D(2026, 2, 1), 10)], [A, B])
    assert draws == [Draw(1, "A", 10 * DOLLAR, "draw"), Draw(2, "B", 10 * DOLLAR, "draw")]


def test_overage_lands_on_the_last_covering_commitment() -> None:
    draws = draw_down([usage(1, D(2025, 6, 1), 1500)], [A, B])
    assert draws == [Draw(1, "A", 100 * DOLLAR, "draw"), Draw(1, "B", 1400 * DOLLAR, "draw")]


def test_named_agreement_and_other_parties() -> None:
    charges = [
        usage(1, D(2025, 6, 1), 70, agreement="B"),
        usage(2, D(2025, 6, 1), 70, payer="someone else"),
        usage(3, D(2025, 6, 1), 70, currency="EUR"),
        usage(4, D(2025, 6, 1), 70, counts=False, category=ChargeCategory.TAX),
    ]
    assert draw_down(charges, [A, B]) == [Draw(1, "B", 70 * DOLLAR, "draw")]


def test_true_up_is_attributed_not_consumed() -> None:
    charges = [usage(1, D(2025, 6, 1), 30), usage(2, D(2025, 12, 1), 70, counts=False, category=ChargeCategory.TRUE_UP)]
    draws = draw_down(charges, [A])
    assert draws == [Draw(1, "A", 30 * DOLLAR, "draw"), Draw(2, "A", 70 * DOLLAR, "true_up")]


def test_refunds_give_back_to_the_earliest_expiring() -> None:
    draws = draw_down([usage(1, D(2025, 6, 1), 120), usage(2, D(2025, 7, 1), -50)], [A, B])
    assert draws[-1] == Draw(2, "A", -50 * DOLLAR, "draw")
    following = draw_down(
        [usage(1, D(2025, 6, 1), 120), usage(2, D(2025, 7, 1), -50), usage(3, D(2025, 8, 1), 40)], [A, B]
    )
    assert following[-1] == Draw(3, "A", 40 * DOLLAR, "draw")  # A has room again after the refund


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30))
def test_draw_down_conserves_every_counted_pico(amounts: list[int]) -> None:
    charges = [usage(i, add_months(D(2025, 6, 1), i % 7), a) for i, a in enumerate(amounts)]
    draws = draw_down(charges, [A, B])
    assert sum(d.pico for d in draws) == sum(c.pico for c in charges)
    used = {k: sum(d.pico for d in draws if d.agreement == k) for k in ("A", "B")}
    assert used["A"] <= A.committed_pico or used["B"] == 0 or all(c.month > A.last_day for c in charges)


# -- exact costs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pico"),
    [
        ("48", 48 * DOLLAR),
        ("-2.61370000000", -2_613_700_000_000),
        ("0.01288992000", 12_889_920_000),
        ("1.5E-5", 15_000_000),
        ("  12.000000000001 ", 12_000_000_000_001),
        (".5", 500_000_000_000),
    ],
)
def test_parse_cost_is_exact(text: str, pico: int) -> None:
    assert parse_cost(text) == pico


@pytest.mark.parametrize("text", ["", "NULL", "1,5", "0.0000000000001", "1e400", "abc", "--1", "1e", "."])
def test_parse_cost_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="decimal amount"):
        parse_cost(text)


@given(st.integers(min_value=-(10**26), max_value=10**26), st.sampled_from(["USD", "JPY", "KWD"]))
def test_split_and_join_pico_round_trip(pico: int, currency: str) -> None:
    minor, rest = split_pico(pico, currency)
    assert join_pico(minor, rest, currency) == pico
    assert 0 <= rest < 10 ** (12 - {"USD": 2, "JPY": 0, "KWD": 3}[currency])


def test_format_pico() -> None:
    assert format_pico(228 * DOLLAR, "USD") == "228.00"
    assert format_pico(12_889_920_000, "USD") == "0.01288992"
    assert format_pico(-5 * 10**12, "JPY") == "-5"
    assert format_pico(-1, "USD") == "-0.000000000001"


def test_counting_rule_refuses_counting_true_ups() -> None:
    with pytest.raises(ValueError, match="true-up"):
        CountingRule(counted=frozenset({ChargeCategory.TRUE_UP}))
    assert "count=usage" in CountingRule().describe()


@given(
    st.lists(st.integers(min_value=0, max_value=500 * DOLLAR), min_size=0, max_size=14),
    st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 8, 31)),
)
def test_position_invariants(monthly_spend: list[int], as_of: D) -> None:
    consumed = {add_months(D(2025, 4, 1), k): v for k, v in enumerate(monthly_spend)}
    p = position(TERMS, consumed, as_of)
    assert p.remaining_pico == max(p.committed_pico - p.consumed_pico, 0)
    assert p.projected_shortfall_pico - p.projected_overage_pico == p.committed_pico - p.projected_pico
    assert 0 <= p.expected_pico <= p.committed_pico
    if p.status == "expired":
        assert p.projected_pico == p.consumed_pico and p.months_left == 0 and p.days_left == 0
    if p.required_monthly_pico is not None and p.months_left:
        # the smallest whole-cent pace that meets the commitment in the months left
        assert p.required_monthly_pico * p.months_left >= p.remaining_pico
        assert (p.required_monthly_pico - USD) * p.months_left < p.remaining_pico or p.remaining_pico == 0
    if p.met_on is not None:
        assert TERMS.start <= p.met_on <= TERMS.last_day
