"""The `ledger` command: parse, call the service, render. Heavy libraries load inside the commands.

Each module registers its commands on the one Typer app of `common`; `main` is the entry point.
"""

from __future__ import annotations

import sys

# isort: off
from ledger.cli import book, schedules, flows, spend, parties  # registered in this order: the order of --help

# isort: on
from ledger.cli.common import State, app, say
from ledger.config import display_url
from ledger.errors import LedgerError

__all__ = ["app", "book", "flows", "main", "parties", "schedules", "spend"]  # the modules register their commands


def main() -> None:
    """Entry point: run the app; LedgerErrors and unreachable databases become one-line errors, exit 1."""
    try:
        app()
    except LedgerError as error:
        for line in str(error).splitlines():
            say(f"error: {line}")
        sys.exit(1)
    except Exception as error:  # only database connection problems are expected here
        from sqlalchemy.exc import OperationalError

        if not isinstance(error, OperationalError):
            raise
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        from ledger.config import database_url

        say(f"error: cannot use the database {display_url(database_url(State.url))}: {reason}")
        sys.exit(1)


if __name__ == "__main__":
    main()
