"""Use cases of reconciliation: consolidated schedules, their adjustments, and the findings report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.agreements import Profile, counted_statuses
from ledger.domain.calendars import Grain
from ledger.frames import rows
from ledger.reconcile.consolidate import Consolidation, RelationPlan, consolidate, relation_plan
from ledger.reconcile.findings import (
    Deal,
    Finding,
    Severity,
    ValuationPoint,
    overlap_findings,
    parts_findings,
    rate_findings,
    reference_findings,
    relation_findings,
    valuation_conflicts,
    valuation_findings,
)
from ledger.schedule.schedules import prepare, prepare_pieces
from ledger.services.schedules import (
    FiscalChoice,
    party_and_subsidiaries,
    party_calendars,
    party_groups,
    unknown_agreement,
)

CONSOLIDATED_COLUMNS = [
    "payer",
    "payee",
    "resource",
    "period",
    "period_start",
    "period_end",
    "amount_minor",
    "currency",
]
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class ConsolidatedRequest:
    """A consolidated schedule: nothing counted twice. Filters apply after consolidating everything."""

    grain: Grain = Grain.YEAR
    agreements: tuple[str, ...] = ()
    payer: str | None = None
    payee: str | None = None
    fiscal_calendar: FiscalChoice = "payer"
    rollup: bool = False  # show payers and payees as their ultimate parent companies
    by_agreement: bool = False  # one line per agreement and period, with its contract_id
    include_proposed: bool = False  # count proposed deals too (cancelled ones never count)


def consolidation_of(
    store: Store,
    grain: Grain | None,
    fiscal: FiscalChoice,
    keys: list[str] | None = None,
    *,
    with_lines: bool = True,
    include_proposed: bool = False,
    frame: pd.DataFrame | None = None,
) -> tuple[Consolidation, pd.DataFrame]:
    """Consolidate the agreements whose status counts (`counted_statuses`), at `grain`, or at the grain of
    contract pieces when `grain` is None. Returns the consolidation and the counted agreements.
    `frame`: the agreements, when the caller has read them already (else `keys` of them are read)."""
    frame = store.agreements_frame(keys=keys) if frame is None else frame
    frame = frame[frame["status"].isin(counted_statuses(include_proposed=include_proposed))].reset_index(drop=True)
    slices = store.slices_frame(frame.loc[frame["profile"] != Profile.STRAIGHT_LINE.value, "id"].tolist())
    relations = store.relations()
    if grain is None:
        ready = prepare_pieces(frame, slices)
    else:
        calendars = party_calendars(frame, fiscal) if grain is Grain.FISCAL_YEAR else None
        ready = prepare(frame, slices, grain, calendars)
    return consolidate(ready, agreement_plan(frame, relations), with_lines=with_lines), frame


def agreement_plan(frame: pd.DataFrame, relations: list[tuple[str, str, str]]) -> RelationPlan:
    """The relation plan of the agreements in `frame` (relations to others are left out)."""
    keys = frame["agreement_id"].tolist()
    starts = dict(zip(keys, pd.to_datetime(frame["start_date"]).dt.date, strict=True))
    sides = dict(zip(keys, zip(frame["kind"], frame["payer"], frame["payee"], strict=True), strict=True))
    return relation_plan(starts, relations, sides)


def consolidated_schedule(uow_factory: UnitOfWorkFactory, request: ConsolidatedRequest) -> pd.DataFrame:
    """Consolidated schedule lines, by payer, payee, resource and period (or by agreement)."""
    with uow_factory() as uow:
        return consolidated_lines(uow.store, request)


def consolidated_lines(
    store: Store, request: ConsolidatedRequest, everything: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`consolidated_schedule` inside the caller's unit of work; `everything`: every agreement
    (Store.agreements_frame), when the caller has read them already."""
    parties = store.parties()
    everything = store.agreements_frame() if everything is None else everything
    consolidation, frame = consolidation_of(
        store, request.grain, request.fiscal_calendar, include_proposed=request.include_proposed, frame=everything
    )
    keys = set(everything["agreement_id"])
    missing = sorted(set(request.agreements) - keys)
    if missing:
        unknown_agreement(missing[0], keys)
    lines = consolidation.lines.merge(
        frame[["agreement_id", "payer", "payee", "resource", "kind"]], on="agreement_id", how="left"
    )
    names = dict(zip(parties["id"], parties["name"], strict=True))
    for role, name in (("payer", request.payer), ("payee", request.payee)):
        ids = party_and_subsidiaries(parties, name, role)
        if ids is not None:
            lines = lines[lines[role].isin({names[i] for i in ids})]
    if request.agreements:
        lines = lines[lines["agreement_id"].isin(request.agreements)]
    if request.rollup:
        groups = party_groups(parties)
        lines = lines.assign(payer=lines["payer"].map(groups), payee=lines["payee"].map(groups))
    if request.by_agreement:
        columns = ["agreement_id", "contract_id", "payer", "payee", "resource", "period", "period_start", "period_end"]
        return lines[[*columns, "amount_minor", "currency"]].reset_index(drop=True)
    keys_ = ["payer", "payee", "resource", "period", "period_start", "period_end", "currency"]
    grouped = lines.groupby(keys_, dropna=False, sort=True)["amount_minor"].sum().reset_index()
    grouped = grouped[grouped["amount_minor"] != 0]
    return grouped[CONSOLIDATED_COLUMNS].reset_index(drop=True)


