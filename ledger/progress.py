"""How long-running use cases report progress without knowing who is watching (a terminal, a notebook, nobody)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """Called once per stage with its description and size; returns a function to advance it by n units."""

    def __call__(self, description: str, total: int | None) -> Advance: ...


def silent(description: str, total: int | None) -> Advance:
    """The default: report nothing."""
    return _ignore


def _ignore(_n: int) -> None:
    return None
