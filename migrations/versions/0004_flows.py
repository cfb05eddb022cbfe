"""Cyclic financing: the flow graph's edges and cycles, refreshed by `ledger cycles`, and measure views.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_edge",
        sa.Column("payer", sa.String(length=200), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("firm_minor", sa.BigInteger(), nullable=False),
        sa.Column("investment_minor", sa.BigInteger(), nullable=False),
        sa.Column("commitment_minor", sa.BigInteger(), nullable=False),
        sa.Column("ceiling_minor", sa.BigInteger(), nullable=False),
        sa.Column("undisclosed", sa.Integer(), nullable=False),
        sa.Column("agreements", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("payer", "payee", "currency", name=op.f("pk_flow_edge")),
    )
    op.create_table(
        "flow_cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("bottleneck_minor", sa.BigInteger(), nullable=True),
        sa.Column("bottleneck_up_to_minor", sa.BigInteger(), nullable=True),
        sa.Column("basis", sa.String(length=12), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("agreements", sa.Text(), nullable=False),
        sa.CheckConstraint("basis IN ('firm', 'up_to', 'undisclosed')", name=op.f("ck_flow_cycle_basis")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_cycle")),
    )
    op.create_table(
        "flow_cycle_edge",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=200), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["flow_cycle.id"], name=op.f("fk_flow_cycle_edge_cycle_id_flow_cycle"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("cycle_id", "seq", name=op.f("pk_flow_cycle_edge")),
    )
    # Measures as views over the stored edges (definitions in the README, "Cyclic financing").
    op.execute(
        """
CREATE VIEW v_round_trip AS
SELECT gave.payer AS investor, gave.payee AS investee, gave.currency,
       gave.investment_minor AS invested_minor, back.commitment_minor AS returned_minor,
       CASE WHEN gave.investment_minor < back.commitment_minor THEN gave.investment_minor
            ELSE back.commitment_minor END AS round_trip_minor
FROM flow_edge gave
JOIN flow_edge back ON back.payer = gave.payee AND back.payee = gave.payer AND back.currency = gave.currency
WHERE gave.investment_minor > 0 AND back.commitment_minor > 0
"""
    )
    op.execute(
        """
CREATE VIEW v_supplier_backlog AS
SELECT c.payee AS supplier, c.currency, sum(c.commitment_minor) AS backlog_minor,
       sum(CASE WHEN i.investment_minor IS NULL THEN 0
                WHEN i.investment_minor < c.commitment_minor THEN i.investment_minor
                ELSE c.commitment_minor END) AS funded_minor,
       max(c.commitment_minor) AS top_customer_minor, count(*) AS customers
FROM flow_edge c
LEFT JOIN flow_edge i ON i.payer = c.payee AND i.payee = c.payer AND i.currency = c.currency
WHERE c.commitment_minor > 0
GROUP BY c.payee, c.currency
"""
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_supplier_backlog")
    op.execute("DROP VIEW IF EXISTS v_round_trip")
    op.drop_table("flow_cycle_edge")
    op.drop_table("flow_cycle")
    op.drop_table("flow_edge")
