"""The unit of work: one transaction per use case, rolled back unless committed, always closed.

A writing unit of work (`write=True`) holds the ledger's write lock for its whole transaction, so
writers never interleave; a reading one sees one consistent snapshot (REPEATABLE READ on PostgreSQL,
SQLite's own read transaction). Driver errors leave it as one-line LedgerErrors (ledger.db.errors).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from ledger.db import migrate
from ledger.db.engine import lock_for_writing, writing
from ledger.db.errors import database_errors, is_database_error, translate
from ledger.db.repository import Store


class UnitOfWork:
    """`with uow: ...; uow.commit()` - nothing is written unless commit() is reached."""

    store: Store
    session: Session
    connection: Connection

    def __init__(self, engine: Engine, url: str, *, require_schema: bool = True, write: bool = False) -> None:
        self.engine = engine
        self.url = url
        self.require_schema = require_schema
        self.write = write

    def __enter__(self) -> Self:
        with database_errors(self.url):
            self.connection = self._connect()
            try:
                self.session = Session(bind=self.connection, expire_on_commit=False)
                self.session.begin()
                if self.write:
                    lock_for_writing(self.session.connection())
                if self.require_schema:
                    migrate.require_current(self.session.connection(), self.url)
            except BaseException:
                self._close()
                raise
        self.store = Store(self.session)
        return self

    def _connect(self) -> Connection:
        connection = self.engine.connect()
        if self.write:
            return writing(connection)
        if connection.dialect.name == "postgresql":
            return connection.execution_options(isolation_level="REPEATABLE READ")
        return connection

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def _close(self) -> None:
        try:
            if hasattr(self, "session"):
                self.session.close()
        finally:
            self.connection.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with database_errors(self.url):  # a connection lost by now fails the rollback: still one line
            try:
                self.session.rollback()  # a no-op after commit()
            finally:
                self._close()
        if exc is not None and is_database_error(exc):
            raise translate(exc, self.url) from exc


class UnitOfWorkFactory(Protocol):
    """What services receive: makes a unit of work; writers ask for `write=True`."""

    def __call__(self, *, write: bool = False) -> UnitOfWork: ...
