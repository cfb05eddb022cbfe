"""The money limits are enforced by the database itself (migration 0007), on SQLite and PostgreSQL: every
column of one amount within MAX_MINOR, every column of a stored sum within MAX_TOTAL_MINOR, at the limit
accepted and one minor unit past it refused; and the models declare exactly the database's CHECKs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, MetaData, inspect
from sqlalchemy.exc import IntegrityError

from ledger.db.engine import make_engine
from ledger.db.models import Base
from ledger.domain.money import MAX_MINOR, MAX_TOTAL_MINOR

# (table, column) -> (lowest, highest) minor units: one amount, or a stored sum
LIMITS = {
    ("agreement", "amount_minor"): (0, MAX_MINOR),
    ("agreement_slice", "amount_minor"): (0, MAX_MINOR),
    ("valuation", "amount_minor"): (0, MAX_MINOR),
    ("commitment_minimum", "amount_minor"): (0, MAX_MINOR),
    ("schedule_line", "amount_minor"): (-MAX_MINOR, MAX_MINOR),
    ("schedule_adjustment", "amount_minor"): (-MAX_MINOR, MAX_MINOR),
    ("consumption", "amount_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("drawdown", "amount_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("flow_edge", "firm_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("flow_edge", "investment_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("flow_edge", "commitment_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("flow_edge", "ceiling_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("flow_cycle", "bottleneck_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
    ("flow_cycle", "bottleneck_up_to_minor"): (-MAX_TOTAL_MINOR, MAX_TOTAL_MINOR),
}
JAN = dt.date(2026, 1, 1)
AGREEMENT = {"kind": "cloud_commitment", "payer_id": 1, "payee_id": 2, "amount_minor": 100, "currency": "USD",
             "amount_qualifier": "exact", "start_date": JAN, "end_date": dt.date(2026, 12, 31),
             "profile": "straight_line", "basis": "monthly", "status": "binding", "content_hash": "0" * 64}  # fmt: skip
PARENTS = {
    "party": [{"id": 1, "name": "P", "kind": "company", "fiscal_year_end_month": 12},
              {"id": 2, "name": "Q", "kind": "cloud", "fiscal_year_end_month": 12}],
    "agreement": [{**AGREEMENT, "id": 1, "key": "A1"}, {**AGREEMENT, "id": 2, "key": "A2"}],
    "ingest_file": [{"id": 1, "sha256": "a" * 64, "name": "f.csv", "format": "csv", "rows": 1, "counting_rule": "r"}],
    "consumption": [{"id": 1, "ingest_id": 1, "payer_id": 1, "payee_id": 2, "month": JAN, "category": "usage",
                     "counts": 1, "currency": "USD", "charges": 1, "amount_minor": 1, "sub_minor": 0}],
}  # fmt: skip
# a valid row of each table, before its money column is set
ROWS: dict[str, dict[str, Any]] = {
    "agreement": {**AGREEMENT, "id": 3, "key": "A3"},
    "agreement_slice": {"agreement_id": 1, "seq": 1, "start_date": JAN, "end_date": JAN},
    "valuation": {"id": 1, "key": "V", "party_id": 2, "kind": "post_money", "currency": "USD", "as_of": JAN,
                  "amount_qualifier": "exact", "content_hash": "0" * 64},
    "commitment_minimum": {"agreement_id": 1, "period": "month"},
    "schedule_line": {"agreement_id": 1, "month": JAN},
    "schedule_adjustment": {"agreement_id": 1, "month": JAN, "relation_kind": "supersedes", "related_id": 2},
    "consumption": {**PARENTS["consumption"][0], "id": 2},
    "drawdown": {"consumption_id": 1, "agreement_id": 1, "kind": "draw", "sub_minor": 0},
    "flow_edge": {"payer": "P", "payee": "Q", "currency": "USD", "firm_minor": 0, "investment_minor": 0,
                  "commitment_minor": 0, "ceiling_minor": 0, "undisclosed": 0, "agreements": "A1"},
    "flow_cycle": {"id": 1, "label": "P -> Q -> P", "length": 2, "basis": "firm", "currency": "USD",
                   "agreements": "A1"},
}  # fmt: skip


def test_the_models_hold_exactly_these_columns_to_the_limits() -> None:
    declared = {
        (table.name, constraint.name): str(constraint.sqltext)
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint) and str(constraint.name).endswith("_within_limit")
    }
    expected = {
        (table, f"ck_{table}_{column}_within_limit"): f"{column} BETWEEN {low} AND {high}"
        for (table, column), (low, high) in LIMITS.items()
    }
    assert declared == expected


def test_the_database_has_the_models_check_constraints(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in Base.metadata.sorted_tables:
            modelled = {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
            found = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert found == modelled, table.name
    engine.dispose()


def test_every_money_column_is_held_to_its_limit(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        tables = MetaData()
        tables.reflect(connection)
        for name, rows in PARENTS.items():
            connection.execute(tables.tables[name].insert(), rows)
        for (name, column), (low, high) in LIMITS.items():
            insert = tables.tables[name].insert()
            for value in (low, high):  # at the limit: stored
                with connection.begin_nested() as savepoint:
                    connection.execute(insert, {**ROWS[name], column: value})
                    savepoint.rollback()
            for value in (low - 1, high + 1):  # one minor unit past: refused by the database
                with pytest.raises(IntegrityError), connection.begin_nested():
                    connection.execute(insert, {**ROWS[name], column: value})
    engine.dispose()
