"""Schema lifecycle through Alembic only: upgrade to head, read the current revision, compare with the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from ledger.config import display_url
from ledger.errors import ConfigurationError, SchemaError

_PACKAGE = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """The Alembic scripts: bundled in the installed package, or `migrations/` of a source checkout."""
    for candidate in (_PACKAGE / "_migrations", _PACKAGE.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise ConfigurationError(f"the ledger's migrations are missing (looked beside {_PACKAGE})")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations have no head revision"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, target: str = "head") -> None:
    """Create or upgrade the schema on `connection` (within the caller's transaction)."""
    command.upgrade(alembic_config(connection), target)


def downgrade(connection: Connection, target: str) -> None:
    command.downgrade(alembic_config(connection), target)


def require_current(connection: Connection, url: str) -> None:
    """Refuse to work on a database whose schema is missing or behind the code."""
    current = current_revision(connection)
    if current is None:
        raise SchemaError(f"{display_url(url)} has no ledger schema yet: run `ledger init` first")
    if current != head_revision():
        raise SchemaError(f"{display_url(url)} has an older ledger schema ({current}): run `ledger init` to upgrade it")


def check(connection: Connection) -> None:
    """Raise if the models and the migrated schema differ (alembic check)."""
    command.check(alembic_config(connection))
