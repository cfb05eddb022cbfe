"""Spend against commitments: per-period minimums, ingested billing files, month consumption, draw-downs,
and the v_commitment_burn view.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PICO_PER_MINOR = "(CASE cur.minor_digits WHEN 0 THEN 1000000000000 WHEN 1 THEN 100000000000 WHEN 2 THEN 10000000000 WHEN 3 THEN 1000000000 ELSE 100000000 END)"


def _amount(column: str, dialect: str) -> str:
    """SQL for minor units -> exact decimal with the currency's digits (NUMERIC on PostgreSQL, text on SQLite)."""
    digits = "cur.minor_digits"
    if dialect == "postgresql":
        return f"round({column}::numeric / power(10::numeric, {digits}), {digits})"
    scale = f"(CASE {digits} WHEN 0 THEN 1 WHEN 1 THEN 10 WHEN 2 THEN 100 WHEN 3 THEN 1000 ELSE 10000 END)"
    return (
        f"(CASE WHEN {digits} = 0 THEN CAST({column} AS TEXT) "
        f"ELSE (CASE WHEN {column} < 0 THEN '-' ELSE '' END) || CAST(abs({column}) / {scale} AS TEXT) "
        f"|| '.' || substr(CAST({scale} + abs({column}) % {scale} AS TEXT), 2) END)"
    )


def _burn_view(dialect: str) -> str:
    """Each commitment's counted amount (consolidated), what has drawn it down, and what is left.

    consumed_minor + consumed_sub_minor / pico-per-minor is the exact consumption; remaining_minor
    floors the exact remainder to the minor unit. Forecasts need an as-of day: `ledger burn`.
    """
    big = "bigint" if dialect == "postgresql" else "INTEGER"
    return f"""
CREATE VIEW v_commitment_burn AS
WITH committed AS (
    SELECT agreement_id, CAST(sum(amount_minor) AS {big}) AS minor FROM (
        SELECT agreement_id, amount_minor FROM schedule_line
        UNION ALL
        SELECT agreement_id, amount_minor FROM schedule_adjustment
    ) parts GROUP BY agreement_id
),
drawn AS (
    SELECT d.agreement_id,
           CAST(sum(CASE WHEN d.kind = 'draw' THEN d.amount_minor ELSE 0 END) AS {big}) AS minor,
           CAST(sum(CASE WHEN d.kind = 'draw' THEN d.sub_minor ELSE 0 END) AS {big}) AS sub,
           CAST(sum(CASE WHEN d.kind = 'true_up' THEN d.amount_minor ELSE 0 END) AS {big}) AS true_up_minor,
           max(CASE WHEN d.kind = 'draw' THEN c.month END) AS last_charge_month
    FROM drawdown d JOIN consumption c ON c.id = d.consumption_id
    GROUP BY d.agreement_id
),
burn AS (
    SELECT a.key AS agreement_id, a.kind, payer.name AS payer, payee.name AS payee, a.resource, a.currency,
           a.start_date, a.end_date, cur.minor_digits,
           CAST(coalesce(committed.minor, 0) AS {big}) AS committed_minor,
           CAST(coalesce(drawn.minor, 0) + coalesce(drawn.sub, 0) / {PICO_PER_MINOR} AS {big}) AS consumed_minor,
           CAST(coalesce(drawn.sub, 0) % {PICO_PER_MINOR} AS {big}) AS consumed_sub_minor,
           CAST(coalesce(drawn.true_up_minor, 0) AS {big}) AS true_up_billed_minor,
           m.amount_minor AS minimum_minor, m.period AS minimum_period, drawn.last_charge_month
    FROM agreement a
    JOIN party payer ON payer.id = a.payer_id
    JOIN party payee ON payee.id = a.payee_id
    JOIN currency cur ON cur.code = a.currency
    LEFT JOIN committed ON committed.agreement_id = a.id
    LEFT JOIN drawn ON drawn.agreement_id = a.id
    LEFT JOIN commitment_minimum m ON m.agreement_id = a.id
    WHERE a.kind IN ('cloud_commitment', 'chip_agreement') AND a.amount_minor IS NOT NULL
)
SELECT burn.*,
       CASE WHEN committed_minor - consumed_minor - (CASE WHEN consumed_sub_minor > 0 THEN 1 ELSE 0 END) > 0
            THEN committed_minor - consumed_minor - (CASE WHEN consumed_sub_minor > 0 THEN 1 ELSE 0 END)
            ELSE 0 END AS remaining_minor,
       {_amount("committed_minor", dialect)} AS committed,
       {_amount("consumed_minor", dialect)} AS consumed_floor
FROM burn JOIN currency cur ON cur.code = burn.currency
"""


def upgrade() -> None:
    op.create_table(
        "ingest_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("counting_rule", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.CheckConstraint("format IN ('csv', 'focus')", name=op.f("ck_ingest_file_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_ingest_file_sha256")),
    )
    op.create_table(
        "commitment_minimum",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "period IN ('month', 'quarter', 'contract-year')", name=op.f("ck_commitment_minimum_period")
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_commitment_minimum_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_commitment_minimum_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_commitment_minimum")),
    )
    op.create_table(
        "consumption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("counts", sa.Integer(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("charges", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("sub_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "category IN ('usage', 'purchase', 'tax', 'credit', 'adjustment', 'true_up')",
            name=op.f("ck_consumption_category"),
        ),
        sa.CheckConstraint("charges > 0", name=op.f("ck_consumption_charges_positive")),
        sa.CheckConstraint("counts IN (0, 1)", name=op.f("ck_consumption_counts_flag")),
        sa.CheckConstraint("payer_id <> payee_id", name=op.f("ck_consumption_payer_is_not_payee")),
        sa.CheckConstraint("sub_minor >= 0 AND sub_minor < 1000000000000", name=op.f("ck_consumption_sub_minor_range")),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_consumption_agreement_id_agreement"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["currency"], ["currency.code"], name=op.f("fk_consumption_currency_currency"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingest_file.id"], name=op.f("fk_consumption_ingest_id_ingest_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["party.id"], name=op.f("fk_consumption_payee_id_party"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["party.id"], name=op.f("fk_consumption_payer_id_party"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumption")),
    )
    with op.batch_alter_table("consumption", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consumption_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumption_ingest_id"), ["ingest_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumption_payee_id"), ["payee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumption_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "drawdown",
        sa.Column("consumption_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("sub_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('draw', 'true_up')", name=op.f("ck_drawdown_kind")),
        sa.CheckConstraint("sub_minor >= 0 AND sub_minor < 1000000000000", name=op.f("ck_drawdown_sub_minor_range")),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_drawdown_agreement_id_agreement"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["consumption_id"],
            ["consumption.id"],
            name=op.f("fk_drawdown_consumption_id_consumption"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumption_id", "agreement_id", name=op.f("pk_drawdown")),
    )
    with op.batch_alter_table("drawdown", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drawdown_agreement_id"), ["agreement_id"], unique=False)

    op.execute(_burn_view(op.get_bind().dialect.name))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_commitment_burn")
    with op.batch_alter_table("drawdown", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drawdown_agreement_id"))

    op.drop_table("drawdown")
    with op.batch_alter_table("consumption", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumption_payer_id"))
        batch_op.drop_index(batch_op.f("ix_consumption_payee_id"))
        batch_op.drop_index(batch_op.f("ix_consumption_ingest_id"))
        batch_op.drop_index(batch_op.f("ix_consumption_agreement_id"))

    op.drop_table("consumption")
    op.drop_table("commitment_minimum")
    op.drop_table("ingest_file")
