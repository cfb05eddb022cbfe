"""Use cases that read schedules and agreements."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.agreements import Profile
from ledger.domain.calendars import FiscalCalendar, Grain
from ledger.domain.chains import top_of
from ledger.errors import NotFoundError
from ledger.schedule.schedules import schedule_frame

FiscalChoice = Literal["payer", "payee"] | FiscalCalendar


@dataclass(frozen=True)
class ScheduleRequest:
    """Which agreements, at which grain. Party filters include the party's subsidiaries."""

    grain: Grain = Grain.YEAR
    agreements: Sequence[str] = ()
    payer: str | None = None
    payee: str | None = None
    fiscal_calendar: FiscalChoice = "payer"


def schedule(uow_factory: UnitOfWorkFactory, request: ScheduleRequest) -> pd.DataFrame:
    """Schedule lines (agreement_id, period, period_start, period_end, amount_minor, currency)."""
    with uow_factory() as uow:
        store = uow.store
        parties = store.parties()
        frame = store.agreements_frame(
            keys=list(request.agreements) or None,
            payer_ids=party_and_subsidiaries(parties, request.payer, "payer"),
            payee_ids=party_and_subsidiaries(parties, request.payee, "payee"),
        )
        refuse_unknown_agreements(store, request.agreements, frame["agreement_id"])
        slices = store.slices_frame(frame.loc[frame["profile"] != Profile.STRAIGHT_LINE.value, "id"].tolist())
    calendars = party_calendars(frame, request.fiscal_calendar) if request.grain is Grain.FISCAL_YEAR else None
    return schedule_frame(frame, slices, request.grain, calendars)


def party_calendars(frame: pd.DataFrame, choice: FiscalChoice) -> list[FiscalCalendar]:
    if isinstance(choice, FiscalCalendar):
        return [choice] * len(frame)
    months = frame[f"{choice}_fy_end_month"].tolist()
    days = frame[f"{choice}_fy_week_day"].tolist()
    rules = frame[f"{choice}_fy_week_rule"].tolist()
    return [
        FiscalCalendar(int(m), None if _missing(d) else int(d), None if _missing(r) else r)
        for m, d, r in zip(months, days, rules, strict=True)
    ]


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def party_and_subsidiaries(parties: pd.DataFrame, name: str | None, role: str) -> list[int] | None:
    if name is None:
        return None
    matches = parties.loc[parties["name"] == name, "id"]
    if matches.empty:
        raise NotFoundError(_unknown(role, name, parties["name"].tolist()))
    children: dict[int, list[int]] = {}
    for pid, parent in zip(parties["id"], parties["parent_id"], strict=True):
        if not _missing(parent):
            children.setdefault(int(parent), []).append(int(pid))
    found, stack = [], [int(matches.iloc[0])]
    while stack:
        current = stack.pop()
        found.append(current)
        stack += children.get(current, [])
    return found


def party_groups(parties: pd.DataFrame) -> dict[str, str]:
    """Each party's ultimate parent company (itself when it has no parent)."""
    name = dict(zip(parties["id"], parties["name"], strict=True))
    parent = {pid: int(p) for pid, p in zip(parties["id"], parties["parent_id"], strict=True) if not _missing(p)}
    return {name[pid]: name[top_of(parent, pid)] for pid in name}


def refuse_unknown_agreements(store: Store, wanted: Sequence[str], found: Iterable[str]) -> None:
    """NotFoundError naming the first of `wanted` that is not among the agreements `found` (with close keys)."""
    missing = sorted(set(wanted) - set(found))
    if missing:
        unknown_agreement(missing[0], store.agreement_keys())


def unknown_agreement(key: str, known: Iterable[str]) -> None:
    raise NotFoundError(_unknown("agreement", key, known))


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"no {what} named {name!r} in the ledger{hint}"


def agreement_records(uow_factory: UnitOfWorkFactory, keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every agreement (or those of `keys`) as an import file's entry that rebuilds it exactly, by key."""
    with uow_factory() as uow:
        batch = uow.store.agreement_batch(list(keys) if keys else None)
        refuse_unknown_agreements(uow.store, keys, batch.agreements["agreement_id"])
    return batch.to_records()


def agreements(uow_factory: UnitOfWorkFactory, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Every agreement (or those of `keys`) with its parties, amount, term and profile."""
    with uow_factory() as uow:
        frame = uow.store.agreements_frame(keys=list(keys) or None)
        refuse_unknown_agreements(uow.store, keys, frame["agreement_id"])
    return frame.drop(columns=[c for c in frame.columns if c.startswith(("payer_fy", "payee_fy")) or c == "id"])
