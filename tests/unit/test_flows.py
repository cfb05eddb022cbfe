"""The flow graph, its loops and the measures, on hand-computed cases (amounts in cents)."""

from __future__ import annotations

from fractions import Fraction

import networkx as nx
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.agreements import counted_statuses
from ledger.flows.graph import (
    bounded_cycles,
    build_edges,
    find_cycles,
    pair_measures,
    supplier_measures,
)
from ledger.render.output import percent, ratio

B = 100 * 10**9


def agreements(*rows: tuple[str, str, str, str, str, str]) -> pd.DataFrame:
    """(agreement_id, kind, qualifier, status, payer group, payee group)"""
    return pd.DataFrame(
        rows, columns=["agreement_id", "kind", "amount_qualifier", "status", "payer_group", "payee_group"]
    ).assign(currency="USD")


def counted(deals: pd.DataFrame) -> pd.DataFrame:
    return deals[deals["status"].isin(counted_statuses())]


def yearly(*rows: tuple[str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["agreement_id", "year", "amount_minor"])


DEALS = agreements(
    ("A-INV", "equity_investment", "exact", "announced", "Amazon", "OpenAI"),
    ("A-TALKS", "equity_investment", "exact", "proposed", "Amazon", "OpenAI"),  # talks: not a flow (the service
    # passes only the agreements whose status counts, as `counted` does here)
    ("O-AWS", "cloud_commitment", "approximately", "announced", "OpenAI", "Amazon"),
    ("O-TRN", "chip_agreement", "undisclosed", "announced", "OpenAI", "Amazon"),
    ("M-INV", "equity_investment", "up_to", "announced", "Microsoft", "OpenAI"),
    ("O-AZ", "cloud_commitment", "exact", "announced", "OpenAI", "Microsoft"),
    ("N-INV", "equity_investment", "exact", "announced", "Nvidia", "Anthropic"),
    ("AN-AWS", "cloud_commitment", "at_least", "announced", "Anthropic", "Amazon"),
    ("AMZ-NV", "chip_agreement", "undisclosed", "announced", "Amazon", "Nvidia"),
    ("AWS-AMZ", "cloud_commitment", "exact", "announced", "Amazon", "Amazon"),  # inside one group
)
FLOWS = yearly(
    ("A-INV", 2026, 50 * B),
    ("A-TALKS", 2025, 10 * B),
    ("O-AWS", 2026, 15 * B),
    ("O-AWS", 2027, 18 * B),
    ("O-AWS", 2028, 105 * B),
    ("M-INV", 2025, 5 * B),
    ("O-AZ", 2026, 250 * B),
    ("N-INV", 2026, 10 * B),
    ("AN-AWS", 2026, 100 * B),
)


def test_edges_keep_qualifiers_apart() -> None:
    edges = build_edges(counted(DEALS), FLOWS)
    amazon_openai = edges["Amazon", "OpenAI", "USD"]
    assert (amazon_openai.firm_minor, amazon_openai.investment_minor, amazon_openai.agreements) == (
        50 * B,
        50 * B,
        ["A-INV"],
    )
    openai_amazon = edges["OpenAI", "Amazon", "USD"]
    assert (openai_amazon.firm_minor, openai_amazon.commitment_minor, openai_amazon.undisclosed) == (
        138 * B,
        138 * B,
        1,
    )
    microsoft = edges["Microsoft", "OpenAI", "USD"]
    assert (microsoft.firm_minor, microsoft.ceiling_minor) == (0, 5 * B)  # up to: a ceiling, not a firm flow
    assert ("Amazon", "Amazon", "USD") not in edges


def test_loops_with_their_bottlenecks() -> None:
    cycles = {c.label: c for c in find_cycles(build_edges(counted(DEALS), FLOWS), max_length=4)}
    loop = cycles["Amazon → OpenAI → Amazon"]
    assert (loop.basis, loop.bottleneck_minor, loop.bottleneck_up_to_minor) == ("firm", 50 * B, 50 * B)
    assert loop.yearly_bottleneck_minor() == {2026: 15 * B}  # 2027 and 2028 have no Amazon -> OpenAI money
    microsoft = cycles["Microsoft → OpenAI → Microsoft"]
    assert (microsoft.basis, microsoft.bottleneck_minor, microsoft.bottleneck_up_to_minor) == ("up_to", 0, 5 * B)
    three = cycles["Amazon → Nvidia → Anthropic → Amazon"]  # the Amazon -> Nvidia edge has no disclosed amount
    assert (three.basis, three.bottleneck_minor, three.length) == ("undisclosed", None, 3)
    assert list(cycles) == [
        "Amazon → OpenAI → Amazon",
        "Microsoft → OpenAI → Microsoft",
        "Amazon → Nvidia → Anthropic → Amazon",
    ]
    assert [c.label for c in find_cycles(build_edges(counted(DEALS), FLOWS), max_length=2)] == list(cycles)[:2]


def test_round_trips_and_returned_share() -> None:
    (amazon,) = pair_measures(build_edges(counted(DEALS), FLOWS))  # Microsoft's up-to money is not firm
    assert (amazon.investor, amazon.investee, amazon.invested_minor, amazon.returned_minor) == (
        "Amazon",
        "OpenAI",
        50 * B,
        138 * B,
    )
    assert amazon.round_trip_minor == 50 * B
    assert amazon.returned_share == 1 and amazon.spend_multiple == Fraction(138, 50)
    assert (percent(amazon.returned_share), ratio(amazon.spend_multiple)) == ("100.0%", "2.76")


def test_supplier_backlog_funded_by_its_own_investments() -> None:
    suppliers = {s.supplier: s for s in supplier_measures(build_edges(counted(DEALS), FLOWS))}
    amazon = suppliers["Amazon"]
    # backlog 138 (OpenAI) + 100 (Anthropic); Amazon funds OpenAI with min(50, 138); nothing into Anthropic here
    assert (amazon.backlog_minor, amazon.funded_minor, amazon.customers) == (238 * B, 50 * B, 2)
    assert amazon.funded_share == Fraction(50, 238) and percent(amazon.funded_share) == "21.0%"
    assert (amazon.top_customer, percent(amazon.top_customer_share), percent(amazon.top3_share)) == (
        "OpenAI",
        "58.0%",
        "100.0%",
    )
    assert suppliers["Microsoft"].funded_minor == 0  # its 5B is only "up to"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)).filter(lambda e: e[0] != e[1]), max_size=40),
    st.integers(2, 5),
)
def test_bounded_cycles_match_networkx(pairs: list[tuple[int, int]], max_length: int) -> None:
    """The bounded search finds exactly networkx's simple cycles of at most max_length nodes."""
    named = [(f"P{a}", f"P{b}") for a, b in pairs]
    graph = nx.DiGraph(named)
    expected = set()
    for cycle in nx.simple_cycles(graph, length_bound=max_length):
        start = cycle.index(min(cycle))
        expected.add(tuple(cycle[start:] + cycle[:start]))
    found = list(bounded_cycles(named, max_length))
    assert len(found) == len(set(found)) and set(found) == expected


def test_percent_and_ratio_round_half_to_even_on_the_exact_fraction() -> None:
    assert [percent(Fraction(n, 2000)) for n in (1, 3, -1, 2000)] == ["0.0%", "0.2%", "0.0%", "100.0%"]
    assert [ratio(Fraction(n, 200)) for n in (1, 3, 552, -3)] == ["0.00", "0.02", "2.76", "-0.02"]
    assert percent(None) is None and ratio(None) is None
