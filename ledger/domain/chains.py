"""The one walk up a chain of parents: a party's parent companies, an expansion's original contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

K = TypeVar("K")


def parent_chain(parent_of: Mapping[Any, Any], start: K) -> tuple[list[K], K | None]:
    """The ancestors of `start`, nearest first, and where the chain loops: the first ancestor met twice
    (or `start` itself), None when the chain ends at a top (a key with no parent). Never loops forever.
    `parent_of` maps a key to its parent key (None, or no entry, for none)."""
    chain: list[K] = []
    seen = {start}
    current: K | None = parent_of.get(start)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parent_of.get(current)
    return chain, current


def top_of(parent_of: Mapping[Any, Any], start: K) -> K:
    """The farthest ancestor of `start` before the chain ends or loops (`start` when it has no parent)."""
    chain, _ = parent_chain(parent_of, start)
    return chain[-1] if chain else start
