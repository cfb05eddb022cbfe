"""Shared fixtures: throwaway ledgers on SQLite files and on PostgreSQL databases.

PostgreSQL tests need the server named by LEDGER_TEST_POSTGRES_URL (default:
the local server, database `test`). Each test gets its own database, cloned
from a migrated template made once per run, and dropped afterwards. They fail,
not skip, when the server is down: run `pg_ctlcluster ... main start`, or
deselect them with `-m "not postgres"`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.api import Ledger

PG_ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _admin():  # type: ignore[no-untyped-def]
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> str:
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    engine = _admin()
    try:
        with engine.connect() as connection:
            clause = f" TEMPLATE {template}" if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    except Exception as error:  # pragma: no cover - only when the server is down
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not usable ({error}); start it or deselect -m 'not postgres'")
    finally:
        engine.dispose()
    return name


def drop_pg_database(name: str) -> None:
    engine = _admin()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that per-test databases are cloned from."""
    name = create_pg_database()
    with Ledger(pg_url(name)) as book:
        book.init()
    yield name
    drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    with Ledger(f"sqlite:///{path}") as book:
        book.init()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty ledger on the backend under test."""
    if backend == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    name = create_pg_database(template=request.getfixturevalue("pg_template"))
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh, migrated, empty ledgers on the backend under test (each named for its SQLite file)."""
    made: list[str] = []

    def make(name: str) -> str:
        if backend == "sqlite":
            path = tmp_path / f"{name}.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        database = create_pg_database(template=request.getfixturevalue("pg_template"))
        made.append(database)
        return pg_url(database)

    yield make
    for database in made:
        drop_pg_database(database)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database with no schema at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = create_pg_database()
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture
def book(db_url: str) -> Iterator[Ledger]:
    with Ledger(db_url) as ledger:
        yield ledger


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A seeded SQLite ledger shared by read-only tests."""
    path = tmp_path_factory.mktemp("seeded") / "ledger.db"
    shutil.copy(sqlite_template, path)
    with Ledger(f"sqlite:///{path}") as ledger:
        ledger.seed()
    return path


FOCUS_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def focus_contract_commitment_violations(rows: list[dict[str, str | None]]) -> list[str]:  # noqa: C901 - a rule list
    """The FOCUS 1.3 Contract Commitment dataset rules (spec columns and their MUST statements), written out
    here because the focus_validator package downloads its 1.3 model at run time."""
    import re
    from decimal import Decimal, InvalidOperation

    from ledger.domain.money import MINOR_DIGITS

    problems: list[str] = []
    columns = (
        "ContractCommitmentId", "ContractCommitmentType", "ContractCommitmentCategory", "ContractCommitmentCost",
        "ContractCommitmentQuantity", "ContractCommitmentUnit", "ContractCommitmentDescription",
        "ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd", "ContractId", "ContractPeriodStart",
        "ContractPeriodEnd", "BillingCurrency",
    )  # fmt: skip
    ids = [r.get("ContractCommitmentId") for r in rows]
    if len(set(ids)) != len(ids):
        problems.append("ContractCommitmentId MUST be unique across the dataset")
    parents: dict[str, set[str]] = {}
    for i, r in enumerate(rows):
        where = f"row {i + 1} ({r.get('ContractCommitmentId')})"

        def blank(column: str, row: dict[str, str | None] = r) -> bool:
            return row.get(column) in (None, "")

        def decimal(column: str, row: dict[str, str | None] = r, at: str = where) -> None:
            try:
                Decimal(str(row[column]))
            except InvalidOperation:
                problems.append(f"{at}: {column} MUST be a valid decimal")

        if set(r) != set(columns):
            problems.append(f"{where}: the dataset's 13 columns, exactly")
        for column in ("ContractCommitmentId", "ContractCommitmentType", "ContractCommitmentCategory", "ContractId"):
            if blank(column):
                problems.append(f"{where}: {column} MUST NOT be null")
        for column in ("ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd", "ContractPeriodStart",
                       "ContractPeriodEnd"):  # fmt: skip
            if blank(column) or not re.match(FOCUS_TIMESTAMP, str(r[column])):
                problems.append(f"{where}: {column} MUST be an ISO 8601 UTC date-time")
        category = r.get("ContractCommitmentCategory")
        if category not in ("Spend", "Usage"):
            problems.append(f"{where}: ContractCommitmentCategory MUST be Spend or Usage")
        if category == "Spend" and (blank("ContractCommitmentCost") or blank("BillingCurrency")):
            problems.append(f"{where}: ContractCommitmentCost and BillingCurrency MUST NOT be null for Spend")
        if not blank("ContractCommitmentCost"):
            decimal("ContractCommitmentCost")
        if category == "Usage" and blank("ContractCommitmentQuantity"):
            problems.append(f"{where}: ContractCommitmentQuantity MUST NOT be null for Usage")
        if not blank("ContractCommitmentQuantity"):
            decimal("ContractCommitmentQuantity")
        if blank("ContractCommitmentQuantity") != blank("ContractCommitmentUnit"):
            problems.append(f"{where}: ContractCommitmentUnit MUST be null exactly when the quantity is null")
        if not blank("BillingCurrency") and r["BillingCurrency"] not in MINOR_DIGITS:
            problems.append(f"{where}: BillingCurrency MUST be an ISO 4217 code")
        if blank("ContractCommitmentDescription"):
            problems.append(f"{where}: ContractCommitmentDescription SHOULD NOT be null")
        if not blank("ContractCommitmentPeriodStart") and str(r["ContractCommitmentPeriodStart"]) >= str(
            r["ContractCommitmentPeriodEnd"]
        ):
            problems.append(f"{where}: a commitment period [start, end) that is not empty")
        parents.setdefault(str(r.get("ContractCommitmentId")), set()).add(str(r.get("ContractId")))
    if any(len(p) > 1 for p in parents.values()):
        problems.append("each ContractCommitmentId MUST have one and only one parent ContractId")
    return problems


@pytest.fixture
def focus_rules():  # type: ignore[no-untyped-def]
    """The FOCUS 1.3 Contract Commitment rules as a function: rows -> problems."""
    return focus_contract_commitment_violations


@pytest.fixture
def sql(book: Ledger):  # type: ignore[no-untyped-def]
    """Rows of a SQL query against the ledger under test, as tuples."""
    from ledger.db.engine import make_engine

    def rows(query: str) -> list[tuple]:  # type: ignore[type-arg]
        engine = make_engine(book.url)
        with engine.connect() as connection:
            found = [tuple(row) for row in connection.execute(text(query))]
        engine.dispose()
        return found

    return rows
