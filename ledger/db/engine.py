"""Engines for the two backends: an embedded SQLite file and PostgreSQL (psycopg 3).

Writers take the ledger's one write lock at the start of their transaction (`lock_for_writing`): on
SQLite a `BEGIN IMMEDIATE`, on PostgreSQL a transaction-level advisory lock. Both wait up to
LEDGER_LOCK_TIMEOUT seconds (default 60) for another writer to finish, so concurrent imports and
ingests run one after the other and each sees what the previous one committed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from ledger.config import display_url, lock_timeout
from ledger.errors import ConfigurationError

SUPPORTED = ("sqlite", "postgresql")

WRITE_OPTION = "ledger_write"  # execution option of a connection whose transaction will write
LOCK_KEY = 0x6C6564676572  # pg_advisory_xact_lock key of the ledger's write lock ("ledger" in ASCII)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections get real transactions, foreign keys and a busy timeout."""
    expected = "expected sqlite:///FILE or postgresql://USER@HOST[:PORT]/DB"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        detail = f" ({error})" if isinstance(error, ValueError) else ""
        raise ConfigurationError(f"database URL {display_url(url)!r}{detail}: {expected}") from None
    if parsed.get_backend_name() not in SUPPORTED:
        raise ConfigurationError(f"database URL {display_url(url)!r}: expected a SQLite or PostgreSQL URL")
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": lock_timeout()})
            _make_sqlite_transactional(engine)
        else:
            engine = create_engine(parsed)
    except (ImportError, NoSuchModuleError) as error:  # a driver that is not installed (postgresql+pg8000://)
        raise ConfigurationError(
            f"database URL {display_url(url)!r}: its driver is not installed ({error}); {expected} (psycopg 3)"
        ) from None
    return engine


def memory_engine(connection: sqlite3.Connection) -> Engine:
    """An engine over one private in-memory SQLite connection (a replica of the book at a moment), with the
    same transactions and foreign keys as a ledger file."""
    engine = create_engine("sqlite://", creator=lambda: connection, poolclass=StaticPool)
    _make_sqlite_transactional(engine)
    return engine


def writing(connection: Connection) -> Connection:
    """Mark `connection` (before its transaction begins) as one whose transaction will write."""
    return connection.execution_options(**{WRITE_OPTION: True})


def lock_for_writing(connection: Connection) -> None:
    """Take the ledger's write lock, first thing in a writer's transaction (held until it ends)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": f"{lock_timeout() * 1000:.0f}"})
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    # SQLite: the BEGIN IMMEDIATE of a writing connection (below) already holds the write lock.


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite opens transactions lazily and commits DDL on its own; take over
    # so that one use case is one transaction (DDL included), and turn on
    # foreign keys, which SQLite leaves off for each new connection. A writer
    # begins IMMEDIATE: it waits (busy timeout) for the write lock up front
    # instead of failing when it upgrades a read lock while another writes.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
