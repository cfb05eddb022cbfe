"""Cycles and flow measures as text: tables, CSV and JSON, with exact amounts."""

from __future__ import annotations

from typing import IO, Any, cast

import pandas as pd

from ledger.domain.money import format_minor
from ledger.flows.graph import Cycle
from ledger.render.output import grouped_amount, percent, ratio, render_table

CYCLE_CSV_COLUMNS = ["cycle", "length", "basis", "bottleneck", "bottleneck_up_to", "currency", "agreements"]


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_minor(minor, currency)


def cycles_text(cycles: list[Cycle]) -> pd.DataFrame:
    rows = [
        (c.label, c.length, c.basis, _money(c.bottleneck_minor, c.currency),
         _money(c.bottleneck_up_to_minor, c.currency), c.currency, ", ".join(c.agreements))
        for c in cycles
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=CYCLE_CSV_COLUMNS)


def as_json(analysis: Any, request: Any) -> dict[str, object]:
    """The whole analysis: cycles with their edges and yearly bottlenecks, round trips, supplier backlogs."""
    return {
        "max_length": request.max_length,
        "as_of": None if request.as_of is None else request.as_of.isoformat(),
        "year": request.year,
        "cycles": [
            {
                "cycle": c.label,
                "parties": list(c.parties),
                "length": c.length,
                "basis": c.basis,
                "bottleneck": _money(c.bottleneck_minor, c.currency),
                "bottleneck_up_to": _money(c.bottleneck_up_to_minor, c.currency),
                "currency": c.currency,
                "yearly_bottleneck": {str(y): _money(v, c.currency) for y, v in c.yearly_bottleneck_minor().items()},
                "edges": [
                    {
                        "payer": e.payer,
                        "payee": e.payee,
                        "firm": _money(e.firm_minor, e.currency),
                        "up_to": _money(e.ceiling_minor, e.currency),
                        "undisclosed_agreements": e.undisclosed,
                        "agreements": e.agreements,
                    }
                    for e in c.edges
                ],
            }
            for c in analysis.cycles
        ],
        "round_trips": [
            {
                "investor": p.investor,
                "investee": p.investee,
                "currency": p.currency,
                "invested": _money(p.invested_minor, p.currency),
                "returned": _money(p.returned_minor, p.currency),
                "round_trip": _money(p.round_trip_minor, p.currency),
                "returned_share": percent(p.returned_share),
                "spend_multiple": ratio(p.spend_multiple),
            }
            for p in analysis.pairs
        ],
        "suppliers": [
            {
                "supplier": s.supplier,
                "currency": s.currency,
                "backlog": _money(s.backlog_minor, s.currency),
                "funded_by_own_investment": _money(s.funded_minor, s.currency),
                "funded_share": percent(s.funded_share),
                "top_customer": s.top_customer,
                "top_customer_share": percent(s.top_customer_share),
                "top3_share": percent(s.top3_share),
                "customers": s.customers,
            }
            for s in analysis.suppliers
        ],
    }


def render_tables(analysis: Any, out: IO[str], title: str) -> None:
    payload = as_json(analysis, _Everything())
    cycle_records = cast(list[dict[str, Any]], payload["cycles"])
    cycles = pd.DataFrame(
        [
            (c["cycle"], c["basis"], _grouped(c["bottleneck"]), _grouped(c["bottleneck_up_to"]), c["currency"],
             ", ".join(a for e in c["edges"] for a in e["agreements"]))
            for c in cycle_records
        ],
        columns=["cycle", "basis", "bottleneck", "if ceilings are reached", "currency", "agreements"],
    )  # fmt: skip
    render_table(
        cycles, out, title=title, right=["bottleneck", "if ceilings are reached"], wrap=["cycle", "agreements"]
    )
    trips = pd.DataFrame(cast(list[dict[str, Any]], payload["round_trips"]))
    if len(trips):
        for column in ("invested", "returned", "round_trip"):
            trips[column] = trips[column].map(_grouped)
        render_table(
            trips[["investor", "investee", "invested", "returned", "round_trip", "returned_share", "spend_multiple"]],
            out,
            title="Investments that come back as committed spend",
            right=["invested", "returned", "round_trip", "returned_share", "spend_multiple"],
        )
    suppliers = pd.DataFrame(cast(list[dict[str, Any]], payload["suppliers"]))
    if len(suppliers):
        for column in ("backlog", "funded_by_own_investment"):
            suppliers[column] = suppliers[column].map(_grouped)
        columns = ["supplier", "backlog", "funded_by_own_investment", "funded_share", "top_customer",
                   "top_customer_share", "top3_share", "customers"]  # fmt: skip
        render_table(
            suppliers[columns],
            out,
            title="Suppliers' committed backlog: funded by their own investments, and concentration",
            right=[
                "backlog",
                "funded_by_own_investment",
                "funded_share",
                "top_customer_share",
                "top3_share",
                "customers",
            ],
        )


class _Everything:
    max_length = 0
    as_of = None
    year = None


def _grouped(text: str | None) -> str:
    return "undisclosed" if text is None else grouped_amount(text)
