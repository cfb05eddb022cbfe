"""Use cases of cyclic financing: the flow graph, its loops and the measures, from consolidated amounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.agreements import counted_statuses
from ledger.domain.calendars import Grain
from ledger.errors import DomainError
from ledger.flows.graph import (
    Cycle,
    Edge,
    PairMeasure,
    SupplierMeasure,
    build_edges,
    cycles_frame,
    find_cycles,
    pair_measures,
    supplier_measures,
)
from ledger.services.reconciliation import ConsolidatedRequest, consolidated_lines
from ledger.services.schedules import party_groups


@dataclass(frozen=True)
class FlowRequest:
    max_length: int = 4
    as_of: dt.date | None = None  # only agreements announced (else started) on or before this date
    year: int | None = None  # only money scheduled in this calendar year
    include_proposed: bool = False  # count proposed deals too (cancelled ones never count)


@dataclass
class FlowAnalysis:
    edges: dict[tuple[str, str, str], Edge]
    cycles: list[Cycle]
    pairs: list[PairMeasure]
    suppliers: list[SupplierMeasure]


def analyse_flows(uow_factory: UnitOfWorkFactory, request: FlowRequest = FlowRequest()) -> FlowAnalysis:
    """Edges between parent companies, every loop up to `max_length` parties, and the measures."""
    with uow_factory() as uow:
        return flows_of(uow.store, request)


def flows_of(store: Store, request: FlowRequest) -> FlowAnalysis:
    """`analyse_flows` inside the caller's unit of work (one snapshot of the book)."""
    if request.max_length < 2:
        raise DomainError(f"a maximum cycle length of at least 2 (got {request.max_length})")
    agreements = store.agreements_frame()  # read once: the consolidation and the edges use the same rows
    yearly = consolidated_lines(
        store, ConsolidatedRequest(Grain.YEAR, by_agreement=True, include_proposed=request.include_proposed), agreements
    )
    groups = party_groups(store.parties())
    agreements = agreements[agreements["status"].isin(counted_statuses(include_proposed=request.include_proposed))]
    agreements = agreements.assign(
        payer_group=agreements["payer"].map(groups),
        payee_group=agreements["payee"].map(groups),
    )
    if request.as_of is not None:
        known = agreements["announced_on"].fillna(agreements["start_date"])
        agreements = agreements[known <= pd.Timestamp(request.as_of)]
    yearly = yearly.assign(year=yearly["period"].astype(int))[["agreement_id", "year", "amount_minor"]]
    if request.year is not None:
        yearly = yearly[yearly["year"] == request.year]
        agreements = agreements[agreements["agreement_id"].isin(set(yearly["agreement_id"]))]
    edges = build_edges(agreements, yearly)
    return FlowAnalysis(edges, find_cycles(edges, request.max_length), pair_measures(edges), supplier_measures(edges))


def cycles(uow_factory: UnitOfWorkFactory, request: FlowRequest = FlowRequest(), *, save: bool = False) -> FlowAnalysis:
    """The flow analysis: a read, or with `save` also stored in the flow tables. One unit of work: the
    analysis that is saved is the one read under the write lock."""
    with uow_factory(write=save) as uow:
        analysis = flows_of(uow.store, request)
        if save:
            _store_flows(uow.store, analysis)
            uow.commit()
    return analysis


def edges_frame(edges: dict[tuple[str, str, str], Edge]) -> pd.DataFrame:
    """One row per edge: payer, payee, currency, firm, investment, commitment, ceiling, undisclosed, agreements."""
    records = [
        (e.payer, e.payee, e.kinds, e.firm_minor, e.investment_minor, e.commitment_minor, e.ceiling_minor,
         e.undisclosed, e.currency, ", ".join(e.agreements))
        for e in sorted(edges.values(), key=lambda e: (e.payer, e.payee, e.currency))
    ]  # fmt: skip
    columns = ["payer", "payee", "kinds", "firm_minor", "investment_minor", "commitment_minor", "ceiling_minor",
               "undisclosed", "currency", "agreements"]  # fmt: skip
    return pd.DataFrame(records, columns=columns)


def _store_flows(store: Store, analysis: FlowAnalysis) -> None:
    """Store the analysis in flow_edge, flow_cycle and flow_cycle_edge for SQL users."""
    edges = edges_frame(analysis.edges).drop(columns="kinds")
    cycles = cycles_frame(analysis.cycles).rename(columns={"cycle": "label"})
    cycles.insert(0, "id", range(1, len(cycles) + 1))
    cycle_edges = pd.DataFrame(
        [
            (number, seq, edge.payer, edge.payee, edge.currency)
            for number, cycle in enumerate(analysis.cycles, start=1)
            for seq, edge in enumerate(cycle.edges, start=1)
        ],
        columns=["cycle_id", "seq", "payer", "payee", "currency"],
    )
    store.replace_flows(edges, cycles, cycle_edges)
