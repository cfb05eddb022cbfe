"""Alembic environment: migrates the database the ledger itself would use (same URL rules)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ledger.config import database_url
from ledger.db.engine import make_engine
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
    if connection is not None:  # called by the ledger, inside its own transaction
        run_migrations(connection)
        return
    engine = make_engine(database_url(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as connection:
        run_migrations(connection)
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
run_migrations_online()
