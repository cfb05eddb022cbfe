"""Alembic environment: migrates the database the ledger itself would use (same URL rules)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ledger.config import database_url
from ledger.db.engine import make_engine
from ledger.db.migrate import foreign_keys_off
from ledger.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called by the ledger (ledger.db.migrate), inside its own transaction
        run_migrations(connection)
        return
    # the alembic command line: one transaction, foreign keys off on SQLite as the ledger runs it
    engine = make_engine(database_url(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as connection, foreign_keys_off(connection):
        run_migrations(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
