"""Time travel: the book as the ledger knew it at a moment, rebuilt from the history alone.

The history keeps every record as it stood after each change, in the importer's format. The book at
moment T is each record's newest entry recorded by T, where that entry leaves it in the book (not
void, deleted or withdrawn). It is replayed into a private in-memory SQLite ledger through the same
import path as a file (same validation, same amortization, same consolidation), with the charges of
the billing files in the book at T copied over; every read use case then runs on it unchanged, so a
schedule, burn, reconciliation, export or cycle analysis "as known at T" is the one the ledger gave
at T, to the cent.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ledger.db import migrate
from ledger.db.engine import memory_engine, writing
from ledger.db.models import Consumption, IngestFile
from ledger.db.repository import Store, sqlite_moment
from ledger.db.uow import UnitOfWork, UnitOfWorkFactory
from ledger.domain.history import Entity, Provenance
from ledger.io.readers import read_records
from ledger.progress import Progress, silent
from ledger.services.history import HistoryWriter, known_text, records_at
from ledger.services.importing import ImportSummary, refresh_derived_in, store_file

REPLICA_URL = "sqlite://"  # in memory, private to this process


@contextmanager
def book_as_of(
    uow_factory: UnitOfWorkFactory, at: dt.datetime, progress: Progress = silent
) -> Iterator[UnitOfWorkFactory]:
    """A unit-of-work factory over the book as it stood at `at` (read it; writes go nowhere that lasts)."""
    with uow_factory() as uow:
        store = uow.store
        parties = records_at(store, Entity.PARTY, at)
        agreements = records_at(store, Entity.AGREEMENT, at)
        valuations = records_at(store, Entity.VALUATION, at)
        files = records_at(store, Entity.BILLING_FILE, at)
        ingested = [row for row in store.ingest_files() if row["sha256"] in files]
        charges = store.consumption_rows([row["id"] for row in ingested])
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    _schema_at_head().backup(copy)  # the migrated schema, copied: a fraction of running the migrations
    engine = memory_engine(copy)
    try:

        def replica(*, write: bool = False) -> UnitOfWork:
            return UnitOfWork(engine, REPLICA_URL, write=write)

        with replica(write=True) as replay:
            name = f"the book {known_text(at)}"
            data = read_records(name, parties.values(), agreements.values(), valuations.values(), progress)
            history = HistoryWriter(replay.store, Provenance("ledger", name))
            store_file(replay.store, data, ImportSummary(), progress, history)
            _copy_charges(replay.store, ingested, charges)
            refresh_derived_in(replay.store)
            replay.commit()
        yield replica
    finally:
        engine.dispose()


_TEMPLATE: list[tuple[sqlite3.Connection, Engine]] = []
_TEMPLATE_LOCK = threading.Lock()


def _schema_at_head() -> sqlite3.Connection:
    """An empty in-memory ledger at the newest revision, made once per process by the migrations."""
    with _TEMPLATE_LOCK:
        if not _TEMPLATE:
            template = sqlite3.connect(":memory:", check_same_thread=False)
            engine = memory_engine(template)  # kept open with it: disposing would close the connection
            with writing(engine.connect()) as connection, connection.begin():
                migrate.upgrade(connection)
            _TEMPLATE.append((template, engine))
        return _TEMPLATE[0][0]


def _copy_charges(store: Store, ingested: list[dict[str, object]], charges: pd.DataFrame) -> None:
    """The billing files in the book at the moment, with their month rows, under the replica's ids."""
    if not ingested:
        return
    files = pd.DataFrame(ingested).drop(columns=["withdrawn_at"])
    files["loaded_at"] = files["loaded_at"].map(sqlite_moment)
    store.insert_frame(IngestFile, files)
    ids = store.party_ids()
    ids.update({alias: ids[name] for alias, name in store.party_aliases().items()})
    missing = sorted((set(charges["payer"]) | set(charges["payee"])) - set(ids))
    if missing:  # named only by a billing file, and merged away since: the name it had then
        store.insert_parties([{"name": name, "kind": "company"} for name in missing])
        ids = store.party_ids()
    keys = {key: aid for key, (aid, _) in store.agreement_index(sorted(set(charges["agreement"].dropna()))).items()}
    rows = charges.assign(
        payer_id=charges["payer"].map(ids).astype(np.int64),
        payee_id=charges["payee"].map(ids).astype(np.int64),
        agreement_id=pd.array([keys.get(key) for key in charges["agreement"]], dtype="Int64"),
    ).drop(columns=["payer", "payee", "agreement"])
    store.insert_frame(Consumption, rows)
