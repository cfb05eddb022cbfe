"""The book's listings as a terminal shows them: schedules, consolidated schedules, adjustments, agreements,
reconciliation findings and parties, each a TableSpec (ledger/render/tables.py) over the listing's frame.

Schedules and adjustments are grouped (an agreement's lines, or a payer, payee and resource's, under one
heading) with a total under each group, and the consolidated schedule and the adjustments add up at the
end, one line per currency. A gross schedule has no grand total: it counts a round beside its tranches.
"""

from __future__ import annotations

from typing import IO

import pandas as pd

from ledger.render.tables import Field, TableSpec, print_table

_PERIOD = (
    Field("period"),
    Field("period_start", give_way=1),
    Field("period_end", give_way=1),
    Field("amount", "money"),
)

SCHEDULE = TableSpec(
    fields=(Field("agreement_id"), *_PERIOD),
    group=("agreement_id",),
    sums=("amount",),
    subtotals=True,
    label="period",
)

# The founding example's lines in `ledger quickstart`: who pays whom beside each agreement.
FOUNDING = TableSpec(
    fields=(
        Field("agreement_id"),
        Field("kind", give_way=4, under="agreement_id"),
        Field("payer", "text"),
        Field("payee", "text", give_way=3, under="payer"),
        Field("period"),
        Field("amount", "money"),
    ),
    group=("agreement_id", "kind", "payer", "payee"),
    sums=("amount",),
    subtotals=True,
    label="period",
)


def consolidated(by_agreement: bool) -> TableSpec:
    """Lines by payer, payee and resource (by agreement and contract too with --by-agreement), a subtotal
    under each and the totals at the end."""
    ids = (Field("agreement_id"), Field("contract_id", give_way=6, under="agreement_id")) if by_agreement else ()
    fields = (
        *ids,
        Field("payer", "text"),
        Field("payee", "text", give_way=4, under="payer"),
        Field("resource", "text", give_way=3, under="payer"),
        *_PERIOD,
    )
    group = tuple(f.name for f in fields[: len(ids) + 3])
    return TableSpec(fields, group=group, sums=("amount",), subtotals=True, totals=True, label="period")


ADJUSTMENTS = TableSpec(
    fields=(
        Field("agreement_id"),
        Field("relation_kind", header="relation", give_way=4, under="agreement_id"),
        Field("related_id", give_way=3, under="agreement_id"),
        *_PERIOD,
    ),
    group=("agreement_id", "relation_kind", "related_id"),
    sums=("amount",),
    subtotals=True,
    totals=True,
    label="period",
)

AGREEMENTS = TableSpec(
    fields=(
        Field("agreement_id"),
        Field("kind", give_way=3, under="agreement_id"),
        Field("status", give_way=2, under="agreement_id"),
        Field("payer", "text"),
        Field("payee", "text", give_way=4, under="payer"),
        Field("amount", "money", qualifier="amount_qualifier"),
        Field("term", give_way=1, under="amount", right=True),
    ),
)


def agreements_table(shown: pd.DataFrame, void: pd.Series | None = None) -> pd.DataFrame:
    """The agreement listing (agreements_for_output) for AGREEMENTS: an undisclosed amount says so, the
    term is its first and last day, and with `void` a void agreement's status is VOID (status)."""
    term = [s if s == e else f"{s} – {e}" for s, e in zip(shown["start_date"], shown["end_date"], strict=True)]
    table = shown.assign(amount=shown["amount"].where(shown["amount"].notna(), "undisclosed"), term=term)
    if void is not None:
        table["status"] = [f"VOID ({s})" if v else s for s, v in zip(table["status"], void, strict=True)]
    return table


FINDINGS = TableSpec(
    fields=(
        Field("severity"),
        Field("kind", give_way=3, under="severity"),
        Field("agreements"),
        Field("message", "text"),
        Field("difference", "money", give_way=2, under="agreements"),
    ),
)


def print_findings(findings: pd.DataFrame, out: IO[str], *, wide: bool = False) -> None:
    """Findings (ledger.api.findings_frame) with each one's agreements one per line."""
    split = pd.Series([a.split(", ") if a else [] for a in findings["agreements"]], index=findings.index, dtype=object)
    listed = findings.assign(agreements=split)
    print_table(listed, FINDINGS, out, title="Reconciliation", wide=wide)


PARTIES = TableSpec(
    fields=(
        Field("name"),
        Field("kind", give_way=2, under="name"),
        Field("parent", "text", give_way=1, under="name"),
        Field("aliases", "text"),
    ),
)
