"""Use cases that write: create the schema, import files, load the seeds."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ledger.db import migrate
from ledger.db.models import AgreementRelation, AgreementSlice, AgreementSource, ChipDetail, Valuation
from ledger.db.repository import Store
from ledger.db.uow import UnitOfWork
from ledger.domain.agreements import Agreement, Kind, Party, PartyKind, Profile
from ledger.domain.calendars import Grain
from ledger.domain.dates import ONE_DAY
from ledger.errors import InputError, InputProblem, NotFoundError
from ledger.io.readers import LedgerFile, read_ledger_file
from ledger.io.records import Located
from ledger.perf import no_cyclic_gc
from ledger.progress import Progress, silent
from ledger.schedule.kernel import amortize
from ledger.schedule.schedules import periods_for, slice_arrays
from ledger.services.reconciliation import refresh_adjustments

UnitOfWorkFactory = Callable[[], UnitOfWork]


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
        )


# -- schema ---------------------------------------------------------------------


def init_schema(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision; returns (revision before, revision after)."""
    with engine.begin() as connection:
        before = migrate.current_revision(connection)
        migrate.upgrade(connection)
        return before, migrate.head_revision()


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


FOUNDING_EXAMPLE = "10_founding_example.yaml"


def founding_example_keys() -> list[str]:
    """The agreement ids of the founding example (the news report the ledger was built around)."""
    return [located.value.key for located in read_ledger_file(seed_dir() / FOUNDING_EXAMPLE).agreements]


def import_files(
    uow_factory: UnitOfWorkFactory, paths: Sequence[Path | str], progress: Progress = silent
) -> ImportSummary:
    """Import files in order, all in one transaction: any bad file and nothing is written."""
    summary = ImportSummary()
    with uow_factory() as uow, no_cyclic_gc():
        for path in paths:
            data = read_ledger_file(path, progress)
            _store_file(uow.store, data, summary, progress)
            summary.files.append(str(path))
        if summary.agreements_created or summary.agreements_updated:
            progress("Consolidating relations", None)
            summary.adjustments_written = refresh_adjustments(uow.store)
        uow.commit()
    return summary


def seed(uow_factory: UnitOfWorkFactory, progress: Progress = silent) -> ImportSummary:
    """Load the bundled seeds (founding example and public deals). Loading twice changes nothing."""
    return import_files(uow_factory, seed_files(), progress)


def _store_file(store: Store, data: LedgerFile, summary: ImportSummary, progress: Progress) -> None:
    party_ids = _store_parties(store, data, summary)
    _store_agreements(store, data, party_ids, summary, progress)
    _store_valuations(store, data, party_ids, summary)


def _store_parties(store: Store, data: LedgerFile, summary: ImportSummary) -> dict[str, int]:
    """Create every party the file names; declared parties (YAML) also get their kind, parent and calendar."""
    existing: dict[str, dict[str, Any]] = {
        str(row["name"]): {str(k): v for k, v in row.items()} for row in store.parties().to_dict("records")
    }
    declared = {located.value.name: located for located in data.parties}
    _check_parents(data, declared, existing)
    referenced = {a.value.payer for a in data.agreements} | {a.value.payee for a in data.agreements}
    referenced |= {v.value.party for v in data.valuations}

    to_create = sorted((set(declared) | referenced) - set(existing))
    # A party named only as the payer of a funding round is that round's investor group.
    groups = {a.value.payer for a in data.agreements if a.value.kind is Kind.FUNDING_ROUND}
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
    return ids


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


def _check_parents(data: LedgerFile, declared: dict[str, Located[Party]], existing: dict[str, dict[str, Any]]) -> None:
    """Parents must be known parties, and no party may end up its own ancestor."""
    names_by_id = {row["id"]: name for name, row in existing.items()}
    parent_of = {name: names_by_id.get(row["parent_id"]) for name, row in existing.items()}
    parent_of.update({name: located.value.parent for name, located in declared.items()})
    problems = []
    for name, located in declared.items():
        parent = located.value.parent
        if parent is not None and parent not in declared and parent not in existing:
            expected = "a party declared in this file or already in the ledger"
            problems.append(InputProblem(data.path, located.line_of("parent"), "parent", parent, expected))
            continue
        seen, current = {name}, parent
        while current is not None and current not in seen:
            seen.add(current)
            current = parent_of.get(current)
        if current is not None:
            expected = f"a parent that does not lead back to {name}"
            problems.append(InputProblem(data.path, located.line_of("parent"), "parent", parent, expected))
    if problems:
        raise InputError(problems)


