"""Database failures a user can cause, as one-line LedgerErrors that name the database (never its password).

The unit of work, schema creation and the engine pass every driver error through `translate`, so the
services above them only ever see LedgerErrors: an unreachable server, a file that is not a database,
a read-only file, a lock held past the timeout, a write the database's own constraints refuse.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ledger.config import display_url, lock_timeout
from ledger.errors import LedgerError


class DatabaseError(LedgerError):
    """The database could not do what was asked (unreachable, not a ledger database, read-only, refused)."""


class BusyError(DatabaseError):
    """Another writer held the database's write lock for longer than the lock timeout."""


# Fragments of driver messages (SQLite's, PostgreSQL's) and what they mean to a user.
_BUSY = ("database is locked", "database table is locked", "lock timeout", "canceling statement due to lock timeout")
_NOT_A_DATABASE = ("file is not a database", "file is encrypted or is not a database")
_READ_ONLY = ("attempt to write a readonly database", "readonly database", "read-only transaction")


def is_database_error(error: BaseException) -> bool:
    """SQLAlchemy's errors, and the drivers' own where the ledger talks to a driver directly (bulk writes)."""
    return isinstance(error, SQLAlchemyError | sqlite3.Error) or type(error).__module__.startswith("psycopg")


def translate(error: BaseException, url: str) -> LedgerError:
    """The LedgerError a user should see for a database failure on `url`."""
    where = display_url(url)
    reason = _first_line(error)
    lowered = reason.lower()
    if any(fragment in lowered for fragment in _BUSY):
        return BusyError(
            f"the database {where} is busy: another ledger command held its write lock for more than "
            f"{lock_timeout():g} s (try again, or set LEDGER_LOCK_TIMEOUT to wait longer)"
        )
    if any(fragment in lowered for fragment in _NOT_A_DATABASE):
        return DatabaseError(f"{where} is not a ledger database: {reason}")
    if any(fragment in lowered for fragment in _READ_ONLY):
        return DatabaseError(f"cannot write to the database {where}: it is read-only ({reason})")
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return DatabaseError(f"lost the connection to the database {where}: {reason}")
    kind = type(getattr(error, "orig", None) or error).__name__
    if "Integrity" in type(error).__name__ or "Violation" in kind:
        return DatabaseError(f"the database {where} refused the write: {reason}")
    return DatabaseError(f"cannot use the database {where}: {reason}")


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn driver errors raised inside the block into LedgerErrors (LedgerErrors pass through)."""
    try:
        yield
    except Exception as error:
        if not is_database_error(error):
            raise
        raise translate(error, url) from None


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__
