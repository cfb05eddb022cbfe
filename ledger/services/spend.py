"""Use cases of actual spend: ingest billing files, draw commitments down, report burn, export commitments.

Commitments are the disclosed cloud commitments and chip agreements, at
their consolidated amounts (nothing counted twice: a superseded commitment
is drawn only until its successor starts, parts of a whole are not drawn).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger.burn.drawdown import Charge, Commitment, Draw, draw_down
from ledger.burn.position import CommitmentTerms, Minimum, Position, position
from ledger.config import author
from ledger.db.models import Consumption
from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.agreements import Kind, Profile, Status, counted_statuses
from ledger.domain.history import Action, Entity, Provenance
from ledger.domain.money import format_pico, join_pico, minor_to_pico, split_pico
from ledger.domain.spend import ChargeCategory, MinimumPeriod
from ledger.errors import InputError, InputProblem
from ledger.io.charges import ChargeFile, ChargeOptions, read_charges
from ledger.progress import Progress, silent
from ledger.reconcile.consolidate import Consolidation, RelationPlan
from ledger.services.history import HistoryWriter, billing_file_record, party_records
from ledger.services.limits import refuse_past_book_limit
from ledger.services.reconciliation import consolidation_of
from ledger.services.schedules import party_groups

COMMITMENT_KINDS = (Kind.CLOUD_COMMITMENT.value, Kind.CHIP_AGREEMENT.value)


@dataclass
class IngestSummary:
    name: str
    rows: int = 0
    month_rows: int = 0
    parties_created: int = 0
    drawdowns: int = 0
    already_loaded_at: dt.datetime | None = None
    counted_by_currency: dict[str, int] | None = None  # pico units

    def describe(self) -> str:
        if self.already_loaded_at is not None:
            return f"{self.name}: already ingested on {self.already_loaded_at:%Y-%m-%d %H:%M}; nothing changed"
        counted = ", ".join(f"{format_pico(v, c)} {c}" for c, v in sorted((self.counted_by_currency or {}).items()))
        return (
            f"ingested {self.name}: {self.rows} charges in {self.month_rows} month sums"
            f" (counted usage: {counted or 'none'}); parties created: {self.parties_created};"
            f" draw-downs: {self.drawdowns}"
        )


def ingest(
    uow_factory: UnitOfWorkFactory,
    path: Path | str,
    options: ChargeOptions,
    progress: Progress = silent,
    provenance: Provenance | None = None,
) -> IngestSummary:
    """Load a billing file in one transaction; the same content a second time changes nothing (unless it
    was withdrawn by `uningest`: then it is loaded again)."""
    with uow_factory() as uow:
        known = frozenset(uow.store.agreement_keys())
    charges = read_charges(path, dataclasses.replace(options, agreements=known), progress)
    summary = IngestSummary(str(path), charges.rows, len(charges.months))
    with uow_factory(write=True) as uow:
        store = uow.store
        if frozenset(store.agreement_keys()) != known:  # a writer changed the agreements meanwhile: read again
            known = frozenset(store.agreement_keys())
            charges = read_charges(path, dataclasses.replace(options, agreements=known), progress)
        before = store.ingested(charges.sha256)
        if before is not None and before[2] is None:
            summary.already_loaded_at = before[1]
            return summary
        history = HistoryWriter(store, provenance or Provenance(author()))
        if before is not None:  # withdrawn earlier: its old rows give way to this load
            store.delete_ingest_file(before[0])
        parties_before = party_records(store)
        summary.parties_created = _create_parties(store, charges.months)
        row = {
            "sha256": charges.sha256,
            "name": Path(path).name,
            "format": options.format,
            "rows": charges.rows,
            "counting_rule": options.rule.describe(),
        }
        ingest_id = store.insert_ingest_file(row)
        store.insert_frame(Consumption, _consumption_rows(store, charges, ingest_id))
        refuse_past_book_limit(store, "consumption")
        progress("Drawing commitments down", None)
        summary.drawdowns = refresh_drawdowns(store)
        history.differences(
            Entity.PARTY, parties_before, party_records(store), source_file=str(path), sha256=charges.sha256
        )
        history.entry(
            Entity.BILLING_FILE, charges.sha256, Action.INGEST, billing_file_record(row),
            source_file=str(path), sha256=charges.sha256,
        )  # fmt: skip
        history.flush()
        uow.commit()
    counted = charges.months[charges.months["counts"] == 1]
    summary.counted_by_currency = {
        str(c): sum(join_pico(int(m), int(s), str(c)) for m, s in zip(g["minor"], g["sub"], strict=True))
        for c, g in counted.groupby("currency")
    }
    return summary


def _create_parties(store: Store, months: pd.DataFrame) -> int:
    """Create the parties the file names that are neither a party nor an alias of one."""
    known = set(store.party_ids()) | set(store.party_aliases())
    new = sorted((set(months["payer"]) | set(months["payee"])) - known)
    store.insert_parties([{"name": name, "kind": "company"} for name in new])
    return len(new)


def _consumption_rows(store: Store, charges: ChargeFile, ingest_id: int) -> pd.DataFrame:
    months = charges.months
    ids = store.party_ids()
    ids.update({alias: ids[name] for alias, name in store.party_aliases().items()})
    same = months["payer"].map(ids) == months["payee"].map(ids)
    if same.any():
        first = months[same].iloc[0]
        expected = f"a payee other than the payer ({first['payee']} and {first['payer']} are one party)"
        raise InputError([InputProblem(charges.name, 0, "payee", first["payee"], expected)])
    agreement_ids = {k: aid for k, (aid, _) in store.agreement_index(sorted(set(months["agreement"].dropna()))).items()}
    return pd.DataFrame(
        {
            "ingest_id": ingest_id,
            "payer_id": months["payer"].map(ids).astype(np.int64),
            "payee_id": months["payee"].map(ids).astype(np.int64),
            "month": pd.to_datetime(months["month"]),
            "category": months["category"].astype(object),
            "counts": months["counts"].astype(np.int64),
            "resource": months["resource"].astype(object).where(months["resource"].notna(), None),
            "agreement_id": pd.array(months["agreement"].map(agreement_ids).tolist(), dtype="Int64"),
            "currency": months["currency"].astype(object),
            "charges": months["charges"].astype(np.int64),
            "amount_minor": months["minor"].astype(np.int64),
            "sub_minor": months["sub"].astype(np.int64),
        }
    )


# -- commitments and draw-down -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentBook:
    """The commitments as burn and the FOCUS export see them, from one read of the agreements."""

    counted: list[CommitmentTerms]  # consolidated amounts, schedules in contract pieces, minimums
    cancelled: list[CommitmentTerms]  # listed by burn with nothing due
    usage: list[CommitmentTerms]  # undisclosed, with a known capacity: the FOCUS export's usage commitments


def commitment_book(store: Store, *, include_proposed: bool = False) -> CommitmentBook:
    """The counted commitments at their consolidated amounts (a superseded commitment ends the day before
    its successor starts; a part of a whole, a fully restated one and a cancelled one are not counted, nor
    a proposed one unless asked for), the cancelled ones, and the undisclosed ones with a capacity."""
    everything = store.agreements_frame()
    consolidation, frame = consolidation_of(store, None, "payer", include_proposed=include_proposed, frame=everything)
    minimums = {
        k: Minimum(int(a), MinimumPeriod(p)) for k, a, p in store.minimums_frame().itertuples(index=False, name=None)
    }
    cancelled, usage = _uncounted(everything, consolidation.plan, store.capacities_frame(), include_proposed)
    return CommitmentBook(terms_of(frame, consolidation, minimums), cancelled, usage)


def commitment_terms(store: Store, *, include_proposed: bool = False) -> list[CommitmentTerms]:
    """The counted commitments (see `commitment_book`)."""
    return commitment_book(store, include_proposed=include_proposed).counted


def terms_of(frame: pd.DataFrame, consolidation: Consolidation, minimums: dict[str, Minimum]) -> list[CommitmentTerms]:
    """Pure: the commitments of `frame` (agreements), from their consolidation at the grain of contract pieces."""
    plan, lines = consolidation.plan, consolidation.lines
    frame = frame[frame["kind"].isin(COMMITMENT_KINDS) & frame["amount_minor"].notna()]
    lines = lines[lines["agreement_id"].isin(set(frame["agreement_id"]))]
    schedules: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for key, start, amount in zip(
        lines["agreement_id"], pd.to_datetime(lines["period_start"]).dt.date, lines["amount_minor"], strict=True
    ):
        schedules[key][start] = int(amount)
    out = []
    for row in _records(frame):
        schedule = schedules.get(row["agreement_id"], {})
        committed = sum(schedule.values())
        if committed <= 0:
            continue  # a part of a whole, or fully superseded: nothing of it counts
        out.append(_terms(row, schedule, committed, plan, minimums.get(row["agreement_id"])))
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _terms(
    row: dict[str, Any], schedule: dict[dt.date, int], committed: int, plan: RelationPlan, minimum: Minimum | None
) -> CommitmentTerms:
    start, last_day = pd.Timestamp(row["start_date"]).date(), pd.Timestamp(row["end_date"]).date()
    cut = plan.cut.get(row["agreement_id"])
    if cut is not None and cut[0] > start:  # superseded: drawn only until its successor starts
        last_day = min(last_day, cut[0] - dt.timedelta(days=1))
    return CommitmentTerms(
        key=row["agreement_id"],
        payer=row["payer"],
        payee=row["payee"],
        currency=row["currency"],
        start=start,
        last_day=last_day,
        committed_minor=committed,
        schedule=schedule,
        minimum=minimum,
        binding_years=row["profile"] == Profile.TRANCHES.value,
        contract_id=plan.contract_of(row["agreement_id"]),
        description=_description(row),
        status=row["status"],
        qualifier=row["amount_qualifier"],
        kind=row["kind"],
    )


def _description(row: dict[str, Any]) -> str:
    resource = row["resource"] if isinstance(row["resource"], str) else None
    return f"{row['payer']} to {row['payee']}" + (f": {resource}" if resource else "")


def _uncounted(
    frame: pd.DataFrame, plan: RelationPlan, capacities: pd.DataFrame, include_proposed: bool
) -> tuple[list[CommitmentTerms], list[CommitmentTerms]]:
    """The cancelled commitments, and the undisclosed counted ones with a capacity (in the contract of the
    commitment they are a part of, when it is between the same parties)."""
    frame = frame[frame["kind"].isin(COMMITMENT_KINDS)]
    capacity = capacities.set_index("agreement_id")
    counted = counted_statuses(include_proposed=include_proposed)
    sides = dict(zip(frame["agreement_id"], zip(frame["payer"], frame["payee"], strict=True), strict=True))
    whole = {p: w for w, parts in plan.parts.items() for p in parts if sides.get(p) == sides.get(w)}
    cancelled, usage = [], []
    for row in _records(frame):
        start, last_day = pd.Timestamp(row["start_date"]).date(), pd.Timestamp(row["end_date"]).date()
        terms = CommitmentTerms(
            key=row["agreement_id"], payer=row["payer"], payee=row["payee"], currency=row["currency"], start=start,
            last_day=last_day, committed_minor=0, contract_id=row["agreement_id"], status=row["status"],
            qualifier=row["amount_qualifier"], kind=row["kind"], description=_description(row),
        )  # fmt: skip
        if row["status"] == Status.CANCELLED.value:
            cancelled.append(terms)
        elif pd.isna(row["amount_minor"]) and row["status"] in counted and row["agreement_id"] in capacity.index:
            quantity, unit = capacity.loc[row["agreement_id"], ["quantity", "unit"]]
            if isinstance(quantity, str) and isinstance(unit, str):
                contract = whole.get(row["agreement_id"], row["agreement_id"])
                usage.append(dataclasses.replace(terms, quantity=quantity, unit=unit, contract_id=contract))
    return cancelled, usage


def refresh_drawdowns(store: Store, terms: list[CommitmentTerms] | None = None) -> int:
    """Recompute and store which commitment every counted charge draws (and whose shortfall true-ups bill)."""
    if not store.has_consumption():
        store.replace_drawdowns(pd.DataFrame())
        return 0
    terms = commitment_terms(store) if terms is None else terms
    draws, consumption = _draws(store, terms)
    ids = {k: aid for k, (aid, _) in store.agreement_index(sorted({d.agreement for d in draws})).items()}
    currency = dict(zip(consumption["id"], consumption["currency"], strict=True))
    summed: dict[tuple[int, int, str], int] = defaultdict(int)  # a charge is either drawn or a true-up
    for d in draws:
        summed[(d.charge_id, ids[d.agreement], d.kind)] += d.pico
    rows = [
        (charge_id, agreement_id, kind, *split_pico(pico, currency[charge_id]))
        for (charge_id, agreement_id, kind), pico in summed.items()
    ]
    frame = pd.DataFrame(rows, columns=["consumption_id", "agreement_id", "kind", "amount_minor", "sub_minor"])
    store.replace_drawdowns(frame)
    return len(frame)


def _draws(store: Store, terms: list[CommitmentTerms]) -> tuple[list[Draw], pd.DataFrame]:
    """Which commitment every stored charge draws (the draw-down rule), and the stored charges."""
    consumption = store.consumption_frame()
    groups = party_groups(store.parties())
    columns = ["id", "payer", "payee", "currency", "month", "amount_minor", "sub_minor", "category", "counts",
               "agreement_id"]  # fmt: skip
    charges = [
        Charge(
            id=int(cid),
            payer=groups.get(payer, payer),
            payee=groups.get(payee, payee),
            currency=cur,
            month=month,
            pico=join_pico(int(minor), int(sub), cur),
            category=ChargeCategory(category),
            counts=bool(counts),
            agreement=None if pd.isna(key) else str(key),
        )
        for cid, payer, payee, cur, month, minor, sub, category, counts, key in zip(
            *(consumption[c].tolist() for c in columns), strict=True
        )
    ]
    commitments = [
        Commitment(
            t.key,
            groups.get(t.payer, t.payer),
            groups.get(t.payee, t.payee),
            t.currency,
            t.start,
            t.last_day,
            minor_to_pico(t.committed_minor, t.currency),
        )
        for t in terms
    ]
    return draw_down(charges, commitments), consumption


# -- burn ----------------------------------------------------------------------------------------------------


def burn(
    uow_factory: UnitOfWorkFactory,
    as_of: dt.date,
    agreements: tuple[str, ...] = (),
    *,
    include_proposed: bool = False,
) -> list[Position]:
    """Every commitment's position on `as_of`. A read: the draw-down is computed here, never stored.

    Cancelled commitments are listed with nothing due; proposed ones only when asked for."""
    month: dict[int, dt.date] = {}
    draws: list[Draw] = []
    with uow_factory() as uow:
        book = commitment_book(uow.store, include_proposed=include_proposed)
        if uow.store.has_consumption():
            draws, consumption = _draws(uow.store, book.counted)
            month = dict(zip(consumption["id"], consumption["month"], strict=True))
    terms = sorted([*book.counted, *book.cancelled], key=lambda t: t.key)
    if agreements:
        known = {t.key for t in terms}
        missing = sorted(set(agreements) - known)
        if missing:
            from ledger.services.schedules import unknown_agreement

            unknown_agreement(missing[0], known)
        terms = [t for t in terms if t.key in set(agreements)]
    consumed: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    true_up: dict[str, int] = defaultdict(int)
    currency = {t.key: t.currency for t in terms}
    for draw in draws:
        if draw.agreement not in currency:
            continue
        if draw.kind == "draw":
            consumed[draw.agreement][month[draw.charge_id]] += draw.pico
        else:
            true_up[draw.agreement] += draw.pico
    return [position(t, consumed.get(t.key, {}), as_of, true_up.get(t.key, 0)) for t in terms]


def commitments(uow_factory: UnitOfWorkFactory, *, include_proposed: bool = False) -> list[CommitmentTerms]:
    """The commitments the FOCUS export lists: the counted ones as the draw-down sees them (consolidated
    amounts, terms, schedules and minimums), then the undisclosed ones with a known capacity."""
    with uow_factory() as uow:
        book = commitment_book(uow.store, include_proposed=include_proposed)
    return [*book.counted, *book.usage]
