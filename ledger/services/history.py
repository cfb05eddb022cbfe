"""The book of record: write every change into the history, and read it back (entries and records).

Each use case that writes makes one HistoryWriter inside its unit of work: it stamps one moment
(Store.clock) on every entry of the transaction, compares the records a change touched before and
after it, and appends the differences. Records are in the importer's format (an agreement as its
YAML entry, a party as its `parties:` entry), so that replaying them rebuilds the book as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd

from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.calendars import FiscalCalendar
from ledger.domain.history import Action, Entity, Provenance, Record, changed_fields, is_live
from ledger.domain.money import format_minor
from ledger.errors import NotFoundError
from ledger.io.readers import read_records
from ledger.services.schedules import _unknown as unknown_name  # the one 'did you mean' rule

RECORD_KINDS = "agreement, valuation, party or billing file"
BEFORE_HISTORY = "in the ledger before its history began (schema revision 0008)"


def known_text(at: dt.datetime) -> str:
    """How a --known-as-of moment reads: "as known at 2026-11-30T17:00:00Z"."""
    return f"as known at {at.isoformat(timespec='seconds').replace('+00:00', 'Z')}"


def dumps(value: object) -> str:
    """JSON as the history stores it: compact UTF-8 text, key order kept (orjson: ten times json's speed,
    which a 100,000-agreement import notices)."""
    return orjson.dumps(value).decode()


ENTRY_COLUMNS = (
    "entity", "entity_key", "action", "reason", "source_file", "source_line", "source_sha256", "changes", "record",
)  # fmt: skip


@dataclass
class HistoryWriter:
    """Collects one use case's history entries; `flush()` appends them in one bulk write (before the commit).

    Every entry of one use case shares its moment (`at`, taken once, under the write lock) and author."""

    store: Store
    provenance: Provenance
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    created: Action = Action.CREATE  # what a record new to the book is recorded as (RESTORE when restoring)
    _at: dt.datetime | None = None

    @property
    def at(self) -> dt.datetime:
        if self._at is None:
            self._at = self.store.clock()
        return self._at

    def entry(
        self,
        entity: Entity,
        key: str,
        action: Action,
        record: Record | None,
        *,
        changes: Mapping[str, Any] | None = None,
        source_file: str | None = None,
        line: int | None = None,
        sha256: str | None = None,
        reason: str | None = None,
    ) -> None:
        provenance = self.provenance
        self.rows.append(
            (
                entity.value,
                key,
                action.value,
                reason if reason is not None else provenance.reason,
                source_file,
                line,
                sha256,
                None if changes is None else dumps(changes),
                None if record is None else dumps(record),
            )
        )

    def differences(
        self,
        entity: Entity,
        before: Mapping[str, Record],
        after: Mapping[str, Record],
        *,
        source_file: str | None = None,
        sha256: str | None = None,
        lines: Mapping[str, int] | None = None,
        gone: Action | None = None,
    ) -> tuple[int, int]:
        """A `create` for each record of `after` missing from `before`, an `update` for each that differs,
        and (with `gone`, such as DELETE) that action for each record of `before` missing from `after`;
        returns (created, updated)."""
        created = updated = 0
        if gone is not None:
            for key in sorted(before.keys() - after.keys()):
                self.entry(entity, key, gone, None, source_file=source_file, sha256=sha256)
        reason = self.provenance.reason
        append, kind, create = self.rows.append, entity.value, self.created.value
        for key, new in after.items():
            old = before.get(key)
            line = None if lines is None else lines.get(key)
            if old is None:
                append((kind, key, create, reason, source_file, line, sha256, None, dumps(new)))
                created += 1
            elif old != new:
                changes = dumps(changed_fields(old, new))
                append((kind, key, Action.UPDATE.value, reason, source_file, line, sha256, changes, dumps(new)))
                updated += 1
        return created, updated

    def flush(self) -> int:
        """Append the collected entries, in the order they were made; returns how many."""
        written = len(self.rows)
        if written:
            frame = pd.DataFrame(self.rows, columns=ENTRY_COLUMNS, dtype=object)
            frame.insert(0, "recorded_at", pd.Series([self.at] * written, dtype=object))  # not datetime64: exact
            frame.insert(4, "author", self.provenance.author)
            frame["source_line"] = pd.array(frame["source_line"].tolist(), dtype="Int64")
            self.store.append_history(frame)
        self.rows = []
        return written


# -- records as the history keeps them -------------------------------------------


def party_records(store: Store) -> dict[str, Record]:
    """Every party as its `parties:` entry of an import file (name, kind, parent, fiscal_calendar, notes,
    aliases), by name."""
    frame = store.parties()
    names = dict(zip(frame["id"], frame["name"], strict=True))
    aliases: dict[str, list[str]] = {}
    for alias, name in sorted(store.party_aliases().items()):
        aliases.setdefault(name, []).append(alias)
    records: dict[str, Record] = {}
    for row in frame.to_dict("records"):
        calendar = FiscalCalendar(
            int(row["fiscal_year_end_month"]),
            None if pd.isna(row["fiscal_week_day"]) else int(row["fiscal_week_day"]),
            None if pd.isna(row["fiscal_week_rule"]) else row["fiscal_week_rule"],
        )
        record: dict[str, Any] = {"name": row["name"], "kind": row["kind"]}
        if not pd.isna(row["parent_id"]):
            record["parent"] = names[int(row["parent_id"])]
        if calendar != FiscalCalendar():
            record["fiscal_calendar"] = str(calendar)
        if not pd.isna(row["notes"]) and row["notes"] is not None:
            record["notes"] = row["notes"]
        if row["name"] in aliases:
            record["aliases"] = aliases[row["name"]]
        records[str(row["name"])] = record
    return records


def valuation_records(store: Store, keys: Sequence[str] | None = None) -> dict[str, Record]:
    """Valuations as their `valuations:` entries of an import file, by key."""
    records: dict[str, Record] = {}
    for row in store.valuation_details(keys):
        record: dict[str, Any] = {
            "valuation_id": row["key"],
            "party": row["party"],
            "kind": row["kind"],
            "amount": format_minor(int(row["amount_minor"]), row["currency"]),
            "currency": row["currency"],
            "as_of": _iso(row["as_of"]),
        }
        optional = {
            "round": row["round"],
            "amount_qualifier": None if row["amount_qualifier"] == "exact" else row["amount_qualifier"],
            "confidence": row["confidence"],
            "notes": row["notes"],
        }
        record.update({k: v for k, v in optional.items() if v is not None})
        if row["sources"]:
            record["sources"] = [_source(url, title, published) for url, title, published in row["sources"]]
        records[row["key"]] = record
    return records


def agreement_records(store: Store, keys: Sequence[str] | None = None) -> dict[str, Record]:
    """Agreements as their entries of an import file (every field the importer reads), by key."""
    batch = store.agreement_batch(keys)
    return {str(record["agreement_id"]): record for record in batch.to_records()}


def billing_file_record(row: Mapping[str, Any]) -> Record:
    return {k: row[k] for k in ("sha256", "name", "format", "rows", "counting_rule")}


def _source(url: str, title: str | None, published: dt.date | str | None) -> dict[str, str]:
    source = {"url": url}
    if title is not None:
        source["title"] = title
    if published is not None:
        source["date"] = _iso(published)
    return source


def _iso(day: dt.date | str) -> str:
    return day if isinstance(day, str) else day.isoformat()


# -- reading the history ---------------------------------------------------------


def records_at(
    store: Store, entity: Entity, at: dt.datetime | None = None, keys: Sequence[str] | None = None
) -> dict[str, Record]:
    """The records of `entity` (all, or those of `keys`) in the book as it stood at `at` (now if None), from
    the history alone, by key."""
    return {
        row["entity_key"]: json.loads(row["record"])
        for row in store.latest_history(entity.value, keys, at)
        if is_live(row["action"]) and row["record"] is not None
    }


def backfill(store: Store, writer: HistoryWriter) -> int:
    """A first entry (`create`, `ingest` for billing files) for each record stored without one: the records
    of a database made before revision 0008. Cheap when there are none (one indexed query per entity)."""
    written = 0
    for entity in Entity:
        missing = store.unrecorded_keys(entity.value)
        if not missing:
            continue
        if entity is Entity.AGREEMENT:
            records = agreement_records(store, missing)
        elif entity is Entity.VALUATION:
            records = valuation_records(store, missing)
        elif entity is Entity.PARTY:
            records = {name: record for name, record in party_records(store).items() if name in set(missing)}
        else:
            records = {r["sha256"]: billing_file_record(r) for r in store.ingest_files() if r["sha256"] in set(missing)}
        action = Action.INGEST if entity is Entity.BILLING_FILE else Action.CREATE
        for key, record in records.items():
            writer.entry(entity, key, action, record, reason=BEFORE_HISTORY)
            written += 1
    return written


def entries_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """History entries as a table, newest first: id, recorded_at (UTC, ISO), entity, key, action, author,
    reason, source (file:line), sha256, changes (a dict field -> [old, new]) and record (a dict)."""
    rows = [
        {
            "id": int(e["id"]),
            "recorded_at": e["recorded_at"].isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "entity": e["entity"],
            "key": e["entity_key"],
            "action": e["action"],
            "author": e["author"],
            "reason": e["reason"],
            "source": _where(e["source_file"], e["source_line"]),
            "sha256": e["source_sha256"],
            "changes": None if e["changes"] is None else json.loads(e["changes"]),
            "record": None if e["record"] is None else json.loads(e["record"]),
        }
        for e in entries
    ]
    columns = ["id", "recorded_at", "entity", "key", "action", "author", "reason", "source", "sha256", "changes"]
    frame = pd.DataFrame(rows, columns=[*columns, "record"], dtype=object)
    frame["id"] = frame["id"].astype("int64")
    return frame.where(frame.notna(), None)  # a missing reason or SHA-256 is None, never NaN


def _where(file: str | None, line: int | None) -> str | None:
    if file is None:
        return None
    return file if line is None else f"{file}:{line}"


def history(
    uow_factory: UnitOfWorkFactory,
    keys: Sequence[str] = (),
    since: dt.datetime | None = None,
    entity: Entity | None = None,
) -> pd.DataFrame:
    """The history entries (newest first) as a table; unknown keys are refused by name."""
    with uow_factory() as uow:
        store = uow.store
        if keys:
            seen = {row["entity_key"] for e in Entity for row in store.latest_history(e.value, list(keys))}
            missing = [key for key in keys if key not in seen]
            if missing:
                raise NotFoundError(unknown_name(RECORD_KINDS, missing[0], store.agreement_keys()))
        entries = store.history_entries(None if entity is None else entity.value, list(keys), since)
    return entries_frame(entries)


@dataclass
class RecordState:
    """One record as the history has it (at a moment, or now): its entity, its newest action, the record."""

    key: str
    entity: Entity
    action: Action
    record: Record | None
    recorded_at: dt.datetime

    @property
    def state(self) -> str:
        """'in the book', 'void', 'deleted' or 'withdrawn'."""
        if is_live(self.action):
            return "in the book"
        return {Action.VOID: "void", Action.DELETE: "deleted", Action.UNINGEST: "withdrawn"}[self.action]


def record_state(uow_factory: UnitOfWorkFactory, key: str, at: dt.datetime | None = None) -> RecordState:
    """The newest history entry of `key` (recorded by `at`, if given); an agreement's key first, then a
    valuation's, a party's name or a billing file's SHA-256. Unknown keys are refused by name."""
    with uow_factory() as uow:
        for entity in Entity:
            rows = uow.store.latest_history(entity.value, [key], at)
            if rows:
                row = rows[0]
                record = None if row["record"] is None else json.loads(row["record"])
                return RecordState(key, entity, Action(row["action"]), record, row["recorded_at"])
        keys = uow.store.agreement_keys()
    message = unknown_name(RECORD_KINDS, key, keys)
    if at is not None:
        message += f" ({known_text(at)})"
    raise NotFoundError(message)


