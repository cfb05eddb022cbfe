"""The book of record's rules: what a change is, which changes leave a record in the book, field differences.

The history is append-only: a correction is a new entry, never an edit of an old one. Each entry
holds the record as it stood after the change (the importer's own format, so that replaying the
entries rebuilds the book as it was at any moment) and, for an update, the fields that changed.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Entity(enum.StrEnum):
    AGREEMENT = "agreement"
    PARTY = "party"
    VALUATION = "valuation"
    BILLING_FILE = "billing_file"


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    VOID = "void"  # a mistake: out of every figure, kept in the history, restorable
    RESTORE = "restore"  # a void taken back
    DELETE = "delete"  # gone, leaving a tombstone (a record nothing refers to)
    INGEST = "ingest"
    UNINGEST = "uningest"  # a billing file's charges taken back


HISTORY_ENTITIES = tuple(e.value for e in Entity)
HISTORY_ACTIONS = tuple(a.value for a in Action)

# After these, the record is in the book; after the others (void, delete, uningest) it is not.
LIVE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.RESTORE, Action.INGEST})


def is_live(action: str) -> bool:
    """Whether an entity whose latest entry has this action is part of the book."""
    return action in LIVE_ACTIONS


Record = Mapping[str, Any]  # an entity in the importer's format: JSON values only


def changed_fields(old: Record | None, new: Record | None) -> dict[str, list[Any]]:
    """Each field whose value differs between two records, as [old, new] (None where a record lacks it),
    in the new record's field order, then the fields only the old one had."""
    before, after = old or {}, new or {}
    keys = [*after, *(k for k in before if k not in after)]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


@dataclass(frozen=True)
class Provenance:
    """Who made a change and why (the input it came from is given entry by entry)."""

    author: str
    reason: str | None = None


Known = dt.datetime | int  # a moment (aware UTC), or a history entry's id: the book just after that change


def parse_moment(text: str) -> Known:
    """A --known-as-of moment: an ISO 8601 date or date-time (without an offset it is UTC; a date alone is the
    end of that day, what the ledger knew by then), or `#N`: just after the change of history entry N."""
    value = text.strip()
    if value.startswith("#") and value[1:].isdigit():
        return int(value[1:])
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r}: expected an ISO 8601 date or date-time, such as 2026-11-30 or 2026-11-30T17:00:00Z, "
            "or #N (just after the change that wrote history entry N)"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
