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
from collections.abc import Iterator
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
