"""The book's limits, checked inside the write that could pass them (see ledger.domain.money)."""

from __future__ import annotations

from typing import Literal

from ledger.db.repository import Store
from ledger.domain.money import MAX_TOTAL_MINOR, total_limit_text
from ledger.errors import LimitError


def refuse_past_book_limit(store: Store, table: Literal["agreement", "consumption"]) -> None:
    """Refuse a write that takes the book's total of commitments or of charges in one currency past
    MAX_TOTAL_MINOR: below it, every sum the ledger computes from a part of the book is exact in 64 bits."""
    over = store.currencies_over(table, MAX_TOTAL_MINOR)
    if over:
        what = "agreement amounts" if table == "agreement" else "charges"
        raise LimitError(
            f"the ledger's {what} in {over[0]} would total more than {total_limit_text(over[0])}, "
            "the limit of one sum (see the README, Limits); nothing was written"
        )