def fingerprint(value: object) -> str:
    """A stable digest of a domain value (its repr names every field): unchanged input -> nothing rewritten."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def agreement_digest(a: Agreement) -> str:
    """`fingerprint` of an agreement, from its fields listed by hand: five times faster than its repr,
    which matters at 100,000 agreements. A unit test checks that every field counts."""
    capacity = a.capacity and (a.capacity.quantity, a.capacity.unit, a.capacity.chip_family)
    content = (
        a.key, a.kind.value, a.payer, a.payee, a.amount_minor, a.currency, a.term.start, a.term.end, a.term_months,
        a.profile.value, a.basis.value, a.qualifier.value, a.status.value, a.confidence, a.resource,
        a.announced_on, a.participants, a.notes, a.assumptions, capacity,
        tuple((s.start, s.end, s.amount_minor, s.weight) for s in a.slices),
        tuple((r.kind.value, r.target) for r in a.relations),
        tuple((s.url, s.title, s.published_on) for s in a.sources),
    )  # fmt: skip
    return hashlib.sha256(repr(content).encode()).hexdigest()


def _store_agreements(
    store: Store, data: LedgerFile, party_ids: dict[str, int], summary: ImportSummary, progress: Progress
) -> None:
    if not data.agreements:
        return
    located_by_key = {located.value.key: located for located in data.agreements}
    existing = store.agreement_index(list(located_by_key))
    digests = {key: agreement_digest(located.value) for key, located in located_by_key.items()}
    new = [key for key in located_by_key if key not in existing]
    changed = [key for key in located_by_key if key in existing and existing[key][1] != digests[key]]
    summary.agreements_unchanged += len(located_by_key) - len(new) - len(changed)
    _check_relation_targets(store, data, set(located_by_key))
    if not new and not changed:
        return

    advance = progress("Storing agreements", len(new) + len(changed))
    store.insert_agreements([_agreement_row(located_by_key[k].value, party_ids, digests[k]) for k in new])
    store.update_agreements(
        [
            {"agreement_id": existing[k][0], **_agreement_row(located_by_key[k].value, party_ids, digests[k])}
            for k in changed
        ]
    )
    advance(len(new) + len(changed))
    summary.agreements_created += len(new)
    summary.agreements_updated += len(changed)

    written = new + changed
    ids = {key: aid for key, (aid, _) in store.agreement_index(written).items()}
    store.delete_agreement_details([ids[k] for k in changed])
    agreements = [located_by_key[k].value for k in written]
    _store_agreement_details(store, agreements, ids)
    summary.schedule_lines_written += _store_month_lines(store, agreements, ids, progress)


def _agreement_row(a: Agreement, party_ids: dict[str, int], digest: str) -> dict[str, Any]:
    return {
        "key": a.key,
        "kind": a.kind.value,
        "payer_id": party_ids[a.payer],
        "payee_id": party_ids[a.payee],
        "resource": a.resource,
        "amount_minor": a.amount_minor,
        "currency": a.currency,
        "amount_qualifier": a.qualifier.value,
        "start_date": a.term.start,
        "end_date": a.term.last_day,
        "term_months": a.term_months,
        "profile": a.profile.value,
        "basis": a.basis.value,
        "status": a.status.value,
        "confidence": a.confidence.value if a.confidence else None,
        "announced_on": a.announced_on,
        "participants": a.participants,
        "notes": a.notes,
        "assumptions": a.assumptions,
        "content_hash": digest,
    }


def _check_relation_targets(store: Store, data: LedgerFile, in_file: set[str]) -> None:
    wanted = {r.target for located in data.agreements for r in located.value.relations} - in_file
    known = set(store.agreement_index(sorted(wanted)))
    problems = [
        InputProblem(
            data.path,
            located.line_of("relation_to") if "relation_to" in located.field_lines else located.line_of("relations"),
            "relation_to",
            relation.target,
            "an agreement_id in this file or already in the ledger",
        )
        for located in data.agreements
        for relation in located.value.relations
        if relation.target not in in_file and relation.target not in known
    ]
    if problems:
        raise InputError(problems)


def _store_agreement_details(store: Store, agreements: Sequence[Agreement], ids: dict[str, int]) -> None:
    slices, relations, capacities, links = [], [], [], []
    sources = store.source_ids((s.url, s.title, s.published_on) for a in agreements for s in a.sources)
    targets = {r.target for a in agreements for r in a.relations}
    related = {key: aid for key, (aid, _) in store.agreement_index(sorted(targets)).items()}
    for a in agreements:
        aid = ids[a.key]
        slices += [
            {
                "agreement_id": aid,
                "seq": i,
                "start_date": s.start,
                "end_date": s.end - ONE_DAY,
                "amount_minor": s.amount_minor,
                "weight": s.weight,
            }
            for i, s in enumerate(sorted(a.slices, key=lambda s: s.start), start=1)
        ]
        relations += [{"agreement_id": aid, "related_id": related[r.target], "kind": r.kind.value} for r in a.relations]
        links += [{"agreement_id": aid, "source_id": sources[s.url]} for s in a.sources]
        if a.capacity is not None:
            capacities.append(
                {
                    "agreement_id": aid,
                    "chip_family": a.capacity.chip_family,
                    "quantity": a.capacity.quantity or None,
                    "unit": a.capacity.unit or None,
                }
            )
    store.insert_rows(AgreementSlice, slices)
    store.insert_rows(AgreementRelation, relations)
    store.insert_rows(AgreementSource, links)
    store.insert_rows(ChipDetail, capacities)


def agreements_to_frames(agreements: Sequence[Agreement]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Domain agreements -> the (agreements, slices) frames the schedule functions read."""
    frame = pd.DataFrame(
        {
            "agreement_id": [a.key for a in agreements],
            "currency": [a.currency for a in agreements],
            "start_date": np.array([a.term.start for a in agreements], dtype="datetime64[D]"),
            "end_date": np.array([a.term.last_day for a in agreements], dtype="datetime64[D]"),
            "amount_minor": pd.array([a.amount_minor for a in agreements], dtype="Int64"),
            "profile": [a.profile.value for a in agreements],
            "basis": [a.basis.value for a in agreements],
        }
    )
    rows = [
        (a.key, s.start, s.end - ONE_DAY, s.amount_minor)
        for a in agreements
        if a.profile is not Profile.STRAIGHT_LINE
        for s in a.slices
    ]
    slices = pd.DataFrame(rows, columns=["agreement_id", "start_date", "end_date", "amount_minor"])
    slices["start_date"] = np.array(slices["start_date"].tolist(), dtype="datetime64[D]")
    slices["end_date"] = np.array(slices["end_date"].tolist(), dtype="datetime64[D]")
    slices["amount_minor"] = slices["amount_minor"].astype(np.int64)
    return frame, slices


def _store_month_lines(store: Store, agreements: Sequence[Agreement], ids: dict[str, int], progress: Progress) -> int:
    """Amortize the agreements by month and bulk-write the lines (the stored schedule)."""
    frame, slices = agreements_to_frames(agreements)
    frame = frame[frame["amount_minor"].notna()].reset_index(drop=True)
    if frame.empty:
        return 0
    progress("Amortizing by month", len(frame))
    pieces = slice_arrays(frame, slices)
    periods, calendar = periods_for(Grain.MONTH, frame, pieces)
    lines = amortize(pieces, periods, calendar)
    owner_ids = np.array([ids[k] for k in frame["agreement_id"]], dtype=np.int64)
    advance = progress("Writing schedule lines", len(lines))
    written = store.write_schedule_lines(owner_ids[lines.owner], periods.start[lines.period], lines.amount)
    advance(written)
    return written


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
