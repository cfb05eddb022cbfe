"""Cycles and flow measures as text: tables, CSV and JSON, with exact amounts."""

from __future__ import annotations

from typing import IO, Any, cast

import pandas as pd

from ledger.domain.money import format_minor
from ledger.flows.graph import Cycle
from ledger.render.output import percent, ratio
from ledger.render.tables import Field, TableSpec, print_table

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


CYCLES_TABLE = TableSpec(
    fields=(
        Field("cycle", "text"),
        Field("basis", give_way=3, under="cycle"),
        Field("bottleneck", "money"),
        Field("bottleneck_up_to", "money", header="if ceilings are reached", give_way=2, under="bottleneck"),
        Field("agreements"),
    ),
)
ROUND_TRIPS_TABLE = TableSpec(
    fields=(
        Field("investor", "text"),
        Field("investee", "text", give_way=1, under="investor"),
        Field("invested", "money"),
        Field("round_trip", "money", header="round trip", give_way=3, under="invested"),
        Field("returned", "money"),
        Field("returned_share", "number", header="returned share"),
        Field("spend_multiple", "number", header="spend multiple", give_way=2, under="returned_share"),
    ),
)
SUPPLIERS_TABLE = TableSpec(
    fields=(
        Field("supplier", "text"),
        Field("customers", "number", give_way=1, under="supplier"),
        Field("backlog", "money"),
        Field("funded_by_own_investment", "money", header="funded by own investment", give_way=4, under="backlog"),
        Field("funded_share", "number", header="funded share"),
        Field("top_customer", "text", header="top customer", give_way=3, under="funded_share"),
        Field("top_customer_share", "number", header="top customer share"),
        Field("top3_share", "number", header="top 3 share", give_way=2, under="top_customer_share"),
    ),
)


def render_tables(analysis: Any, out: IO[str], title: str, *, wide: bool = False) -> None:
    """The cycles (each with its agreements, one per line), the round trips and the suppliers' backlogs."""
    payload = as_json(analysis, _Everything())
    cycle_records = cast(list[dict[str, Any]], payload["cycles"])
    cycles = pd.DataFrame(
        [{**c, "agreements": [a for e in c["edges"] for a in e["agreements"]]} for c in cycle_records],
        columns=["cycle", "basis", "bottleneck", "bottleneck_up_to", "currency", "agreements"],
    )
    for column in ("bottleneck", "bottleneck_up_to"):
        cycles[column] = cycles[column].where(cycles[column].notna(), "undisclosed")
    print_table(cycles, CYCLES_TABLE, out, title=title, wide=wide)
    trips = pd.DataFrame(cast(list[dict[str, Any]], payload["round_trips"]))
    if len(trips):
        print_table(trips, ROUND_TRIPS_TABLE, out, title="Investments that come back as committed spend", wide=wide)
    suppliers = pd.DataFrame(cast(list[dict[str, Any]], payload["suppliers"]))
    if len(suppliers):
        title = "Suppliers' committed backlog: funded by their own investments, and concentration"
        print_table(suppliers, SUPPLIERS_TABLE, out, title=title, wide=wide)


class _Everything:
    max_length = 0
    as_of = None
    year = None
