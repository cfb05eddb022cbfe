"""The `ledger` command: parse, call the Python API (`ledger.api.Ledger`), render. Heavy imports load late.

Each module registers its commands on the one Typer app of `common`; `main` is the entry point.
"""

from __future__ import annotations

import sys

# isort: off
from ledger.cli import book, schedules, flows, spend, record, parties  # registered in this order: the order of --help

# isort: on
from ledger.cli.common import app, say
from ledger.errors import LedgerError

__all__ = [
    "app",
    "book",
    "flows",
    "main",
    "parties",
    "record",
    "schedules",
    "spend",
]  # the modules register their commands


def main() -> None:
    """Entry point: run the app; LedgerErrors (database failures among them) become `error:` lines, exit 1."""
    try:
        app()
    except LedgerError as error:
        for line in str(error).splitlines():
            say(f"error: {line}")
        sys.exit(1)


if __name__ == "__main__":
    main()