def adjustments(
    uow_factory: UnitOfWorkFactory,
    grain: Grain = Grain.YEAR,
    fiscal: FiscalChoice = "payer",
    *,
    include_proposed: bool = False,
) -> pd.DataFrame:
    """Every amount consolidation removes from (negative) an agreement's gross schedule, by period and reason."""
    with uow_factory() as uow:
        consolidation, frame = consolidation_of(
            uow.store, grain, fiscal, with_lines=False, include_proposed=include_proposed
        )
    currency = dict(zip(frame["agreement_id"], frame["currency"], strict=True))
    out = consolidation.adjustments
    return out.assign(currency=out["agreement_id"].map(currency)).reset_index(drop=True)


def refresh_adjustments(store: Store) -> int:
    """Rewrite the stored month adjustments (consolidated = schedule_line + schedule_adjustment)."""
    relations = store.relations()
    involved = sorted({key for key, _, _ in relations} | {related for _, _, related in relations})
    if not involved:
        store.replace_adjustments([])
        return 0
    consolidation, frame = consolidation_of(store, Grain.MONTH, "payer", involved, with_lines=False)
    ids = dict(zip(frame["agreement_id"], frame["id"], strict=True))
    out = consolidation.adjustments
    stored = [
        {
            "agreement_id": int(ids[a]),
            "month": m.date(),
            "relation_kind": k,
            "related_id": int(ids[r]),
            "amount_minor": v,
        }
        for a, m, k, r, v in rows(out, "agreement_id", "period_start", "relation_kind", "related_id", "amount_minor")
    ]
    store.replace_adjustments(stored)
    return len(stored)


def reconcile(uow_factory: UnitOfWorkFactory) -> list[Finding]:
    """Every finding, errors first: relations, overlaps and duplicates, parts, valuations, rates, references."""
    with uow_factory() as uow:
        store = uow.store
        parties = store.parties()
        frame = store.agreements_frame()
        relations = store.relations()
        sources = store.agreement_sources()
        valuations = store.valuations_frame()
    groups = party_groups(parties)
    frame = frame.assign(
        payer_group=frame["payer"].map(groups),
        payee_group=frame["payee"].map(groups),
        start_date=frame["start_date"].dt.date,
        end_date=frame["end_date"].dt.date,
    )
    plan = relation_plan(dict(zip(frame["agreement_id"], frame["start_date"], strict=True)), relations)
    deals = {
        key: Deal(None if pd.isna(amount) else int(amount), currency, group)
        for key, amount, currency, group in rows(frame, "agreement_id", "amount_minor", "currency", "payer_group")
    }
    points = [
        ValuationPoint(key, None if pd.isna(round_key) else round_key, kind, int(amount), currency, party, as_of)
        for key, round_key, kind, amount, currency, party, as_of in rows(
            valuations, "valuation_id", "round_id", "kind", "amount_minor", "currency", "party", "as_of"
        )
    ]
    findings = [
        *relation_findings(frame["agreement_id"], relations),
        *overlap_findings(frame, relations, sources),
        *parts_findings(deals, plan.parts),
        *valuation_findings(points, deals),
        *valuation_conflicts(points),
        *rate_findings(frame),
        *reference_findings(frame, relations),
    ]
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.agreements))


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = [f.as_json() for f in findings]
    columns = ["severity", "kind", "agreements", "message", "amount", "difference", "currency", "suggested_relation"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["agreements"] = [", ".join(a) for a in frame["agreements"]]
    return frame.replace({np.nan: None})
