"""The book of record: an append-only history of every change, and billing files that can be withdrawn.

- `history`: one row per change to an agreement, party, valuation or billing file (create, update,
  void, restore, delete, ingest, uningest), with when (UTC), who, why, the input it came from, the
  fields that changed and the record as it stood after. Triggers refuse UPDATE, DELETE (and, on
  PostgreSQL, TRUNCATE) of its rows: the database itself keeps it append-only.
- `v_record_version`: each history entry as a version of its record, valid from its `recorded_at`
  until the next entry of the same record (`valid_to`, NULL for the current one); `in_book` says
  whether the record counted then. The book as it stood at a moment T is the rows with
  valid_from <= T < coalesce(valid_to, +infinity) and in_book.
- `ingest_file.withdrawn_at`: set by `ledger uningest`; a withdrawn file's charges stay stored (so
  that the book as it was can still be replayed) and draw nothing down.

Records stored before this revision get their first "create" entry from `ledger init` right after
the upgrade (in the same run), written by the ledger's own record format.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTITIES = ("agreement", "party", "valuation", "billing_file")
ACTIONS = ("create", "update", "void", "restore", "delete", "ingest", "uningest")
IN_BOOK = ("create", "update", "restore", "ingest")


def _listed(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


VERSION_VIEW = f"""
CREATE VIEW v_record_version AS
SELECT h.id, h.entity, h.entity_key, h.action,
       h.recorded_at AS valid_from,
       LEAD(h.recorded_at) OVER (PARTITION BY h.entity, h.entity_key ORDER BY h.id) AS valid_to,
       CASE WHEN h.action IN ({_listed(IN_BOOK)}) THEN 1 ELSE 0 END AS in_book,
       h.author, h.reason, h.source_file, h.source_line, h.source_sha256, h.changes, h.record
FROM history h
"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER history_append_only_{verb.lower()} BEFORE {verb} ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only: {verb} of its rows is refused'); END"""
    for verb in ("UPDATE", "DELETE")
]

POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: % of its rows is refused', TG_OP;
END
$$""",
    """CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
FOR EACH ROW EXECUTE FUNCTION history_append_only()""",
    """CREATE TRIGGER history_append_only_truncate BEFORE TRUNCATE ON history
FOR EACH STATEMENT EXECUTE FUNCTION history_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        sa.CheckConstraint(f"entity IN ({_listed(ENTITIES)})", name=op.f("ck_history_entity")),
        sa.CheckConstraint(f"action IN ({_listed(ACTIONS)})", name=op.f("ck_history_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    op.create_index(op.f("ix_history_recorded_at"), "history", ["recorded_at"])
    op.create_index("ix_history_entity_key", "history", ["entity", "entity_key", "id"])
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(VERSION_VIEW)
    op.add_column("ingest_file", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("ingest_file", "withdrawn_at")
    op.execute("DROP VIEW v_record_version")
    op.drop_table("history")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION history_append_only()")
