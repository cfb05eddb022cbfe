"""Use cases that write: create the schema, import files, load the seeds."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.config import author
from ledger.db import migrate
from ledger.db.engine import lock_for_writing, writing
from ledger.db.errors import database_errors
from ledger.db.models import Agreement as AgreementTable
from ledger.db.models import (
    AgreementRelation,
    AgreementSlice,
    AgreementSource,
    ChipDetail,
    CommitmentMinimum,
    Valuation,
)
from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.agreements import Kind, Party, PartyKind
from ledger.domain.calendars import Grain
from ledger.domain.history import Entity, Provenance
from ledger.domain.parties import Declaration, KnownParty, parent_problems, resolve_aliases
from ledger.errors import InputError, InputProblem, NotFoundError
from ledger.io.batch import BATCH_COLUMNS, AgreementBatch
from ledger.io.readers import LedgerFile, read_ledger_file
from ledger.io.records import Located
from ledger.perf import no_cyclic_gc
from ledger.progress import Progress, silent
from ledger.schedule.kernel import amortize
from ledger.schedule.schedules import has_schedule, periods_for, slice_arrays
from ledger.services.history import (
    HistoryWriter,
    backfill,
    party_records,
    records_at,
    valuation_records,
)
from ledger.services.limits import refuse_past_book_limit
from ledger.services.reconciliation import refresh_adjustments
from ledger.services.spend import refresh_drawdowns


@dataclass
class ImportSummary:
    """What an import or seed changed."""

    files: list[str] = field(default_factory=list)
    parties_created: int = 0
    parties_updated: int = 0
    agreements_created: int = 0
    agreements_updated: int = 0
    agreements_unchanged: int = 0
    valuations_created: int = 0
    valuations_updated: int = 0
    valuations_unchanged: int = 0
    schedule_lines_written: int = 0
    adjustments_written: int = 0

    def describe(self) -> str:
        return (
            f"agreements: {self.agreements_created} new, {self.agreements_updated} updated, "
            f"{self.agreements_unchanged} unchanged; valuations: {self.valuations_created} new, "
            f"{self.valuations_updated} updated, {self.valuations_unchanged} unchanged; parties: "
            f"{self.parties_created} new, {self.parties_updated} updated; "
            f"schedule lines written: {self.schedule_lines_written}"
            + ("; already loaded: nothing changed" if self.unchanged else "")
        )

    @property
    def unchanged(self) -> bool:
        """True when every record was already in the ledger as given (an import run twice)."""
        written = self.agreements_created + self.agreements_updated + self.valuations_created
        return not (written + self.valuations_updated + self.parties_created + self.parties_updated)


# -- schema ---------------------------------------------------------------------


def init_schema(engine: Engine, provenance: Provenance | None = None) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision, and give every record stored before the
    history began its first history entry, in one transaction; returns (revision before, revision after)."""
    url = engine.url.render_as_string(hide_password=False)
    with database_errors(url), writing(engine.connect()) as connection, connection.begin():
        lock_for_writing(connection)
        before = migrate.current_revision(connection)
        migrate.upgrade(connection)
        with Session(bind=connection) as session:
            store = Store(session)
            history = HistoryWriter(store, provenance or Provenance(author()))
            backfill(store, history)
            history.flush()
            session.flush()
        return before, migrate.head_revision()


def refresh_derived(uow_factory: UnitOfWorkFactory) -> None:
    """Recompute what the ledger derives from its records (adjustments, draw-downs), in one transaction."""
    with uow_factory(write=True) as uow:
        refresh_derived_in(uow.store)
        uow.commit()


def refresh_derived_in(store: Store) -> tuple[int, int]:
    """`refresh_derived` inside the caller's unit of work: (adjustments written, draw-downs written)."""
    return refresh_adjustments(store), refresh_drawdowns(store)


# -- import and seed ------------------------------------------------------------


