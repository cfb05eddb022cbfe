"""The unit of work: one transaction per use case, rolled back unless committed, always closed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.db import migrate
from ledger.db.repository import Store


class UnitOfWork:
    """`with uow: ...; uow.commit()` - nothing is written unless commit() is reached."""

    store: Store
    session: Session

    def __init__(self, engine: Engine, url: str, *, require_schema: bool = True) -> None:
        self.engine = engine
        self.url = url
        self.require_schema = require_schema

    def __enter__(self) -> Self:
        self.session = Session(self.engine, expire_on_commit=False)
        self.session.begin()
        if self.require_schema:
            try:
                migrate.require_current(self.session.connection(), self.url)
            except BaseException:
                self.session.close()
                raise
        self.store = Store(self.session)
        return self

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()  # a no-op after commit()
        finally:
            self.session.close()
