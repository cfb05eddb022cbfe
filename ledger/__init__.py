"""ledger: an exact cloud-commitment and compute-spend ledger.

    import ledger
    with ledger.open("sqlite:///ledger.db") as book:
        book.init()
        book.seed()
        yearly = book.schedule(by="year")

Importing this package is cheap: pandas and SQLAlchemy load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.errors import InputError, LedgerError

if TYPE_CHECKING:
    from ledger.api import Ledger

__all__ = ["InputError", "Ledger", "LedgerError", "open"]
__version__ = "0.1.0"


def open(url: str | None = None) -> Ledger:  # noqa: A001 - the package's entry point, like sqlite3.connect
    """Open the ledger at `url` (else LEDGER_DATABASE_URL, else sqlite:///ledger.db)."""
    from ledger.api import Ledger

    return Ledger(url)


def __getattr__(name: str) -> object:
    if name == "Ledger":
        from ledger.api import Ledger

        return Ledger
    raise AttributeError(name)
