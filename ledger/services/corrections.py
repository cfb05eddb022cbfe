"""Corrections that never erase: void and restore records, delete the ones nothing refers to, withdraw a
billing file. Each is one transaction, refuses unknown ids with a clear message, and leaves its entry
in the history (the void record itself, for a later restore; a tombstone for a delete).

A void takes the record out of the book (every schedule, consolidation, burn, export and cycle), and
keeps it, marked void, in `show`, `history` and `agreements --include-void`; `restore` puts it back as
it was. `uningest` withdraws a billing file: its charges stay stored, for time travel, and draw
nothing down; ingesting the same file again loads it anew.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.history import Action, Entity, Provenance
from ledger.errors import DomainError, NotFoundError
from ledger.io.readers import read_records
from ledger.progress import silent
from ledger.services.history import HistoryWriter, agreement_records, billing_file_record, valuation_records
from ledger.services.importing import ImportSummary, refresh_derived_in, store_file

SHOWN = 5


@dataclass
class CorrectionSummary:
    """What a void, restore, delete or uningest did."""

    action: str
    agreements: list[str] = field(default_factory=list)
    valuations: list[str] = field(default_factory=list)
    billing_files: list[str] = field(default_factory=list)
    drawdowns: int = 0

    def describe(self) -> str:
        done = {"void": "voided", "restore": "restored", "delete": "deleted", "uningest": "withdrew"}[self.action]
        parts = [
            f"{len(items)} {noun}{'' if len(items) == 1 else 's'} ({_listing(items)})"
            for noun, items in (
                ("agreement", self.agreements),
                ("valuation", self.valuations),
                ("billing file", self.billing_files),
            )
            if items
        ]
        return f"{done} {' and '.join(parts)}; draw-downs recomputed: {self.drawdowns}"


def _listing(items: Sequence[str]) -> str:
    return ", ".join(items[:SHOWN]) + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _require_reason(provenance: Provenance, action: str) -> None:
    if not provenance.reason:
        raise DomainError(f"{action} needs a reason (--reason TEXT): the history keeps why a record was changed")


def _resolve(store: Store, keys: Sequence[str]) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """Live agreements and valuations among `keys` (key -> id), and the other keys' newest history action."""
    unique = list(dict.fromkeys(keys))
    agreements = {key: aid for key, (aid, _) in store.agreement_index(unique).items()}
    valuations = {key: vid for key, (vid, _) in store.valuation_index(unique).items()}
    rest = [key for key in unique if key not in agreements and key not in valuations]
    latest: dict[str, str] = {}
    for entity in (Entity.AGREEMENT, Entity.VALUATION):
        latest.update({row["entity_key"]: row["action"] for row in store.latest_history(entity.value, rest)})
    unknown = [key for key in rest if key not in latest]
    if unknown:
        raise NotFoundError(f"no agreement or valuation {_listing(unknown)} in the ledger or its history")
    return agreements, valuations, latest


def _refuse_references(store: Store, ids: Sequence[int], action: str) -> None:
    references = store.references_to(ids)
    if not references:
        return
    described = [
        f"billing file {who} names {key} (uningest it first)"
        if how == "charges"
        else f"valuation {who} is of round {key}"
        if how == "round"
        else f"{who} is {how} {key}"
        for who, how, key in references
    ]
    raise DomainError(
        f"cannot {action}: {'; '.join(described[:SHOWN])}"
        + (f" and {len(described) - SHOWN} more" if len(described) > SHOWN else "")
        + f" ({action} those too, in the same command, or change them first)"
    )


