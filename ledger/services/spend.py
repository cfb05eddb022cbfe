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

import numpy as np
import pandas as pd

from ledger.burn.drawdown import Charge, Commitment, draw_down
from ledger.burn.position import CommitmentTerms, Minimum, Position, position
from ledger.db.models import Consumption
from ledger.db.repository import Store
from ledger.domain.agreements import Kind, Profile
from ledger.domain.spend import ChargeCategory, MinimumPeriod, format_pico, join_pico, minor_to_pico, split_pico
from ledger.errors import InputError, InputProblem
from ledger.io.charges import ChargeFile, ChargeOptions, read_charges
from ledger.progress import Progress, silent
from ledger.services.reconciliation import consolidated_months
from ledger.services.schedules import UnitOfWorkFactory, party_groups

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
    uow_factory: UnitOfWorkFactory, path: Path | str, options: ChargeOptions, progress: Progress = silent
) -> IngestSummary:
    """Load a billing file in one transaction; the same content a second time changes nothing."""
    with uow_factory() as uow:
        known = frozenset(uow.store.agreement_keys())
    charges = read_charges(path, dataclasses.replace(options, agreements=known), progress)
    summary = IngestSummary(str(path), charges.rows, len(charges.months))
    with uow_factory() as uow:
        store = uow.store
        before = store.ingested(charges.sha256)
        if before is not None:
            summary.already_loaded_at = before[1]
            return summary
        summary.parties_created = _create_parties(store, charges.months)
        ingest_id = store.insert_ingest_file(
            {
                "sha256": charges.sha256,
                "name": Path(path).name,
                "format": options.format,
                "rows": charges.rows,
                "counting_rule": options.rule.describe(),
            }
        )
        store.insert_frame(Consumption, _consumption_rows(store, charges, ingest_id))
        progress("Drawing commitments down", None)
        summary.drawdowns = refresh_drawdowns(store)
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


def commitment_terms(store: Store) -> list[CommitmentTerms]:
    """The commitments at their consolidated amounts, with month schedules and minimums."""
    lines, frame = consolidated_months(store)
    frame = frame[frame["kind"].isin(COMMITMENT_KINDS) & frame["amount_minor"].notna()]
    lines = lines[lines["agreement_id"].isin(set(frame["agreement_id"]))]
    contracts = dict(zip(lines["agreement_id"], lines["contract_id"], strict=True))
    schedules: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for key, start, amount in zip(
        lines["agreement_id"], pd.to_datetime(lines["period_start"]).dt.date, lines["amount_minor"], strict=True
    ):
        schedules[key][start] = schedules[key].get(start, 0) + int(amount)
    minimums = {
        k: Minimum(int(a), MinimumPeriod(p)) for k, a, p in store.minimums_frame().itertuples(index=False, name=None)
    }
    out = []
    columns = ["agreement_id", "payer", "payee", "currency", "start_date", "end_date", "profile", "resource"]
    cells = zip(*(frame[c].tolist() for c in columns), strict=True)
    for key, payer, payee, currency, start, end, profile, resource in cells:
        schedule = schedules.get(key, {})
        committed = sum(schedule.values())
        if committed <= 0:
            continue  # a part of a whole, or fully superseded: nothing of it counts
        last_day = pd.Timestamp(end).date()
        counted_months = [m for m, v in schedule.items() if v]
        if counted_months:  # superseded: drawn only until its successor starts
            final = pd.Timestamp(max(counted_months)) + pd.offsets.MonthEnd(0)
            last_day = min(last_day, final.date())
        out.append(
            CommitmentTerms(
                key=key,
                payer=payer,
                payee=payee,
                currency=currency,
                start=pd.Timestamp(start).date(),
                last_day=last_day,
                committed_minor=committed,
                schedule=schedule,
                minimum=minimums.get(key),
                binding_years=profile == Profile.TRANCHES.value,
                contract_id=contracts.get(key, key),
                description=f"{payer} to {payee}" + (f": {resource}" if isinstance(resource, str) else ""),
            )
        )
    return out


def refresh_drawdowns(store: Store, terms: list[CommitmentTerms] | None = None) -> int:
    """Recompute and store which commitment every counted charge draws (and whose shortfall true-ups bill)."""
    if not store.has_consumption():
        store.replace_drawdowns(pd.DataFrame())
        return 0
    terms = commitment_terms(store) if terms is None else terms
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
    draws = draw_down(charges, commitments)
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


# -- burn ----------------------------------------------------------------------------------------------------


def burn(uow_factory: UnitOfWorkFactory, as_of: dt.date, agreements: tuple[str, ...] = ()) -> list[Position]:
    """Every commitment's position on `as_of` (draw-downs are refreshed first, in the same transaction)."""
    with uow_factory() as uow:
        terms = commitment_terms(uow.store)
        refresh_drawdowns(uow.store, terms)
        draws = uow.store.drawdowns_frame()
        uow.commit()
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
    for key, kind, month, minor, sub in draws.itertuples(index=False, name=None):
        if key not in currency:
            continue
        pico = join_pico(int(minor), int(sub), currency[key])
        if kind == "draw":
            consumed[key][month] += pico
        else:
            true_up[key] += pico
    return [position(t, consumed.get(t.key, {}), as_of, true_up.get(t.key, 0)) for t in terms]


def commitments(uow_factory: UnitOfWorkFactory) -> list[CommitmentTerms]:
    """The commitments as the draw-down sees them: consolidated amounts, terms, schedules and minimums."""
    with uow_factory() as uow:
        return commitment_terms(uow.store)