def seed_dir() -> Path:
    """The bundled seeds: inside the installed package, or `seeds/` of a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_seeds", package.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    raise NotFoundError(f"the bundled seeds are missing (looked beside {package})")


def seed_files() -> list[Path]:
    return sorted(seed_dir().glob("*.yaml"))


PARTIES = "00_parties.yaml"
FOUNDING_EXAMPLE = "10_founding_example.yaml"


def founding_example_keys() -> list[str]:
    """The agreement ids of the founding example (the news report the ledger was built around)."""
    return read_ledger_file(seed_dir() / FOUNDING_EXAMPLE).batch.agreements["agreement_id"].tolist()


def import_files(
    uow_factory: UnitOfWorkFactory,
    paths: Sequence[Path | str],
    progress: Progress = silent,
    provenance: Provenance | None = None,
) -> ImportSummary:
    """Import files in order, all in one transaction: any bad file and nothing is written. Every record
    created or changed gets its history entry (who, why, which file, line and SHA-256, what changed)."""
    summary = ImportSummary()
    with uow_factory(write=True) as uow, no_cyclic_gc():
        history = HistoryWriter(uow.store, provenance or Provenance(author()))
        for path in paths:
            data = read_ledger_file(path, progress)
            store_file(uow.store, data, summary, progress, history)
            history.flush()  # written now, so that a later file of this import sees these as the records' past
            summary.files.append(str(path))
        if summary.agreements_created or summary.agreements_updated:
            refuse_past_book_limit(uow.store, "agreement")
            progress("Consolidating relations", None)
            summary.adjustments_written = refresh_adjustments(uow.store)
        changed = summary.agreements_created or summary.agreements_updated
        if changed or summary.parties_created or summary.parties_updated:  # commitments or party groups changed
            refresh_drawdowns(uow.store)
        uow.commit()
    return summary


def seed(
    uow_factory: UnitOfWorkFactory,
    progress: Progress = silent,
    *,
    founding_example_only: bool = False,
    provenance: Provenance | None = None,
) -> ImportSummary:
    """Load the bundled seeds (founding example and public deals). Loading twice changes nothing."""
    files = seed_files()
    if founding_example_only:
        files = [f for f in files if f.name in (PARTIES, FOUNDING_EXAMPLE)]
    return import_files(uow_factory, files, progress, provenance)


def store_file(
    store: Store, data: LedgerFile, summary: ImportSummary, progress: Progress, history: HistoryWriter
) -> None:
    parties_before = party_records(store)
    valuation_keys = [v.value.key for v in data.valuations]
    valuations_before = valuation_records(store, valuation_keys) if valuation_keys else {}
    party_ids = _store_parties(store, data, summary)
    _store_agreements(store, data, party_ids, summary, progress, history)
    _store_valuations(store, data, party_ids, summary)
    file, sha = _source_of(data)
    party_lines = {p.value.name: p.line for p in data.parties}
    after = party_records(store)
    history.differences(Entity.PARTY, parties_before, after, source_file=file, sha256=sha, lines=party_lines)
    if valuation_keys:
        after = valuation_records(store, valuation_keys)
        lines = {v.value.key: v.line for v in data.valuations}
        history.differences(Entity.VALUATION, valuations_before, after, source_file=file, sha256=sha, lines=lines)


def _source_of(data: LedgerFile) -> tuple[str | None, str | None]:
    """The file and SHA-256 the history names as a record's source: none for records replayed from the
    history itself (a restore, a past book), which come from no file."""
    return (data.path, data.sha256) if data.sha256 is not None else (None, None)


def _store_parties(store: Store, data: LedgerFile, summary: ImportSummary) -> dict[str, int]:
    """Create every party the file names; declared parties (YAML) also get their kind, parent and calendar."""
    existing: dict[str, dict[str, Any]] = {
        str(row["name"]): {str(k): v for k, v in row.items()} for row in store.parties().to_dict("records")
    }
    declared = {located.value.name: located for located in data.parties}
    aliases = _check_parties(store, data, declared, existing)
    agreements = data.batch.agreements
    referenced = set(agreements["payer"]) | set(agreements["payee"])
    referenced |= {v.value.party for v in data.valuations}
    referenced = {aliases.get(name, name) for name in referenced}

    to_create = sorted((set(declared) | referenced) - set(existing))
    # A party named only as the payer of a funding round is that round's investor group.
    groups = set(agreements.loc[agreements["kind"] == Kind.FUNDING_ROUND.value, "payer"])
    store.insert_parties(
        [
            _party_columns(declared[n].value)
            if n in declared
            else {"name": n, "kind": (PartyKind.INVESTOR_GROUP if n in groups else PartyKind.COMPANY).value}
            for n in to_create
        ]
    )
    summary.parties_created += len(to_create)
    ids = store.party_ids()

    updates = []
    for name, located in declared.items():
        parent = located.value.parent
        wanted = {**_party_columns(located.value), "parent_id": ids[parent] if parent else None}
        before = existing.get(name)
        if before is None:
            if wanted["parent_id"] is not None:  # created above without its parent
                updates.append({"party_id": ids[name], "parent_id": wanted["parent_id"]})
        elif not all(_same(before[column], value) for column, value in wanted.items()):
            updates.append({"party_id": ids[name], **wanted})
            summary.parties_updated += 1
    for row in updates:  # rows of different shapes: one statement each (parties are few)
        store.update_parties([row])
    if declared:
        store.replace_party_aliases(
            [ids[name] for name in declared],
            [{"alias": a, "party_id": ids[name]} for name, located in declared.items() for a in located.value.aliases],
        )
    ids.update({alias: ids[name] for alias, name in aliases.items()})
    _check_distinct_parties(data, ids)
    return ids


def _check_parties(
    store: Store, data: LedgerFile, declared: dict[str, Located[Party]], existing: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """The file's parties against the ledger's (ledger.domain.parties): refused as one InputError, or the
    aliases as they will be after the file (alias -> party name)."""
    names_by_id = {row["id"]: name for name, row in existing.items()}
    known = {
        name: KnownParty(
            name, row["kind"], None if _same(row["parent_id"], None) else names_by_id.get(row["parent_id"]),
            None if _same(row["notes"], None) else row["notes"],
        )
        for name, row in existing.items()
    }  # fmt: skip
    declarations = {
        name: Declaration(located.value, located.line_of("parent"), located.line_of("aliases"))
        for name, located in declared.items()
    }
    problems = parent_problems(data.path, declarations, known)
    if problems:
        raise InputError(problems)
    aliases, problems = resolve_aliases(data.path, declarations, known, store.party_aliases())
    if problems:
        raise InputError(problems)
    return aliases


def _check_distinct_parties(data: LedgerFile, ids: dict[str, int]) -> None:
    """A payer and payee that are one party under two names (an alias) are refused like the same name."""
    frame = data.batch.agreements
    same = frame["payer"].map(ids).to_numpy() == frame["payee"].map(ids).to_numpy()
    problems = [
        InputProblem(data.path, int(line), "payee", payee, "a payee different from the payer (an alias of it)")
        for line, payee in zip(frame.loc[same, "line"], frame.loc[same, "payee"], strict=True)
    ]
    if problems:
        raise InputError(problems[:20])


def _party_columns(party: Party) -> dict[str, Any]:
    calendar = party.fiscal_calendar
    return {
        "name": party.name,
        "kind": party.kind.value,
        "fiscal_year_end_month": calendar.end_month,
        "fiscal_week_day": calendar.week_day,
        "fiscal_week_rule": calendar.week_rule,
        "notes": party.notes,
    }


def _same(stored: Any, given: Any) -> bool:
    if stored is None or pd.isna(stored):
        return given is None
    return bool(stored == given)


def fingerprint(value: object) -> str:
    """A stable digest of a domain value (its repr names every field): unchanged input -> nothing rewritten."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _store_agreements(
    store: Store,
    data: LedgerFile,
    party_ids: dict[str, int],
    summary: ImportSummary,
    progress: Progress,
    history: HistoryWriter,
) -> None:
    batch = data.batch
    if not len(batch):
        return
    frame = batch.agreements
    keys = frame["agreement_id"].tolist()
    existing = store.agreement_index(keys)
    digests = batch.digests()
    is_new = np.array([key not in existing for key in keys])
    is_changed = np.array(
        [key in existing and existing[key][1] != digest for key, digest in zip(keys, digests, strict=True)]
    )
    summary.agreements_unchanged += int((~is_new & ~is_changed).sum())
    _check_relation_targets(store, data, set(keys))
    if not is_new.any() and not is_changed.any():
        return

    advance = progress("Storing agreements", int(is_new.sum() + is_changed.sum()))
    rows = _agreement_rows(frame, party_ids, digests)
    store.insert_frame(AgreementTable, rows[is_new])
    changed_ids = [existing[key][0] for key in frame.loc[is_changed, "agreement_id"]]
    store.update_agreements(
        [{"agreement_id": aid, **row} for aid, row in zip(changed_ids, store.records(rows[is_changed]), strict=True)]
    )
    advance(int(is_new.sum() + is_changed.sum()))
    summary.agreements_created += int(is_new.sum())
    summary.agreements_updated += int(is_changed.sum())

    written = frame.loc[is_new | is_changed, "agreement_id"].tolist()
    ids = {key: aid for key, (aid, _) in store.agreement_index(written).items()}
    store.delete_agreement_details(changed_ids)
    _store_agreement_details(store, batch, set(written), ids)
    summary.schedule_lines_written += _store_month_lines(store, batch, set(written), ids, progress)

    progress("Recording history", None)
    before = records_at(store, Entity.AGREEMENT, keys=frame.loc[is_changed, "agreement_id"].tolist())
    lines = dict(zip(frame["agreement_id"], frame["line"].astype(int), strict=True))
    after = {str(r["agreement_id"]): r for r in _as_stored(store, batch.only(set(written)), party_ids).to_records()}
    file, sha = _source_of(data)
    history.differences(Entity.AGREEMENT, before, after, source_file=file, sha256=sha, lines=lines if file else None)


