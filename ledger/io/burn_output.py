"""Burn positions and commitments as text: tables, CSV, JSON and the FOCUS 1.3 Contract Commitment dataset.

Money is exact decimal text: the currency's minor digits, more when a cost
has sub-cent digits (`0.01288992`). Shares are percentages with one decimal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ledger.burn.position import CommitmentTerms, PeriodPosition, Position
from ledger.domain.dates import ONE_DAY
from ledger.domain.money import format_minor
from ledger.domain.spend import format_pico, pico_per_minor
from ledger.io.output import percent

BURN_COLUMNS = [
    "agreement_id", "payer", "payee", "currency", "start_date", "end_date", "status", "committed",
    "expected_to_date", "consumed", "remaining", "utilization", "days_left", "months_left", "required_monthly",
    "trailing_monthly", "projected_consumed", "shortfall", "overage", "met_on",
    "true_up_billed",
]  # fmt: skip
MONEY_COLUMNS = [
    "committed", "expected_to_date", "consumed", "remaining", "required_monthly", "trailing_monthly",
    "projected_consumed", "shortfall", "overage", "true_up_billed",
]  # fmt: skip
PERIOD_COLUMNS = [
    "agreement_id", "kind", "period", "period_start", "period_end", "state", "binding", "required",
    "expected_to_date", "consumed", "remaining", "gap", "required_monthly", "trailing_monthly", "shortfall", "overage",
    "met_on", "currency",
]  # fmt: skip
PERIOD_MONEY_COLUMNS = [
    "required", "expected_to_date", "consumed", "remaining", "gap", "required_monthly", "trailing_monthly",
    "shortfall", "overage",
]  # fmt: skip

FOCUS_COMMITMENT_COLUMNS = [
    "ContractCommitmentId", "ContractCommitmentType", "ContractCommitmentCategory", "ContractCommitmentCost",
    "ContractCommitmentQuantity", "ContractCommitmentUnit", "ContractCommitmentDescription",
    "ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd", "ContractId", "ContractPeriodStart",
    "ContractPeriodEnd", "BillingCurrency",
]  # fmt: skip


def _money(pico: int | None, currency: str) -> str | None:
    return None if pico is None else format_pico(pico, currency)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def position_record(p: Position) -> dict[str, Any]:
    t, c = p.terms, p.terms.currency
    return {
        "agreement_id": t.key,
        "payer": t.payer,
        "payee": t.payee,
        "currency": c,
        "start_date": _iso(t.start),
        "end_date": _iso(t.last_day),
        "status": p.status,
        "committed": _money(p.committed_pico, c),
        "expected_to_date": _money(p.expected_pico, c),
        "consumed": _money(p.consumed_pico, c),
        "remaining": _money(p.remaining_pico, c),
        "utilization": percent(p.utilization),
        "days_left": p.days_left,
        "months_left": p.months_left,
        "required_monthly": _money(p.required_monthly_pico, c),
        "trailing_monthly": _money(p.trailing_monthly_pico, c),
        "projected_consumed": _money(p.projected_pico, c),
        "shortfall": _money(p.projected_shortfall_pico, c),
        "overage": _money(p.projected_overage_pico, c),
        "met_on": _iso(p.met_on),
        "true_up_billed": _money(p.true_up_billed_pico, c),
    }


def period_record(key: str, q: PeriodPosition, currency: str) -> dict[str, Any]:
    """A period's figures: those of a commitment of its required amount over its dates, plus its gap."""
    p = q.position
    return {
        "agreement_id": key,
        "kind": q.kind,
        "period": q.label,
        "period_start": _iso(q.start),
        "period_end": _iso(q.last_day),
        "state": q.state,
        "binding": q.binding,
        "required": _money(q.required_pico, currency),
        "expected_to_date": _money(p.expected_pico, currency),
        "consumed": _money(q.consumed_pico, currency),
        "remaining": _money(p.remaining_pico, currency),
        "gap": _money(q.gap_pico, currency),
        "required_monthly": _money(p.required_monthly_pico, currency),
        "trailing_monthly": _money(p.trailing_monthly_pico, currency),
        "shortfall": _money(p.projected_shortfall_pico, currency),
        "overage": _money(p.projected_overage_pico, currency),
        "met_on": _iso(p.met_on),
        "currency": currency,
    }


def positions_frame(positions: list[Position]) -> pd.DataFrame:
    return pd.DataFrame([position_record(p) for p in positions], columns=BURN_COLUMNS)


def periods_frame(positions: list[Position]) -> pd.DataFrame:
    rows = [period_record(p.terms.key, q, p.terms.currency) for p in positions for q in p.periods]
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS)


def as_json(positions: list[Position], as_of: dt.date) -> dict[str, object]:
    """`commitments`: one object per commitment with its figures and its `periods`."""
    return {
        "as_of": as_of.isoformat(),
        "commitments": [
            {
                **position_record(p),
                "periods": [
                    {k: v for k, v in period_record(p.terms.key, q, p.terms.currency).items() if k != "agreement_id"}
                    for q in p.periods
                ],
            }
            for p in positions
        ],
    }


def focus_commitments(terms: list[CommitmentTerms]) -> pd.DataFrame:
    """FOCUS 1.3 Contract Commitment rows: the whole term, each binding contract year, each minimum period.

    Period ends are exclusive and timestamps are UTC midnights, as FOCUS writes them.
    """
    rows = []
    for t in terms:
        contract = (t.contract_id or t.key, _stamp(t.start), _stamp(t.last_day + ONE_DAY))
        total = format_minor(t.committed_minor, t.currency)
        rows.append(_focus_row(t, t.key, "Total", total, t.start, t.last_day, contract, "whole term"))
        periods = [q for q in _periods_of(t) if q.binding]
        for q in periods:
            kind = "Minimum" if q.kind == "minimum" else "Contract year"
            amount = format_minor(q.required_pico // pico_per_minor(t.currency), t.currency)
            rows.append(_focus_row(t, f"{t.key}/{q.label}", kind, amount, q.start, q.last_day, contract, q.label))
    return pd.DataFrame(rows, columns=FOCUS_COMMITMENT_COLUMNS)


def _periods_of(terms: CommitmentTerms) -> tuple[PeriodPosition, ...]:
    from ledger.burn.position import position

    return position(terms, {}, terms.start).periods


def _focus_row(
    t: CommitmentTerms,
    commitment_id: str,
    kind: str,
    cost: str,
    start: dt.date,
    last_day: dt.date,
    contract: tuple[str, str, str],
    note: str,
) -> list[object]:
    description = f"{t.description or t.key}: {kind.lower()} spend commitment, {note}"
    return [
        commitment_id, kind, "Spend", cost, None, None, description, _stamp(start), _stamp(last_day + ONE_DAY),
        *contract, t.currency,
    ]  # fmt: skip


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
