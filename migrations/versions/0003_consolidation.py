"""Consolidation: adjustment lines per agreement and month, and consolidated schedule views.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("v_consolidated_schedule_year", "v_consolidated_schedule_month", "v_adjustment", "v_contract")


def _amount(column: str, digits: str, dialect: str) -> str:
    """The exact-decimal SQL of revision 0002 (one definition for both revisions)."""
    path = Path(__file__).with_name("0002_analyst_views.py")
    spec = importlib.util.spec_from_file_location("analyst_views_0002", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module._amount(column, digits, dialect))


def upgrade() -> None:
    op.create_table(
        "schedule_adjustment",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("relation_kind", sa.String(length=20), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "relation_kind IN ('additional', 'expands', 'supersedes', 'tranche_of')",
            name=op.f("ck_schedule_adjustment_relation_kind"),
        ),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_schedule_adjustment_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_schedule_adjustment_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"], ["agreement.id"], name=op.f("fk_schedule_adjustment_related_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "month", "relation_kind", "related_id", name=op.f("pk_schedule_adjustment")),
    )  # fmt: skip
    op.create_index(op.f("ix_schedule_adjustment_related_id"), "schedule_adjustment", ["related_id"], unique=False)

    dialect = op.get_bind().dialect.name
    pg = dialect == "postgresql"
    year = "CAST(extract(year FROM m.month) AS integer)" if pg else "CAST(strftime('%Y', m.month) AS INTEGER)"
    month_label = "to_char(m.month, 'YYYY-MM')" if pg else "strftime('%Y-%m', m.month)"
    month_end = (
        "(m.month + interval '1 month' - interval '1 day')::date" if pg else "date(m.month, '+1 month', '-1 day')"
    )
    as_text = "text" if pg else "TEXT"
    op.execute(
        """
CREATE VIEW v_contract AS
WITH RECURSIVE chain(agreement_id, root_id, depth) AS (
    SELECT id, id, 0 FROM agreement
    UNION ALL
    SELECT chain.agreement_id, r.related_id, chain.depth + 1
    FROM chain JOIN agreement_relation r ON r.agreement_id = chain.root_id AND r.kind = 'expands'
    WHERE chain.depth < 32
)
SELECT a.key AS agreement_id, root.key AS contract_id
FROM chain
JOIN agreement a ON a.id = chain.agreement_id
JOIN agreement root ON root.id = chain.root_id
WHERE NOT EXISTS (SELECT 1 FROM chain deeper WHERE deeper.agreement_id = chain.agreement_id AND deeper.depth > chain.depth)
"""
    )
    op.execute(
        f"""
CREATE VIEW v_adjustment AS
SELECT a.key AS agreement_id, x.relation_kind, related.key AS related_agreement_id,
       sum(x.amount_minor) AS amount_minor,
       {_amount("sum(x.amount_minor)", "c.minor_digits", dialect)} AS amount, a.currency,
       min(x.month) AS from_month, max(x.month) AS to_month
FROM schedule_adjustment x
JOIN agreement a ON a.id = x.agreement_id
JOIN agreement related ON related.id = x.related_id
JOIN currency c ON c.code = a.currency
GROUP BY a.key, x.relation_kind, related.key, a.currency, c.minor_digits
"""
    )
    total = "CAST(sum(m.amount_minor) AS bigint)" if pg else "sum(m.amount_minor)"
    heads = (
        "a.key AS agreement_id, contract.contract_id, a.kind, payer.name AS payer, payer.ultimate_parent AS payer_group,"
        " payee.name AS payee, payee.ultimate_parent AS payee_group, a.resource"
    )
    joins = """
FROM (SELECT agreement_id, month, amount_minor FROM schedule_line
      UNION ALL
      SELECT agreement_id, month, amount_minor FROM schedule_adjustment) m
JOIN agreement a ON a.id = m.agreement_id
JOIN v_contract contract ON contract.agreement_id = a.key
JOIN v_party payer ON payer.party_id = a.payer_id
JOIN v_party payee ON payee.party_id = a.payee_id
JOIN currency c ON c.code = a.currency"""
    group = "a.key, contract.contract_id, a.kind, payer.name, payer.ultimate_parent, payee.name, payee.ultimate_parent, a.resource"
    op.execute(
        f"""
CREATE VIEW v_consolidated_schedule_month AS
SELECT {heads}, {month_label} AS period, m.month AS period_start, {month_end} AS period_end,
       {total} AS amount_minor, {_amount("sum(m.amount_minor)", "c.minor_digits", dialect)} AS amount, a.currency
{joins}
GROUP BY {group}, m.month, a.currency, c.minor_digits
HAVING sum(m.amount_minor) <> 0
"""
    )
    op.execute(
        f"""
CREATE VIEW v_consolidated_schedule_year AS
SELECT {heads}, {year} AS year, CAST({year} AS {as_text}) AS period,
       {total} AS amount_minor, {_amount("sum(m.amount_minor)", "c.minor_digits", dialect)} AS amount, a.currency
{joins}
GROUP BY {group}, {year}, a.currency, c.minor_digits
HAVING sum(m.amount_minor) <> 0
"""
    )


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {view}")
    op.drop_index(op.f("ix_schedule_adjustment_related_id"), table_name="schedule_adjustment")
    op.drop_table("schedule_adjustment")