def _as_stored(store: Store, batch: AgreementBatch, party_ids: dict[str, int]) -> AgreementBatch:
    """The batch as the ledger has just stored it, without reading it back (a second of a 100,000-agreement
    import): parties by their names (not the aliases a file may use), and each source page with the title
    and date the ledger keeps for it (the first it was given). Store.agreement_batch would read the same;
    a test holds them equal."""
    names = {pid: name for name, pid in store.party_ids().items()}
    agreements = batch.agreements.assign(
        payer=batch.agreements["payer"].map(party_ids).map(names),
        payee=batch.agreements["payee"].map(party_ids).map(names),
    )
    sources = batch.sources
    if len(sources):
        kept = store.source_details(sorted(set(sources["url"]))).set_index("url")
        sources = sources.assign(
            title=sources["url"].map(kept["title"]).astype(object),
            published_on=sources["url"].map(kept["published_on"]),
        )
        sources["title"] = sources["title"].where(sources["title"].notna(), None)
    return dataclasses.replace(batch, agreements=agreements, sources=sources)


def _agreement_rows(frame: pd.DataFrame, party_ids: dict[str, int], digests: np.ndarray) -> pd.DataFrame:
    """The batch's agreements as `agreement` table rows."""
    rows = frame[BATCH_COLUMNS].rename(columns={"agreement_id": "key"})
    rows = rows.assign(
        payer_id=frame["payer"].map(party_ids).astype(np.int64),
        payee_id=frame["payee"].map(party_ids).astype(np.int64),
        content_hash=digests,
    )
    return rows.drop(columns=["payer", "payee"])


