"""Schema lifecycle through Alembic only: upgrade to head, read the current revision, compare with the models."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry, Pool

from ledger.config import display_url
from ledger.errors import ConfigurationError, SchemaError

if TYPE_CHECKING:
    from alembic.config import Config

_PACKAGE = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """The Alembic scripts: bundled in the installed package, or `migrations/` of a source checkout."""
    for candidate in (_PACKAGE / "_migrations", _PACKAGE.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise ConfigurationError(f"the ledger's migrations are missing (looked beside {_PACKAGE})")


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config  # Alembic is loaded only to change the schema, not to use the ledger

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_REVISION = re.compile(r"""^revision: str = ["']([^"']+)["']$""", re.M)
_DOWN = re.compile(r"""^down_revision: str \| None = (?:["']([^"']+)["']|None)$""", re.M)


@functools.cache
def head_revision() -> str:
    """The newest revision: the one no migration revises, read from the scripts' own `revision` and
    `down_revision` lines (without loading Alembic; a test holds it equal to Alembic's head)."""
    revisions, revised = set(), set()
    for path in sorted((migrations_dir() / "versions").glob("*.py")):
        script = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(script), _DOWN.search(script)
        if revision is None or down is None:
            raise ConfigurationError(f"migration {path.name} has no revision and down_revision lines")
        revisions.add(revision[1])
        if down[1] is not None:
            revised.add(down[1])
    heads = revisions - revised
    if len(heads) != 1:
        raise ConfigurationError(f"the migrations have {len(heads)} heads ({', '.join(sorted(heads))}), not one")
    return heads.pop()


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in alembic_version, None for a database without the ledger's schema."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(connection: Connection, target: str = "head") -> None:
    """Create or upgrade the schema on `connection`, in the caller's transaction (call it before any write
    in that transaction: on SQLite see `foreign_keys_off`)."""
    if current_revision(connection) == (head_revision() if target == "head" else target):
        return  # nothing to run, nor to check
    from alembic import command

    with foreign_keys_off(connection):
        command.upgrade(alembic_config(connection), target)


def downgrade(connection: Connection, target: str) -> None:
    """Downgrade the schema to `target` ("base": nothing left), like `upgrade`."""
    from alembic import command

    with foreign_keys_off(connection):
        command.downgrade(alembic_config(connection), target)


_FOREIGN_KEYS_OFF = "ledger_foreign_keys_off"  # pool-record flag: restore foreign keys at check-in


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, run a migration with foreign keys off, then check every reference before the caller commits.

    SQLite changes a table's constraints by rebuilding it, and drops a table by deleting its rows
    first: with foreign keys on, that deletes (ON DELETE CASCADE) or refuses (RESTRICT) the rows
    referring to them, as the `FOREIGN KEY constraint failed` of a downgrade to base did. SQLite
    ignores the pragma inside a transaction, so a transaction already begun is committed first (it
    must hold no write yet: the ledger begins, reads the revision, then migrates) and a new one
    begun, which the caller commits. Any reference the migration broke fails the check below and
    the caller rolls back. Foreign keys are turned on again when the connection goes back to its
    pool (ledger.db.engine turns them on for every new connection).
    """
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name != "sqlite" or not driver.execute("PRAGMA foreign_keys").fetchone()[0]:
        yield
        return
    began = driver.in_transaction
    if began:
        driver.execute("COMMIT")
    driver.execute("PRAGMA foreign_keys = OFF")
    connection.connection.info[_FOREIGN_KEYS_OFF] = True
    _restore_foreign_keys_at_checkin(connection.engine.pool)
    if began:
        driver.execute("BEGIN IMMEDIATE")  # a migration writes: take the write lock now
    yield
    broken = driver.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise SchemaError(
            f"the migration would leave {len(broken)} rows referring to missing rows (the first: {table} row "
            f"{rowid} -> {parent}); nothing was changed"
        )


def _restore_foreign_keys_at_checkin(pool: Pool) -> None:
    if not event.contains(pool, "checkin", _restore_foreign_keys):
        event.listen(pool, "checkin", _restore_foreign_keys)


def _restore_foreign_keys(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    if record.info.pop(_FOREIGN_KEYS_OFF, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA foreign_keys = ON")  # checked in: no transaction is open


def require_current(connection: Connection, url: str) -> None:
    """Refuse to work on a database whose schema is missing or behind the code."""
    current = current_revision(connection)
    if current is None:
        raise SchemaError(f"{display_url(url)} has no ledger schema yet: run `ledger init` first")
    if current != head_revision():
        raise SchemaError(f"{display_url(url)} has an older ledger schema ({current}): run `ledger init` to upgrade it")


def check(connection: Connection) -> None:
    """Raise if the models and the migrated schema differ (alembic check)."""
    from alembic import command

    command.check(alembic_config(connection))
