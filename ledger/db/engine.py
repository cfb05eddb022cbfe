"""Engines for the two backends: an embedded SQLite file and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ledger.config import display_url
from ledger.errors import ConfigurationError

SUPPORTED = ("sqlite", "postgresql")


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections get real transactions and foreign keys."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"database URL {display_url(url)!r}: expected sqlite:///FILE or postgresql://USER@HOST/DB"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED:
        raise ConfigurationError(f"database URL {display_url(url)!r}: expected a SQLite or PostgreSQL URL")
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        _make_sqlite_transactional(engine)
    return engine


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite opens transactions lazily and commits DDL on its own; take over
    # so that one use case is one transaction (DDL included), and turn on
    # foreign keys, which SQLite leaves off for each new connection.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")
