"""The Python API offers what the CLI does, with the same options: cycles and their save rule, frames
without per-line Decimals, the findings table, the founding example. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from ledger.api import Ledger, findings_frame
from ledger.db.engine import make_engine
from ledger.errors import LedgerError

B = 100 * 10**9


def _stored_cycles(book: Ledger) -> list[str]:
    engine = make_engine(book.url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT label FROM flow_cycle ORDER BY id"))]
    finally:
        engine.dispose()


def test_cycles_are_saved_when_asked(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    analysis = book.cycles(save=True)
    assert [c.label for c in analysis.cycles] == ["Amazon → OpenAI → Amazon"]
    assert analysis.cycles[0].bottleneck_minor == 50 * B
    assert _stored_cycles(book) == ["Amazon → OpenAI → Amazon"]


@pytest.mark.parametrize(
    "options",
    [{}, {"year": 2026}, {"as_of": dt.date(2026, 12, 31)}, {"include_proposed": True}, {"save": False}],
    ids=["default", "year", "as_of", "include_proposed", "save=False"],
)
def test_cycles_without_save_write_nothing(book: Ledger, options: dict[str, object]) -> None:
    book.seed(founding_example_only=True)
    analysis = book.cycles(**options)  # type: ignore[arg-type]
    assert [c.label for c in analysis.cycles] == ["Amazon → OpenAI → Amazon"]
    assert _stored_cycles(book) == []


def test_cycles_take_the_commands_options(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    (loop,) = book.cycles(year=2026, save=False).cycles
    assert loop.bottleneck_minor == 1_584_523_809_523  # 2026 alone: 12 + 10 monthly instalments come back
    assert book.cycles(max_length=2, save=False).cycles[0].length == 2
    assert book.cycles(as_of=dt.date(2025, 1, 1), save=False).cycles == []
    with pytest.raises(LedgerError, match="at least 2"):
        book.cycles(max_length=1)


def test_cycles_save_true_stores_a_partial_analysis_when_asked(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    book.cycles(year=2026, save=True)
    assert _stored_cycles(book) == ["Amazon → OpenAI → Amazon"]


def test_decimals_false_leaves_the_decimal_column_out(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    exact = book.schedule(by="year")
    lean = book.schedule(by="year", decimals=False)
    assert list(lean.columns) == [c for c in exact.columns if c != "amount"]
    assert lean.equals(exact.drop(columns="amount"))
    assert isinstance(exact["amount"].iloc[0], Decimal)
    assert "amount" not in book.consolidated(decimals=False).columns
    assert "amount" in book.consolidated().columns
    assert "amount" not in book.adjustments(decimals=False).columns
    assert "amount" in book.adjustments().columns


def test_founding_example_and_findings_frame(book: Ledger) -> None:
    book.seed()
    founding = book.founding_example()
    assert "OAI-AWS-2025-11" in founding
    assert set(founding) <= set(book.agreements()["agreement_id"])
    findings = book.reconcile()
    frame = findings_frame(findings)
    assert len(frame) == len(findings)
    assert list(frame.columns[:4]) == ["severity", "kind", "agreements", "message"]


def _lose_the_connection_inside_a_unit_of_work(book: Ledger, admin: Engine) -> None:
    with book.unit_of_work() as uow:
        pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()


@pytest.mark.postgres
def test_a_connection_lost_mid_use_case_is_one_ledger_error(pg_template: str) -> None:
    """The server ends the session while a unit of work is open: its rollback fails, as a LedgerError."""
    from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database, pg_url

    name = create_pg_database(template=pg_template)
    admin = make_engine(PG_ADMIN_URL)
    try:
        with Ledger(pg_url(name)) as book, pytest.raises(LedgerError, match="lost the connection to the database"):
            _lose_the_connection_inside_a_unit_of_work(book, admin)
    finally:
        admin.dispose()
        drop_pg_database(name)
