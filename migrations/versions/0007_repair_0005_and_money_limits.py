"""Repair databases made at the first release of 0005, and hold every stored amount to the money limits.

- Revision 0005 gained the `party_alias` table (and its index) after it had been released: a database
  made at the first 0005 (commit 20fcb20) is stamped 0005 without them. They are created here when
  missing, found by inspection; a database that has them is left as it is. Released revisions are
  never edited again (migrations/MANIFEST.sha256 and its test).
- CHECK constraints hold a column of one amount within MAX_MINOR = 10^17 minor units (agreements,
  tranches, valuations, minimums, schedule lines, adjustments) and a column of a stored sum within
  MAX_TOTAL_MINOR = 10^18 (month sums of charges, draw-downs, flow edges and cycle bottlenecks), the
  limits of ledger.domain.money, frozen here as numbers.

Rows already stored: single amounts have been capped at MAX_MINOR at input since revision 0001, and
schedule lines and adjustments are parts of one amount, so none of them can lie outside (one that
does was written by hand, and stops the upgrade with its table and column). Month sums of charges
could overflow before this revision: a billing file whose sums lie outside stops the upgrade with
its name and id, to be deleted and ingested again. Draw-downs and the flow graph are derived data:
out-of-range rows are deleted with their whole table, and recomputed (draw-downs by `ledger init`
after this upgrade, the flow graph by `ledger cycles`).

SQLite has no ALTER TABLE ... ADD CONSTRAINT: each table is rebuilt the way SQLite documents
(create the new table from the stored CREATE TABLE plus the constraints, copy, drop, rename,
indexes again), with foreign keys off (ledger.db.migrate.foreign_keys_off). The views and triggers
are dropped first and created again from their own stored SQL, since renaming a table re-checks
every view and fails on one that refers to the table being rebuilt.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from ledger.errors import SchemaError

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_MINOR = 10**17  # one amount, in minor units
MAX_TOTAL_MINOR = 10**18  # a stored sum, in minor units

# table -> (column, low, high): the range each money column is held to
LIMITS: dict[str, list[tuple[str, int, int]]] = {
    "agreement": [("amount_minor", 0, MAX_MINOR)],
    "agreement_slice": [("amount_minor", 0, MAX_MINOR)],
    "valuation": [("amount_minor", 0, MAX_MINOR)],
    "commitment_minimum": [("amount_minor", 0, MAX_MINOR)],
    "schedule_line": [("amount_minor", -MAX_MINOR, MAX_MINOR)],
    "schedule_adjustment": [("amount_minor", -MAX_MINOR, MAX_MINOR)],
    "consumption": [("amount_minor", -MAX_TOTAL_MINOR, MAX_TOTAL_MINOR)],
    "drawdown": [("amount_minor", -MAX_TOTAL_MINOR, MAX_TOTAL_MINOR)],
    "flow_edge": [
        (column, -MAX_TOTAL_MINOR, MAX_TOTAL_MINOR)
        for column in ("firm_minor", "investment_minor", "commitment_minor", "ceiling_minor")
    ],
    "flow_cycle": [
        ("bottleneck_minor", -MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
        ("bottleneck_up_to_minor", -MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ],
}
# derived tables -> what is emptied when one of their rows lies outside (the flow graph is one analysis)
FLOW_GRAPH = ("flow_cycle_edge", "flow_cycle", "flow_edge")
DERIVED = {"drawdown": ("drawdown",), "flow_edge": FLOW_GRAPH, "flow_cycle": FLOW_GRAPH}

log = logging.getLogger("alembic.runtime.migration")


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}_within_limit"


def _condition(column: str, low: int, high: int) -> str:
    return f"{column} BETWEEN {low} AND {high}"


def _clause(table: str, column: str, low: int, high: int) -> str:
    """The constraint as written into a rebuilt SQLite table (and removed again by the downgrade)."""
    return f",\n\tCONSTRAINT {_name(table, column)} CHECK ({_condition(column, low, high)})"


# -- party_alias, missing from databases made at the first 0005 ------------------


def _repair_party_alias() -> None:
    if not sa.inspect(op.get_bind()).has_table("party_alias"):
        op.create_table(
            "party_alias",
            sa.Column("alias", sa.String(length=200), nullable=False),
            sa.Column("party_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["party_id"], ["party.id"], name=op.f("fk_party_alias_party_id_party"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("alias", name=op.f("pk_party_alias")),
        )
    indexes = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("party_alias")}
    if "ix_party_alias_party_id" not in indexes:
        op.create_index(op.f("ix_party_alias_party_id"), "party_alias", ["party_id"], unique=False)


# -- rows outside the limits -----------------------------------------------------


def _outside(table: str, column: str, low: int, high: int) -> int:
    query = f"SELECT count(*) FROM {table} WHERE {column} < {low} OR {column} > {high}"
    return int(op.get_bind().execute(sa.text(query)).scalar_one())


def _overflowed_billing_files() -> str:
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT f.id, f.name, count(*) FROM consumption c JOIN ingest_file f ON f.id = c.ingest_id"
                f" WHERE c.amount_minor < {-MAX_TOTAL_MINOR} OR c.amount_minor > {MAX_TOTAL_MINOR}"
                " GROUP BY f.id, f.name ORDER BY f.id"
            )
        )
        .all()
    )
    files = ", ".join(
        f"{name!r} (ingest_file.id {id_}, {count} month sum{'s' if count > 1 else ''})" for id_, name, count in rows[:5]
    )
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return (
        f"billing files hold month sums of charges past {MAX_TOTAL_MINOR} minor units, which overflowed before "
        f"revision 0007: {files}{more}; delete them (DELETE FROM ingest_file WHERE id = ...: their charges and "
        "draw-downs go with them), run `ledger init` again, then ingest them again"
    )


def _check_stored_rows() -> None:
    """Refuse the upgrade on records outside the limits; empty a derived table that holds any."""
    problems = []
    for table, limits in LIMITS.items():
        for column, low, high in limits:
            count = _outside(table, column, low, high)
            if not count:
                continue
            if table in DERIVED:
                for emptied in DERIVED[table]:
                    op.execute(f"DELETE FROM {emptied}")
                log.warning("%s: %d rows past the money limit: emptied, recomputed by the ledger", table, count)
                break
            if table == "consumption":
                problems.append(_overflowed_billing_files())
            else:
                problems.append(f"{table}.{column}: {count} rows outside {low}..{high} minor units")
    if problems:
        raise SchemaError(f"cannot upgrade to revision 0007: {'; '.join(problems)}")


# -- adding and removing the constraints -----------------------------------------


def upgrade() -> None:
    _repair_party_alias()
    _check_stored_rows()
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_tables(_with_limits)
        return
    for table, limits in LIMITS.items():
        for column, low, high in limits:
            op.create_check_constraint(op.f(_name(table, column)), table, _condition(column, low, high))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_tables(_without_limits)
        return
    for table, limits in LIMITS.items():
        for column, _, _ in limits:
            op.drop_constraint(op.f(_name(table, column)), table, type_="check")
    # party_alias stays: it belongs to revision 0005, whose downgrade drops it


def _with_limits(table: str, create: str) -> str:
    end = create.rindex(")")  # the column list's end, before any WITHOUT ROWID
    clauses = "".join(_clause(table, *limit) for limit in LIMITS[table])
    return create[:end].rstrip() + clauses + "\n" + create[end:]


def _without_limits(table: str, create: str) -> str:
    for limit in LIMITS[table]:
        clause = _clause(table, *limit)
        if clause not in create:
            raise SchemaError(
                f"cannot downgrade {table}: its constraint {_name(table, limit[0])} is not as 0007 made it"
            )
        create = create.replace(clause, "")
    return create


def _rebuild_sqlite_tables(edit: Callable[[str, str], str]) -> None:
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar_one():
        raise SchemaError(
            "revision 0007 rebuilds tables on SQLite and needs foreign keys off: run it with `ledger init` "
            "(ledger.db.migrate)"
        )
    dependents = bind.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid"
    ).all()
    for kind, name, _ in reversed(dependents):
        bind.exec_driver_sql(f'DROP {kind.upper()} IF EXISTS "{name}"')
    for table in LIMITS:
        _rebuild_sqlite_table(table, edit)
    for _, _, sql in dependents:
        bind.exec_driver_sql(sql)


def _rebuild_sqlite_table(table: str, edit: Callable[[str, str], str]) -> None:
    bind = op.get_bind()
    create = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    indexes = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid",
        (table,),
    ).all()
    new = f"_new_{table}"
    head = re.compile(rf'^CREATE TABLE\s+("?){table}\1\s*\(', re.IGNORECASE)
    sql, found = head.subn(f'CREATE TABLE "{new}" (', edit(table, create.scalar_one()), count=1)
    assert found == 1, f"unexpected CREATE TABLE of {table}"
    bind.exec_driver_sql(sql)
    bind.exec_driver_sql(f'INSERT INTO "{new}" SELECT * FROM "{table}"')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    for (index,) in indexes:
        bind.exec_driver_sql(index)
