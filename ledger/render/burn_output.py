"""Burn positions and commitments as text: tables, CSV, JSON and the FOCUS 1.3 Contract Commitment dataset.

Money is exact decimal text: the currency's minor digits, more when a cost
has sub-cent digits (`0.01288992`). Shares are percentages with one decimal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ledger.burn.position import CommitmentTerms, PeriodPosition, Position, position
from ledger.domain.dates import ONE_DAY
from ledger.domain.money import format_minor, format_pico, pico_per_minor
from ledger.render.output import QUALIFIER_WORDS, percent
from ledger.render.tables import Field, TableSpec

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

# A commitment's measures in a terminal: at 120 columns its parties and status stack under its id, at 80
# its amounts in one column (committed, consumed, remaining, shortfall, overage) and its pace in another
# (used, months left, met on, the run-rates needed and trailing).
BURN_TABLE = TableSpec(
    fields=(
        Field("agreement_id"),
        Field("payer", "text", give_way=5, under="agreement_id"),
        Field("payee", "text", give_way=12, under="payer"),
        Field("status", give_way=8, under="agreement_id"),
        Field("committed", "money"),
        Field("consumed", "money", give_way=9, under="committed"),
        Field("remaining", "money", give_way=2, under="committed"),
        Field("utilization", "number", header="used"),
        Field("months_left", "number", give_way=7, under="utilization"),
        Field("met_on", give_way=6, under="utilization"),
        Field("shortfall", "money", header="projected shortfall", give_way=4, under="remaining"),
        Field("overage", "money", header="projected overage", give_way=11, under="shortfall"),
        Field("required_monthly", "money", header="needed monthly", give_way=3, under="utilization", leave_out=1),
        Field("trailing_monthly", "money", header="trailing monthly", give_way=10, under="required_monthly"),
    ),
    sums=tuple(MONEY_COLUMNS),
    totals=True,
    label="agreement_id",
)

# Contract years and minimum periods overlap (a minimum period inside a contract year): no totals. At 120
# columns a period's money in pairs, at 80 in one column (required, consumed, remaining, shortfall).
PERIODS_TABLE = TableSpec(
    fields=(
        Field("agreement_id"),
        Field("period"),
        Field("kind", give_way=7),
        Field("state", give_way=12, under="period"),
        Field("binding", give_way=11, under="period", leave_out=2),
        Field("period_start", header="start", give_way=6),
        Field("period_end", header="end", give_way=13, under="period_start"),
        Field("required", "money"),
        Field("expected_to_date", "money", header="expected to date", give_way=4),
        Field("consumed", "money", give_way=10, under="required"),
        Field("remaining", "money", give_way=1, under="required"),
        Field("gap", "money", give_way=9, under="remaining", leave_out=2),
        Field("shortfall", "money", header="projected shortfall", give_way=1, under="required"),
        Field("overage", "money", header="projected overage", give_way=8, under="shortfall", leave_out=2),
        Field("required_monthly", "money", header="needed monthly", give_way=5),
        Field("trailing_monthly", "money", header="trailing monthly", give_way=14, under="required_monthly"),
        Field("met_on", give_way=3),
    ),
    group=("agreement_id",),
)

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
    """FOCUS 1.3 Contract Commitment rows whose costs partition each contract's committed total.

    A contract is a commitment and the commitments that `expand` it (same kind, same parties), plus
    the capacity parts of them; every row of a contract carries the contract's whole period. Each
    spend commitment is cut into its binding periods: its contract years when they are binding
    (tranches), else its whole term; within each, one row per minimum period and a `Balance` row
    for what the minimums leave. So the costs of a contract's rows add up to its committed total,
    and no row contains another. Undisclosed commitments with a known capacity are `Usage` rows
    (quantity and unit, no cost). Period ends are exclusive; timestamps are UTC midnights.
    """
    contracts: dict[str, tuple[dt.date, dt.date]] = {}
    for t in terms:
        key = t.contract_id or t.key
        first, last = contracts.get(key, (t.start, t.last_day))
        contracts[key] = (min(first, t.start), max(last, t.last_day))
    rows = []
    for t in sorted(terms, key=lambda t: (t.contract_id or t.key, t.start, t.key)):
        first, last = contracts[t.contract_id or t.key]
        contract = (t.contract_id or t.key, _stamp(first), _stamp(last + ONE_DAY))
        if t.quantity is not None:
            rows.append(_focus_row(t, t.key, "Usage", None, t.start, t.last_day, "whole term", contract))
            continue
        rows += [_focus_row(t, *part, contract) for part in _spend_parts(t)]
    return pd.DataFrame(rows, columns=FOCUS_COMMITMENT_COLUMNS)


def _spend_parts(t: CommitmentTerms) -> list[tuple[str, str, str | None, dt.date, dt.date, str]]:
    """(id, type, cost, start, last day, note) of each row of a spend commitment: a partition of its total."""
    unit = pico_per_minor(t.currency)
    periods = position(t, {}, t.start).periods
    years = [q for q in periods if q.kind == "contract_year" and q.binding]
    minimums = [q for q in periods if q.kind == "minimum"]
    bases = [(q.label, q.start, q.last_day, q.required_pico // unit) for q in years]
    if not bases:
        bases = [("", t.start, t.last_day, t.committed_minor)]
    parts: list[tuple[str, str, str | None, dt.date, dt.date, str]] = []
    for label, start, last_day, amount in bases:
        inside = [q for q in minimums if start <= q.start <= last_day]
        prefix = f"{t.key}/{label}" if label else t.key
        parts += [
            (f"{prefix}/{q.label}" if label else f"{t.key}/{q.label}", "Minimum",
             format_minor(q.required_pico // unit, t.currency), q.start, q.last_day, f"minimum {q.label}")
            for q in inside
        ]  # fmt: skip
        balance = amount - sum(q.required_pico // unit for q in inside)
        kind = "Contract year" if label else "Term"
        if not inside:
            parts.append((prefix, kind, format_minor(amount, t.currency), start, last_day, label or "whole term"))
        elif balance > 0:
            note = f"what the minimums of {label or 'the term'} leave"
            parts.append((f"{prefix}/balance", "Balance", format_minor(balance, t.currency), start, last_day, note))
    return parts


def _focus_row(
    t: CommitmentTerms,
    commitment_id: str,
    kind: str,
    cost: str | None,
    start: dt.date,
    last_day: dt.date,
    note: str,
    contract: tuple[str, str, str],
) -> list[object]:
    what = (
        f"capacity usage commitment of {t.quantity} {t.unit}" if kind == "Usage" else f"{kind.lower()} spend commitment"
    )
    qualifier = QUALIFIER_WORDS.get(t.qualifier or "")
    description = f"{t.description or t.key}: {what}, {note}" + (
        f" (the amount reported is {qualifier} this)" if qualifier else ""
    )
    category = "Usage" if kind == "Usage" else "Spend"
    quantity, unit = (t.quantity, t.unit) if kind == "Usage" else (None, None)
    return [
        commitment_id, kind, category, cost, quantity, unit, description, _stamp(start), _stamp(last_day + ONE_DAY),
        *contract, t.currency,
    ]  # fmt: skip


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# The FOCUS rows of each contract add up to its committed total: a subtotal under each, totals at the end.
FOCUS_TABLE = TableSpec(
    fields=(
        Field("ContractCommitmentId", header="commitment"),
        Field("ContractCommitmentType", header="type", give_way=8, under="ContractCommitmentId"),
        Field("ContractCommitmentCategory", header="category", give_way=9, under="ContractCommitmentType"),
        Field("ContractId", header="contract", give_way=6, under="ContractCommitmentId"),
        Field("ContractPeriodStart", header="contract from", give_way=11),
        Field("ContractPeriodEnd", header="contract until", give_way=12, under="ContractPeriodStart"),
        Field("ContractCommitmentCost", "money", header="cost"),
        Field("ContractCommitmentQuantity", "number", header="quantity", give_way=5, under="ContractCommitmentCost"),
        Field("ContractCommitmentUnit", "text", header="unit", give_way=7, under="ContractCommitmentQuantity"),
        Field("ContractCommitmentPeriodStart", header="from", give_way=3, under="ContractCommitmentCost"),
        Field("ContractCommitmentPeriodEnd", header="until", give_way=10, under="ContractCommitmentPeriodStart"),
        Field("ContractCommitmentDescription", "text", header="description"),
    ),
    group=("ContractId", "ContractPeriodStart", "ContractPeriodEnd"),
    sums=("ContractCommitmentCost",),
    subtotals=True,
    totals=True,
    label="ContractCommitmentId",
    currency="BillingCurrency",
)
FOCUS_TIMES = [
    "ContractCommitmentPeriodStart",
    "ContractCommitmentPeriodEnd",
    "ContractPeriodStart",
    "ContractPeriodEnd",
]


def focus_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The FOCUS rows for FOCUS_TABLE: their UTC-midnight timestamps as the dates they are (ends exclusive)."""
    return frame.assign(**{c: frame[c].str.removesuffix("T00:00:00Z") for c in FOCUS_TIMES})
