"""Use cases of parties: the listing, and merging one party into another (a billing file's name into the seeded party).

A merge folds party FROM into party INTO in one transaction: every reference to FROM (agreements,
valuations, billed consumption, subsidiaries, aliases) moves to INTO, FROM's name becomes an alias
of INTO (so later files that name it mean INTO), FROM is deleted, and what the ledger derives from
parties (adjustments, draw-downs) is recomputed. FROM must be a party's name; INTO may also be
given by one of its aliases. INTO keeps its own kind, parent, fiscal calendar and notes.

Agreements keep their content hashes: a hash is of the file's text, and the names that text uses
still resolve to the same parties after the merge, so re-importing an earlier file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd

from ledger.config import author
from ledger.db.models import PartyAlias
from ledger.db.repository import Store
from ledger.db.uow import UnitOfWorkFactory
from ledger.domain.chains import parent_chain
from ledger.domain.history import Action, Entity, Provenance
from ledger.errors import DomainError, NotFoundError, shown
from ledger.io.limits import NAME
from ledger.services.history import (
    HistoryWriter,
    agreement_records,
    party_records,
    records_at,
    valuation_records,
)
from ledger.services.importing import refresh_derived_in
from ledger.services.schedules import _unknown as unknown_name  # the one 'did you mean' rule of the ledger
from ledger.services.schedules import party_groups

SHOWN = 5  # agreements named in a refusal; the rest are counted
PARTY_COLUMNS = ["name", "kind", "parent", "ultimate_parent", "aliases", "fiscal_year_end_month", "notes"]


@dataclass(frozen=True)
class MergeSummary:
    """What a merge moved from party `merged` (now an alias) to party `into`, and what it recomputed."""

    merged: str
    into: str
    agreements: int = 0  # agreements that had `merged` as payer or payee
    valuations: int = 0
    consumption: int = 0  # stored month sums of billed charges
    subsidiaries: int = 0  # parties whose parent was `merged`
    aliases: int = 0  # `merged`'s own aliases (its name, which becomes one too, is not counted)
    adjustments: int = 0  # consolidation adjustments rewritten
    drawdowns: int = 0  # draw-downs rewritten
    flows_cleared: bool = False  # the stored `ledger cycles` analysis named the old parties: dropped
    renamed: bool = False  # `into` was not a party: `merged` was renamed to it (create=True)
    dry_run: bool = False

    def describe(self) -> str:
        verb, becomes = ("would merge", "would become") if self.dry_run else ("merged", "is now")
        if self.renamed:
            tail = " (dry run: nothing written)" if self.dry_run else ""
            verb = "would rename" if self.dry_run else "renamed"
            return f"{verb} {self.merged!r} to {self.into!r}, a new name; {self.merged!r} {becomes} its alias{tail}"
        moved = (
            f"{_count(self.agreements, 'agreement')}, {_count(self.valuations, 'valuation')}, "
            f"{_count(self.consumption, 'consumption row')}, {_count(self.subsidiaries, 'subsidiary', 'subsidiaries')}"
            f" and {_count(self.aliases, 'alias', 'aliases')} moved"
        )
        flows = "; stored cycles cleared (run ledger cycles --save again)" if self.flows_cleared else ""
        tail = " (dry run: nothing written)" if self.dry_run else ""
        return (
            f"{verb} {self.merged!r} into {self.into!r}: {moved}; {self.merged!r} {becomes} an alias of {self.into!r};"
            f" draw-downs rewritten: {self.drawdowns}{flows}{tail}"
        )


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def parties(uow_factory: UnitOfWorkFactory) -> pd.DataFrame:
    """Every party by name (code point order): kind, parent, ultimate parent (what burn and cycles roll up
    to), aliases (a sorted list), fiscal year-end month and notes."""
    with uow_factory() as uow:
        frame = uow.store.parties()
        aliases = uow.store.party_aliases()
    names = dict(zip(frame["id"], frame["name"], strict=True))
    by_party: dict[str, list[str]] = {}
    for alias, name in sorted(aliases.items()):
        by_party.setdefault(name, []).append(alias)
    groups = party_groups(frame)
    out = pd.DataFrame(
        {
            "name": frame["name"],
            "kind": frame["kind"],
            "parent": pd.Series(
                [None if pd.isna(p) else names[int(p)] for p in frame["parent_id"]], index=frame.index, dtype=object
            ),  # not a list: pandas would turn its Nones into NaN
            "ultimate_parent": frame["name"].map(groups),
            "aliases": [by_party.get(name, []) for name in frame["name"]],
            "fiscal_year_end_month": frame["fiscal_year_end_month"].astype("int64"),
            "notes": frame["notes"].astype(object).where(frame["notes"].notna(), None),
        },
        columns=PARTY_COLUMNS,
    )
    # Python orders text by code point: the same order on both backends, whatever PostgreSQL's collation.
    return out.sort_values("name", kind="stable").reset_index(drop=True)


def merge_parties(
    uow_factory: UnitOfWorkFactory,
    merged: str,
    into: str,
    *,
    dry_run: bool = False,
    create: bool = False,
    provenance: Provenance | None = None,
) -> MergeSummary:
    """Fold party `merged` into party `into` in one transaction (see the module's docstring); with
    `dry_run`, check and count everything and write nothing. Refused, with nothing written, when a name
    is unknown, both name one party, `merged` is already an alias, the merge would make an agreement's
    or a billed charge's payer its payee, or `into` rolls up to `merged` (it would be its own parent).
    With `create`, an `into` that is not a party yet is made by renaming `merged` (which stays its alias):
    a billing file's `AWS` becomes `Amazon Web Services` before the seeds declare it."""
    with uow_factory(write=True) as uow:
        store = uow.store
        frame = store.parties()
        ids = dict(zip(frame["name"], frame["id"].astype(int), strict=True))
        aliases = store.party_aliases()
        history = _MergeHistory(store, provenance or Provenance(author()), merged, ids.get(merged))
        if create and into not in ids and into not in aliases and merged in ids:
            summary = _rename(store, merged, into, ids[merged], dry_run)
            if not dry_run:
                history.record(into)
                uow.commit()
            return summary
        old, new, into = _resolve(ids, aliases, merged, into)  # INTO by its name from here on
        parent_of = {int(i): int(p) for i, p in zip(frame["id"], frame["parent_id"], strict=True) if not pd.isna(p)}
        _check_no_cycle(merged, into, old, new, parent_of, {int(i): n for n, i in ids.items()})
        _check_not_self_paying(store, merged, into, old, new)

        moved = store.repoint_party(old, new)
        store.delete_party(old)
        if merged not in aliases:  # it may already be one of INTO's (a file declared it both ways)
            store.insert_rows(PartyAlias, [{"alias": merged, "party_id": new}])
        summary = MergeSummary(
            merged, into, moved["agreements"], moved["valuations"], moved["consumption"], moved["subsidiaries"],
            moved["aliases"], dry_run=dry_run,
        )  # fmt: skip
        summary = _refresh(store, summary)
        if not dry_run:
            history.record(into)
            uow.commit()
    return summary


class _MergeHistory:
    """The history of a merge: FROM's party record goes (a delete), INTO's gains an alias, and each
    agreement and valuation that named FROM now names INTO (updates)."""

    def __init__(self, store: Store, provenance: Provenance, merged: str, party_id: int | None) -> None:
        self.provenance, self.merged = provenance, merged
        self.store = store
        self.parties = party_records(store)
        self.valuations = valuation_records(store)
        if party_id is None:
            self.keys: list[str] = []
        else:
            frames = (store.agreements_frame(payer_ids=[party_id]), store.agreements_frame(payee_ids=[party_id]))
            self.keys = sorted({key for frame in frames for key in frame["agreement_id"]})
        self.agreements = records_at(store, Entity.AGREEMENT, keys=self.keys)

    def record(self, into: str) -> None:
        """Append the merge's entries; `into` is the party that stays, by its name."""
        reason = self.provenance.reason or f"party {self.merged} merged into {into}"
        store, writer = self.store, HistoryWriter(self.store, replace(self.provenance, reason=reason))
        writer.differences(Entity.PARTY, self.parties, party_records(store), gone=Action.DELETE)
        writer.differences(Entity.AGREEMENT, self.agreements, agreement_records(store, self.keys))
        writer.differences(Entity.VALUATION, self.valuations, valuation_records(store))
        writer.flush()


def _rename(store: Store, merged: str, into: str, party_id: int, dry_run: bool) -> MergeSummary:
    """INTO is new: FROM takes its name and keeps its old one as an alias; references need not move."""
    problem = NAME.problem(into) if into.strip() else "a name that is not blank"
    if problem is not None or into != into.strip():
        raise DomainError(
            f"cannot rename {shown(merged)} to {shown(into) or repr(into)}: expected {problem or 'no outer spaces'}"
        )
    store.update_parties([{"party_id": party_id, "name": into}])
    if merged not in store.party_aliases():
        store.insert_rows(PartyAlias, [{"alias": merged, "party_id": party_id}])
    return _refresh(store, MergeSummary(merged, into, renamed=True, dry_run=dry_run))


def _resolve(ids: dict[str, int], aliases: dict[str, str], merged: str, into: str) -> tuple[int, int, str]:
    """(FROM's id, INTO's id, INTO's name): FROM by its name only, INTO by its name or an alias."""
    known = [*ids, *aliases]
    if merged not in ids and merged not in aliases:
        raise NotFoundError(unknown_name("party", merged, known))
    name = into if into in ids else aliases.get(into)
    if name is None:
        message = unknown_name("party", into, known)
        if merged in ids and "did you mean" not in message:  # a near name is likelier a typo than a new party
            message += f" (give --create to rename {merged!r} to {into!r}, keeping {merged!r} as its alias)"
        raise NotFoundError(message)
    target = ids[name]
    if merged not in ids:
        owner = aliases[merged]
        if owner == name:
            raise DomainError(f"{merged!r} is already an alias of {name!r}: nothing to merge")
        raise DomainError(
            f"{merged!r} is an alias of {owner!r}, not a party's name: merge {owner!r} itself, or change its aliases"
        )
    if ids[merged] == target:
        raise DomainError(f"cannot merge {merged!r} into itself ({into!r} is one of its names)")
    if merged in aliases and aliases[merged] != name:
        raise DomainError(
            f"{merged!r} is both a party and an alias of {aliases[merged]!r}, so files naming it already mean"
            f" {aliases[merged]!r}: change {aliases[merged]!r}'s aliases first"
        )
    return ids[merged], target, name


def _check_no_cycle(
    merged: str, into: str, old: int, new: int, parent_of: dict[int, int], names: dict[int, str]
) -> None:
    """FROM's subsidiaries become INTO's: refused when INTO itself rolls up to FROM (a loop of parents)."""
    ancestors, _ = parent_chain(parent_of, new)
    if old in ancestors:
        path = " -> ".join(names[i] for i in [new, *ancestors[: ancestors.index(old) + 1]])
        raise DomainError(
            f"cannot merge {merged!r} into {into!r}: {into!r} rolls up to {merged!r} ({path}), so it would"
            f" become its own parent; give {into!r} another parent first"
        )


def _check_not_self_paying(store: Store, merged: str, into: str, old: int, new: int) -> None:
    """A party may not pay itself: agreements and billed charges between the two are refused, named."""
    between = store.agreements_between(old, new)
    if between:
        shown = _listing(between)
        raise DomainError(
            f"cannot merge {merged!r} into {into!r}: {_count(len(between), 'agreement')} between them would have"
            f" one party as payer and payee ({shown}); change or remove them first"
        )
    rows = store.consumption_between(old, new)
    if rows:
        raise DomainError(
            f"cannot merge {merged!r} into {into!r}: {_count(rows, 'consumption row')} (month sums of billed charges)"
            " between them would have one party as payer and payee"
        )


def _listing(keys: Iterable[str]) -> str:
    keys = list(keys)
    more = f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    return ", ".join(keys[:SHOWN]) + more


def _refresh(store: Store, summary: MergeSummary) -> MergeSummary:
    """Recompute what depends on who the parties are, as an import does after its parties change."""
    # relation rules compare payers and payees; charges and commitments match by parent company
    adjustments, drawdowns = refresh_derived_in(store)
    flows = store.has_flows()
    if flows:  # stored by `ledger cycles` with its own options, which are not recorded: cleared, not guessed
        store.replace_flows(pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    return replace(summary, adjustments=adjustments, drawdowns=drawdowns, flows_cleared=flows)