def _finish(store: Store, history: HistoryWriter, summary: CorrectionSummary) -> CorrectionSummary:
    _, summary.drawdowns = refresh_derived_in(store)
    if store.has_flows():  # the stored flow graph counted what changed: cleared (`ledger cycles --save` again)
        store.replace_flows(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    history.flush()
    return summary


def void(uow_factory: UnitOfWorkFactory, keys: Sequence[str], provenance: Provenance) -> CorrectionSummary:
    """Take agreements and valuations out of the book as mistakes, keeping them in the history."""
    _require_reason(provenance, "void")
    with uow_factory(write=True) as uow:
        store = uow.store
        agreements, valuations, latest = _resolve(store, keys)
        if latest:
            listed = _listing([f"{key} ({action})" for key, action in latest.items()])
            raise DomainError(f"cannot void what is not in the book: {listed}")
        _refuse_references(store, list(agreements.values()), "void")
        history = HistoryWriter(store, provenance)
        for entity, records in (
            (Entity.AGREEMENT, agreement_records(store, list(agreements))),
            (Entity.VALUATION, valuation_records(store, list(valuations))),
        ):
            for key, record in records.items():
                history.entry(entity, key, Action.VOID, record)
        store.delete_valuations(list(valuations.values()))
        store.delete_agreements(list(agreements.values()))
        summary = _finish(store, history, CorrectionSummary("void", sorted(agreements), sorted(valuations)))
        uow.commit()
    return summary


def restore(uow_factory: UnitOfWorkFactory, keys: Sequence[str], provenance: Provenance) -> CorrectionSummary:
    """Put voided agreements and valuations back in the book, as they were when voided."""
    with uow_factory(write=True) as uow:
        store = uow.store
        agreements, valuations, latest = _resolve(store, keys)
        not_void = [*(f"{k} (in the book)" for k in [*agreements, *valuations])]
        not_void += [f"{key} ({action})" for key, action in latest.items() if action != Action.VOID]
        if not_void:
            raise DomainError(f"only a void record can be restored: {_listing(not_void)}")
        records: dict[Entity, list[dict[str, object]]] = {Entity.AGREEMENT: [], Entity.VALUATION: []}
        for entity in records:
            for row in store.latest_history(entity.value, list(latest)):
                records[entity].append(json.loads(row["record"]))
        data = read_records(
            "the void records", agreements=records[Entity.AGREEMENT], valuations=records[Entity.VALUATION]
        )
        history = HistoryWriter(store, provenance, created=Action.RESTORE)
        store_file(store, data, ImportSummary(), silent, history)
        summary = CorrectionSummary(
            "restore",
            sorted(str(r["agreement_id"]) for r in records[Entity.AGREEMENT]),
            sorted(str(r["valuation_id"]) for r in records[Entity.VALUATION]),
        )
        summary = _finish(store, history, summary)
        uow.commit()
    return summary


def delete(uow_factory: UnitOfWorkFactory, keys: Sequence[str], provenance: Provenance) -> CorrectionSummary:
    """Remove agreements and valuations for good (live or void), leaving a tombstone in the history; refused
    for an agreement something else refers to."""
    with uow_factory(write=True) as uow:
        store = uow.store
        agreements, valuations, latest = _resolve(store, keys)
        gone = [f"{key} ({action})" for key, action in latest.items() if action == Action.DELETE]
        if gone:
            raise DomainError(f"already deleted: {_listing(gone)}")
        _refuse_references(store, list(agreements.values()), "delete")
        history = HistoryWriter(store, provenance)
        entity_of = {key: Entity.AGREEMENT for key in agreements} | {key: Entity.VALUATION for key in valuations}
        for entity in (Entity.AGREEMENT, Entity.VALUATION):
            entity_of.update({row["entity_key"]: entity for row in store.latest_history(entity.value, list(latest))})
        for key in dict.fromkeys(keys):
            history.entry(entity_of[key], key, Action.DELETE, None)
        store.delete_valuations(list(valuations.values()))
        store.delete_agreements(list(agreements.values()))
        summary = CorrectionSummary(
            "delete",
            sorted(k for k, e in entity_of.items() if e is Entity.AGREEMENT),
            sorted(k for k, e in entity_of.items() if e is Entity.VALUATION),
        )
        summary = _finish(store, history, summary)
        uow.commit()
    return summary


SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def uningest(uow_factory: UnitOfWorkFactory, which: str, provenance: Provenance) -> CorrectionSummary:
    """Withdraw one billing file, named by its path, its SHA-256 or its id in `ingest_file`."""
    _require_reason(provenance, "uningest")
    with uow_factory(write=True) as uow:
        store = uow.store
        files = store.ingest_files()
        path = Path(which)
        if path.is_file():
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            found = [row for row in files if row["sha256"] == sha]
        elif SHA256.fullmatch(which):
            found = [row for row in files if row["sha256"] == which.lower()]
        elif which.isdigit():
            found = [row for row in files if row["id"] == int(which)]
        else:
            raise NotFoundError(f"{which!r}: expected a billing file's path, its SHA-256 or its id (ledger history)")
        if not found:
            raise NotFoundError(f"no billing file {which} was ingested (its content's SHA-256 is not in the ledger)")
        row = found[0]
        if row["withdrawn_at"] is not None:
            raise DomainError(f"billing file {row['name']} ({row['sha256'][:12]}) is already withdrawn")
        history = HistoryWriter(store, provenance)
        store.set_withdrawn(int(row["id"]), history.at)
        history.entry(
            Entity.BILLING_FILE, row["sha256"], Action.UNINGEST, billing_file_record(row),
            source_file=None if not path.is_file() else str(path), sha256=row["sha256"],
        )  # fmt: skip
        summary = _finish(store, history, CorrectionSummary("uningest", billing_files=[str(row["name"])]))
        uow.commit()
    return summary