def incoming_relations(uow_factory: UnitOfWorkFactory, key: str) -> list[tuple[str, str]]:
    """(agreement, relation kind) of every agreement in the book that relates to `key`."""
    with uow_factory() as uow:
        return [(owner, kind) for owner, kind, target in uow.store.relations() if target == key]


def moment_of_entry(uow_factory: UnitOfWorkFactory, entry: int) -> dt.datetime:
    """When history entry `entry` was recorded (the moment of its whole change); unknown ids are refused."""
    with uow_factory() as uow:
        moment = uow.store.entry_moment(entry)
    if moment is None:
        raise NotFoundError(f"no history entry #{entry} (ledger history lists them)")
    return moment


def void_agreements(uow_factory: UnitOfWorkFactory, at: dt.datetime | None = None) -> pd.DataFrame:
    """The void agreements (as of `at`) in the columns of the agreement listing (services.agreements):
    what `ledger agreements --include-void` adds, marked void."""
    with uow_factory() as uow:
        rows = uow.store.latest_history(Entity.AGREEMENT.value, None, at)
    records = [json.loads(row["record"]) for row in rows if row["action"] == Action.VOID and row["record"]]
    frame = read_records("the void agreements", agreements=records).batch.agreements
    return frame.drop(columns=["participants", "assumptions", "line"])