def _check_relation_targets(store: Store, data: LedgerFile, in_file: set[str]) -> None:
    relations = data.batch.relations
    wanted = set(relations["related_id"]) - in_file
    known = set(store.agreement_index(sorted(wanted)))
    problems = [
        InputProblem(
            data.path, int(line), "relation_to", target, "an agreement_id in this file or already in the ledger"
        )
        for target, line in zip(relations["related_id"], relations["line"], strict=True)
        if target not in in_file and target not in known
    ]
    if problems:
        raise InputError(problems)


def _store_agreement_details(store: Store, batch: AgreementBatch, written: set[str], ids: dict[str, int]) -> None:
    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        keep = frame[frame["agreement_id"].isin(written)]
        return keep.assign(agreement_id=keep["agreement_id"].map(ids).astype(np.int64))

    store.insert_frame(AgreementSlice, mine(batch.slices))
    relations = mine(batch.relations)
    related = {key: aid for key, (aid, _) in store.agreement_index(sorted(set(relations["related_id"]))).items()}
    store.insert_frame(
        AgreementRelation, relations.assign(related_id=relations["related_id"].map(related)).drop(columns="line")
    )
    sources = mine(batch.sources)
    source_ids = store.source_ids(zip(sources["url"], sources["title"], sources["published_on"].dt.date, strict=True))
    links = sources.assign(source_id=sources["url"].map(source_ids))[["agreement_id", "source_id"]].drop_duplicates()
    store.insert_frame(AgreementSource, links)
    store.insert_frame(ChipDetail, mine(batch.capacities))
    store.insert_frame(CommitmentMinimum, mine(batch.minimums))


