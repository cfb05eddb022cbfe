"""Statuses count as they say, and contracts stay within one kind and one pair of parties.

- Cancelled agreements have no schedule: their stored month lines are removed.
- The consolidated views and v_commitment_burn leave out proposed and cancelled agreements
  (the ledger's default; `--include-proposed` is a command option, not a view).
- v_contract follows an `expands` relation only between agreements of the same kind, payer and
  payee (a commitment never joins the contract of an equity stake).

The stored adjustments and draw-downs are derived data: `ledger init` recomputes them after an
upgrade, with the new rules.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED = "a.status NOT IN ('proposed', 'cancelled')"
REBUILT = ("v_consolidated_schedule_year", "v_consolidated_schedule_month", "v_commitment_burn", "v_contract")


def _revision(name: str) -> ModuleType:
    """An earlier revision's module, for the SQL it defines (one definition for every revision's views)."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _amount(column: str, digits: str, dialect: str) -> str:
    return str(_revision("0002_analyst_views.py")._amount(column, digits, dialect))


def _contract_view(same_contract: bool) -> str:
    condition = (
        " AND related.kind = a.kind AND related.payer_id = a.payer_id AND related.payee_id = a.payee_id"
        if same_contract
        else ""
    )
    return f"""
CREATE VIEW v_contract AS
WITH RECURSIVE chain(agreement_id, root_id, depth) AS (
    SELECT id, id, 0 FROM agreement
    UNION ALL
    SELECT chain.agreement_id, r.related_id, chain.depth + 1
    FROM chain
    JOIN agreement_relation r ON r.agreement_id = chain.root_id AND r.kind = 'expands'
    JOIN agreement a ON a.id = r.agreement_id
    JOIN agreement related ON related.id = r.related_id{condition}
    WHERE chain.depth < 32
)
SELECT a.key AS agreement_id, root.key AS contract_id
FROM chain
JOIN agreement a ON a.id = chain.agreement_id
JOIN agreement root ON root.id = chain.root_id
WHERE NOT EXISTS (SELECT 1 FROM chain deeper WHERE deeper.agreement_id = chain.agreement_id AND deeper.depth > chain.depth)
"""


def _consolidated_views(dialect: str, counted_only: bool) -> list[str]:
    pg = dialect == "postgresql"
    year = "CAST(extract(year FROM m.month) AS integer)" if pg else "CAST(strftime('%Y', m.month) AS INTEGER)"
    month_label = "to_char(m.month, 'YYYY-MM')" if pg else "strftime('%Y-%m', m.month)"
    month_end = (
        "(m.month + interval '1 month' - interval '1 day')::date" if pg else "date(m.month, '+1 month', '-1 day')"
    )
    as_text = "text" if pg else "TEXT"
    total = "CAST(sum(m.amount_minor) AS bigint)" if pg else "sum(m.amount_minor)"
    heads = (
        "a.key AS agreement_id, contract.contract_id, a.kind, payer.name AS payer, payer.ultimate_parent AS payer_group,"
        " payee.name AS payee, payee.ultimate_parent AS payee_group, a.resource"
    )
    where = f"\nWHERE {COUNTED}" if counted_only else ""
    joins = f"""
FROM (SELECT agreement_id, month, amount_minor FROM schedule_line
      UNION ALL
      SELECT agreement_id, month, amount_minor FROM schedule_adjustment) m
JOIN agreement a ON a.id = m.agreement_id
JOIN v_contract contract ON contract.agreement_id = a.key
JOIN v_party payer ON payer.party_id = a.payer_id
JOIN v_party payee ON payee.party_id = a.payee_id
JOIN currency c ON c.code = a.currency{where}"""
    group = "a.key, contract.contract_id, a.kind, payer.name, payer.ultimate_parent, payee.name, payee.ultimate_parent, a.resource"
    amount = _amount("sum(m.amount_minor)", "c.minor_digits", dialect)
    return [
        f"""
CREATE VIEW v_consolidated_schedule_month AS
SELECT {heads}, {month_label} AS period, m.month AS period_start, {month_end} AS period_end,
       {total} AS amount_minor, {amount} AS amount, a.currency
{joins}
GROUP BY {group}, m.month, a.currency, c.minor_digits
HAVING sum(m.amount_minor) <> 0
""",
        f"""
CREATE VIEW v_consolidated_schedule_year AS
SELECT {heads}, {year} AS year, CAST({year} AS {as_text}) AS period,
       {total} AS amount_minor, {amount} AS amount, a.currency
{joins}
GROUP BY {group}, {year}, a.currency, c.minor_digits
HAVING sum(m.amount_minor) <> 0
""",
    ]


def _burn_view(dialect: str, counted_only: bool) -> str:
    sql = str(_revision("0005_spend_against_commitments.py")._burn_view(dialect))
    where = "WHERE a.kind IN ('cloud_commitment', 'chip_agreement') AND a.amount_minor IS NOT NULL"
    assert sql.count(where) == 1
    return sql.replace(where, f"{where} AND {COUNTED}") if counted_only else sql


def _rebuild(counted_only: bool) -> None:
    dialect = op.get_bind().dialect.name
    for view in REBUILT:
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for statement in [
        _contract_view(counted_only),
        *_consolidated_views(dialect, counted_only),
        _burn_view(dialect, counted_only),
    ]:
        op.execute(statement)


def upgrade() -> None:
    op.execute("DELETE FROM schedule_line WHERE agreement_id IN (SELECT id FROM agreement WHERE status = 'cancelled')")
    _rebuild(counted_only=True)


def downgrade() -> None:
    _rebuild(counted_only=False)
