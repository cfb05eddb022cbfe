"""Cyclic financing on SQLite and PostgreSQL: the seeded loops, the founding example's measures, the SQL tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from ledger.api import Ledger
from ledger.db.engine import make_engine
from ledger.services import flows
from ledger.services.flows import FlowRequest, analyse_flows

B = 100 * 10**9


def test_founding_example_loop_and_measures(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    analysis = analyse_flows(book.unit_of_work)
    (loop,) = analysis.cycles
    assert loop.label == "Amazon → OpenAI → Amazon"
    assert (loop.bottleneck_minor, loop.edges[1].firm_minor) == (50 * B, 138 * B)  # $50B against $138B of AWS
    assert loop.yearly_bottleneck_minor() == {2026: 1_584_523_809_523}  # 2026: 5.43B + 10.42B of AWS
    (trip,) = analysis.pairs
    assert (trip.round_trip_minor, str(trip.spend_multiple)) == (50 * B, "69/25")
    (amazon,) = analysis.suppliers
    assert (amazon.backlog_minor, amazon.funded_minor) == (138 * B, 50 * B)


def test_seeded_loops_are_traceable_to_agreements(book: Ledger) -> None:
    book.seed()
    cycles = {c.label: c for c in analyse_flows(book.unit_of_work).cycles}
    amazon_openai = cycles["Amazon → OpenAI → Amazon"]
    assert (amazon_openai.bottleneck_minor, amazon_openai.edges[1].firm_minor) == (50 * B, 138 * B)
    assert {"AMZN-OAI-2026-02-T1", "OAI-AWS-2025-11", "OAI-AWS-2026-02"} <= set(amazon_openai.agreements)
    assert "AMZN-OAI-2025-12-TALKS" not in amazon_openai.agreements  # talks are not flows
    assert cycles["Microsoft → OpenAI → Microsoft"].bottleneck_minor == 1375 * B // 100
    assert cycles["Alphabet → Anthropic → Alphabet"].bottleneck_minor == 413 * B // 10
    assert cycles["Amazon → Anthropic → Amazon"].bottleneck_minor == 33 * B
    assert cycles["Nvidia → OpenAI → Nvidia"].basis == "undisclosed"  # OpenAI's 10 GW of Nvidia systems: no price
    assert (
        cycles["Anthropic → Microsoft → Anthropic"].basis,
        cycles["Anthropic → Microsoft → Anthropic"].bottleneck_up_to_minor,
    ) == ("up_to", 5 * B)
    assert cycles["Anthropic → Nvidia → Anthropic"].basis == "undisclosed"


def test_as_of_and_year_filters(book: Ledger) -> None:
    book.seed()
    before = {c.label for c in analyse_flows(book.unit_of_work, FlowRequest(as_of=dt.date(2025, 12, 31))).cycles}
    assert "Amazon → OpenAI → Amazon" not in before  # Amazon's $50B came in February 2026
    assert "Microsoft → OpenAI → Microsoft" in before
    in_2027 = {c.label: c for c in analyse_flows(book.unit_of_work, FlowRequest(year=2027)).cycles}
    assert "Amazon → OpenAI → Amazon" not in in_2027  # no Amazon money to OpenAI scheduled in 2027


def test_saved_flows_answer_sql(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    flows.cycles(book.unit_of_work, save=True)
    engine = make_engine(book.url)
    with engine.connect() as connection:
        cycles = connection.execute(text("SELECT label, bottleneck_minor, basis FROM flow_cycle")).all()
        trips = connection.execute(text("SELECT investor, investee, round_trip_minor FROM v_round_trip")).all()
        backlog = connection.execute(text("SELECT supplier, backlog_minor, funded_minor FROM v_supplier_backlog")).all()
        edges = connection.execute(
            text(
                "SELECT e.payer, f.firm_minor FROM flow_cycle_edge e JOIN flow_edge f USING (payer, payee, currency) ORDER BY e.seq"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in cycles] == [("Amazon → OpenAI → Amazon", 50 * B, "firm")]
    assert [tuple(r) for r in trips] == [("Amazon", "OpenAI", 50 * B)]
    assert [tuple(r) for r in backlog] == [("Amazon", 138 * B, 50 * B)]
    assert [tuple(r) for r in edges] == [("Amazon", 50 * B), ("OpenAI", 138 * B)]