def _store_month_lines(
    store: Store, batch: AgreementBatch, written: set[str], ids: dict[str, int], progress: Progress
) -> int:
    """Amortize the written agreements by month and bulk-write the lines (the stored schedule)."""
    frame = batch.agreements
    frame = frame[frame["agreement_id"].isin(written).to_numpy() & has_schedule(frame)].reset_index(drop=True)
    if frame.empty:
        return 0
    progress("Amortizing by month", len(frame))
    pieces = slice_arrays(frame, batch.slices)
    periods, calendar = periods_for(Grain.MONTH, frame, pieces)
    lines = amortize(pieces, periods, calendar)
    owner_ids = np.asarray(frame["agreement_id"].map(ids).to_numpy(dtype=np.int64), dtype=np.int64)
    advance = progress("Writing schedule lines", len(lines))
    written_lines = store.write_schedule_lines(owner_ids[lines.owner], periods.start[lines.period], lines.amount)
    advance(written_lines)
    return written_lines


def _store_valuations(store: Store, data: LedgerFile, party_ids: dict[str, int], summary: ImportSummary) -> None:
    if not data.valuations:
        return
    rounds = {v.value.round_key for v in data.valuations if v.value.round_key}
    round_ids = {key: aid for key, (aid, _) in store.agreement_index(sorted(rounds)).items()}
    problems = [
        InputProblem(
            data.path,
            v.line_of("round"),
            "round",
            v.value.round_key,
            "the agreement_id of a funding round in the ledger",
        )
        for v in data.valuations
        if v.value.round_key and v.value.round_key not in round_ids
    ]
    if problems:
        raise InputError(problems)
    by_key = {v.value.key: v.value for v in data.valuations}
    existing = store.valuation_index(list(by_key))
    rows = {}
    for key, valuation in by_key.items():
        digest = fingerprint(valuation)
        if key in existing and existing[key][1] == digest:
            summary.valuations_unchanged += 1
            continue
        rows[key] = {
            "key": key,
            "party_id": party_ids[valuation.party],
            "kind": valuation.kind.value,
            "amount_minor": valuation.amount_minor,
            "currency": valuation.currency,
            "as_of": valuation.as_of,
            "round_id": round_ids.get(valuation.round_key or ""),
            "amount_qualifier": valuation.qualifier.value,
            "confidence": valuation.confidence.value if valuation.confidence else None,
            "notes": valuation.notes,
            "content_hash": digest,
        }
    new = [k for k in rows if k not in existing]
    changed = [k for k in rows if k in existing]
    store.insert_rows(Valuation, [rows[k] for k in new])
    store.update_valuations([{"valuation_id": existing[k][0], **rows[k]} for k in changed])
    summary.valuations_created += len(new)
    summary.valuations_updated += len(changed)
    ids = {key: vid for key, (vid, _) in store.valuation_index(list(rows)).items()}
    sources = store.source_ids((s.url, s.title, s.published_on) for k in rows for s in by_key[k].sources)
    links = [{"valuation_id": ids[k], "source_id": sources[s.url]} for k in rows for s in by_key[k].sources]
    store.replace_valuation_sources([ids[k] for k in rows], links)
