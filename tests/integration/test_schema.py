"""The schema: created only by Alembic, equal to the models, constraints enforced by the database itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.db import migrate
from ledger.db.engine import make_engine
from ledger.errors import SchemaError

TABLES = {
    "agreement", "agreement_relation", "agreement_slice", "agreement_source", "alembic_version", "chip_detail",
    "flow_cycle", "flow_cycle_edge", "flow_edge", "commitment_minimum", "ingest_file", "consumption", "drawdown",
    "party_alias", "history",
    "currency", "party", "schedule_adjustment", "schedule_line", "source", "valuation", "valuation_source",
}  # fmt: skip
VIEWS = {
    "v_adjustment", "v_agreement_summary", "v_consolidated_schedule_month", "v_consolidated_schedule_year", "v_contract",
    "v_party", "v_relation", "v_round_trip", "v_schedule_month", "v_schedule_quarter", "v_schedule_year",
    "v_supplier_backlog", "v_commitment_burn", "v_record_version",
}  # fmt: skip


def test_migrations_create_the_models_schema_and_alembic_check_passes(empty_db_url: str) -> None:
    with Ledger(empty_db_url) as book:
        before, after = book.init()
        assert (before, after) == (None, migrate.head_revision())
        assert book.init() == (after, after)  # upgrading twice is a no-op
    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        migrate.check(connection)  # raises if models and migrations disagree
        inspector = inspect(connection)
        assert set(inspector.get_table_names()) == TABLES
        assert set(inspector.get_view_names()) == VIEWS
        assert connection.execute(text("SELECT count(*) FROM currency")).scalar_one() == 40
    engine.dispose()


def test_downgrade_to_base_and_back(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with engine.begin() as connection:
        migrate.downgrade(connection, "base")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    with engine.begin() as connection:
        migrate.upgrade(connection)
        assert migrate.current_revision(connection) == migrate.head_revision()
    engine.dispose()


def test_use_before_init_is_a_clear_error(empty_db_url: str) -> None:
    with Ledger(empty_db_url) as book, pytest.raises(SchemaError, match="run `ledger init` first"):
        book.schedule()


def _insert_party(connection, name: str) -> int:  # type: ignore[no-untyped-def]
    connection.execute(
        text("INSERT INTO party (name, kind, fiscal_year_end_month) VALUES (:n, 'company', 12)"), {"n": name}
    )
    return int(connection.execute(text("SELECT id FROM party WHERE name = :n"), {"n": name}).scalar_one())


AGREEMENT = (
    "INSERT INTO agreement (key, kind, payer_id, payee_id, amount_minor, currency, amount_qualifier, start_date,"
    " end_date, profile, basis, status, content_hash) VALUES (:key, :kind, :payer, :payee, :amount, :currency,"
    " :qualifier, :start, :end, 'straight_line', 'monthly', 'announced', 'x')"
)


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"amount": -1}, "amount_non_negative"),
        ({"end": dt.date(2025, 1, 1)}, "end_after_start"),
        ({"kind": "loan"}, "ck_agreement_kind"),
        ({"currency": "XYZ"}, "currency"),
        ({"qualifier": "undisclosed"}, "amount_disclosed_or_undisclosed"),
        ({"payee": "payer"}, "payer_is_not_payee"),
        ({"payer": 999_999}, "payer"),
    ],
)
def test_database_constraints(db_url: str, change: dict[str, object], constraint: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        payer, payee = _insert_party(connection, "P"), _insert_party(connection, "Q")
        row: dict[str, object] = {
            "key": "K", "kind": "cloud_commitment", "payer": payer, "payee": payee, "amount": 100, "currency": "USD",
            "qualifier": "exact", "start": dt.date(2026, 1, 1), "end": dt.date(2026, 12, 31),
        }  # fmt: skip
        connection.execute(text(AGREEMENT), row)  # the valid row is accepted
        row = {**row, "key": "K2", **change}
        if row["payee"] == "payer":
            row["payee"] = payer
        with pytest.raises(IntegrityError):
            connection.execute(text(AGREEMENT), row)
        connection.rollback()
    engine.dispose()


def test_unique_keys(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        _insert_party(connection, "P")
        with pytest.raises(IntegrityError):
            _insert_party(connection, "P")
        connection.rollback()
    engine.dispose()
