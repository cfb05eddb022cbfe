"""Agreements as columns: what an import file becomes, and what the services store in bulk.

The rule table builds a batch from the entries of a file, CSV or YAML
(ledger.io.agreement_input), column by column, so one import path serves a
hundred agreements and a hundred thousand alike; the repository reads stored
agreements back into the same columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ledger.domain.agreements import KINDS_PAID_AT_ONCE, Basis, Profile, Qualifier, Status
from ledger.domain.money import format_minor_column
from ledger.io.agreement_rules import RECORD_COLUMNS

# The columns of a batch's agreement frame (one row per agreement, as the importer stores it).
BATCH_COLUMNS = [
    "agreement_id", "kind", "payer", "payee", "resource", "amount_minor", "currency", "amount_qualifier",
    "start_date", "end_date", "term_months", "profile", "basis", "status", "confidence", "announced_on",
    "participants", "notes", "assumptions",
]  # fmt: skip
DATE_COLUMNS = ("start_date", "end_date", "announced_on")  # end_date is the term's last day
SLICE_COLUMNS = ["agreement_id", "seq", "start_date", "end_date", "amount_minor", "weight"]
RELATION_COLUMNS = ["agreement_id", "kind", "related_id", "line"]
SOURCE_COLUMNS = ["agreement_id", "url", "title", "published_on"]
CAPACITY_COLUMNS = ["agreement_id", "chip_family", "quantity", "unit"]
MINIMUM_COLUMNS = ["agreement_id", "amount_minor", "period"]


@dataclass
class AgreementBatch:
    """Validated agreements of one file, as frames keyed by agreement_id.

    `agreements` has BATCH_COLUMNS and the file `line` of each agreement;
    dates are datetime64[s], amounts Int64 minor units, optional text None.
    """

    agreements: pd.DataFrame
    slices: pd.DataFrame
    relations: pd.DataFrame
    sources: pd.DataFrame
    capacities: pd.DataFrame
    minimums: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=MINIMUM_COLUMNS))

    def __len__(self) -> int:
        return len(self.agreements)

    @classmethod
    def empty(cls) -> AgreementBatch:
        agreements = normalized(pd.DataFrame(columns=BATCH_COLUMNS), BATCH_COLUMNS).assign(line=np.zeros(0, np.int64))
        return cls(
            agreements,
            normalized(pd.DataFrame(columns=SLICE_COLUMNS), SLICE_COLUMNS),
            pd.DataFrame(columns=RELATION_COLUMNS),
            normalized(pd.DataFrame(columns=SOURCE_COLUMNS), SOURCE_COLUMNS),
            pd.DataFrame(columns=CAPACITY_COLUMNS),
        )

    @classmethod
    def concat(cls, batches: Sequence[AgreementBatch]) -> AgreementBatch:
        """One batch of several, in file order (by line)."""
        if len(batches) == 1:
            return batches[0]
        frames = [_concat([getattr(b, name) for b in batches]) for name in _FRAMES]
        agreements = frames[0].sort_values("line", kind="stable").reset_index(drop=True)
        return cls(agreements, *frames[1:])

    def only(self, keys: set[str]) -> AgreementBatch:
        """The part of the batch of these agreement ids (every frame filtered)."""
        parts = (getattr(self, name) for name in _FRAMES)
        return AgreementBatch(*(f[f["agreement_id"].isin(keys)].reset_index(drop=True) for f in parts))

    def digests(self) -> np.ndarray:
        """A fingerprint per agreement of everything stored for it: unchanged input -> nothing rewritten.

        Hashes of the agreement's columns and of its slices, relations, sources
        and capacity (pandas' stable 64-bit hash), as 16 hex digits.
        """
        position = pd.Series(np.arange(len(self.agreements)), index=self.agreements["agreement_id"].to_numpy())
        parts = [_hashes(self.agreements[BATCH_COLUMNS])]
        for name, columns in (
            ("slices", SLICE_COLUMNS), ("relations", RELATION_COLUMNS[:3]), ("sources", SOURCE_COLUMNS),
            ("capacities", CAPACITY_COLUMNS), ("minimums", MINIMUM_COLUMNS),
        ):  # fmt: skip
            child = getattr(self, name)
            combined = np.zeros(len(self.agreements), dtype=np.uint64)
            if len(child):
                owners = position.loc[child["agreement_id"].to_numpy()].to_numpy()
                np.add.at(combined, owners, _hashes(child[columns]))
            parts.append(combined)
        digest = _hashes(pd.DataFrame({str(i): part for i, part in enumerate(parts)}))
        return np.array([f"{value:016x}" for value in digest.tolist()], dtype=object)

    def to_records(self) -> list[dict[str, Any]]:
        """Each agreement as an entry of an import file, from which the importer rebuilds it exactly
        (a batch of the rebuilt agreements has the same `digests()`).

        The keys are the rule table's (RECORD_COLUMNS, in its order), as a YAML entry has them; a key is
        left out when its value is missing, empty or the field's default. Amounts are exact decimal text
        in major units, dates ISO text, enumerations their values. The term is `term_months` where the
        agreement has it, else the inclusive `end_date` (nothing for a payment at once); tranches are
        dated, ramps give their weights. Relations are ordered by kind and target, sources by url (both
        are sets: an agreement gives the same record whatever order they were read in). Only str, int,
        list and dict: ready for JSON.
        """
        frame = self.agreements
        if not len(frame):
            return []
        columns = _Columns(self).columns()
        names = [name for name in RECORD_COLUMNS if name in columns]
        cells = zip(*(columns[name] for name in names), strict=True)
        return [{name: value for name, value in zip(names, row, strict=True) if value is not None} for row in cells]


_FRAMES = ("agreements", "slices", "relations", "sources", "capacities", "minimums")
# The record columns that are the batch's own text, as it is (None where missing).
_TEXT_COLUMNS = ("kind", "payer", "payee", "currency", "confidence", "resource", "participants", "notes", "assumptions")
# The columns left out where they hold the record's default.
_DEFAULTS = {
    "profile": Profile.STRAIGHT_LINE.value, "basis": Basis.MONTHLY.value, "status": Status.ANNOUNCED.value,
    "amount_qualifier": Qualifier.EXACT.value,
}  # fmt: skip


class _Columns:
    """The record columns of a batch, each a list of plain values (None: left out), built column by column."""

    def __init__(self, batch: AgreementBatch) -> None:
        self.batch = batch
        frame = batch.agreements
        self.count = len(frame)
        self.owners = pd.Index(frame["agreement_id"].to_numpy(dtype=object))
        self.currency = frame["currency"].to_numpy(dtype=object)
        self.profile = frame["profile"].to_numpy(dtype=object)

    def columns(self) -> dict[str, list[Any]]:
        frame = self.batch.agreements
        out: dict[str, list[Any]] = {"agreement_id": frame["agreement_id"].tolist()}
        out |= {name: _plain(frame[name]) for name in _TEXT_COLUMNS}
        out |= {
            name: [None if v == default else v for v in frame[name].tolist()] for name, default in _DEFAULTS.items()
        }
        minor = frame["amount_minor"]
        out["amount"] = _amounts(minor.to_numpy(dtype=np.int64, na_value=0), self.currency, minor.notna().to_numpy())
        out["start_date"] = _iso(frame["start_date"])
        out["announced_on"] = _iso(frame["announced_on"])
        out["term_months"] = _plain(frame["term_months"])
        out["end_date"] = self._end_dates()
        out["relations"] = self._relations()
        out["sources"] = self._sources()
        out["tranches"], out["ramp_weights"] = self._slices()
        out |= self._capacities()
        out |= self._minimums()
        return out

    def _end_dates(self) -> list[str | None]:
        """The inclusive last day where the term is not given in months, and is not one day paid at once."""
        frame = self.batch.agreements
        start, end = frame["start_date"].to_numpy(), frame["end_date"].to_numpy()
        at_once = frame["kind"].isin([k.value for k in KINDS_PAID_AT_ONCE]).to_numpy() & (start == end)
        shown = frame["term_months"].isna().to_numpy() & ~at_once
        return _iso(frame["end_date"].where(shown))

    def _positions(self, child: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.owners.get_indexer(child["agreement_id"].to_numpy(dtype=object)), dtype=np.int64)

    def _sorted(self, child: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
        """The child rows of the batch's agreements, in agreement order and then by `by`."""
        child = child.assign(_position=self._positions(child))
        child = child[child["_position"] >= 0].sort_values(["_position", *by], kind="stable", na_position="first")
        return child, child["_position"].to_numpy(dtype=np.int64)

    def _grouped(self, positions: np.ndarray, items: list[Any]) -> list[Any]:
        """Per agreement, the list of its items (None where it has none)."""
        out: list[Any] = [None] * self.count
        for position, item in zip(positions.tolist(), items, strict=True):
            mine = out[position]
            if mine is None:
                out[position] = [item]
            else:
                mine.append(item)
        return out

    def _relations(self) -> list[Any]:
        relations, positions = self._sorted(self.batch.relations, ["kind", "related_id"])
        items = [{"kind": k, "to": t} for k, t in zip(relations["kind"], relations["related_id"], strict=True)]
        return self._grouped(positions, items)

    def _sources(self) -> list[Any]:
        sources, positions = self._sorted(self.batch.sources, ["url", "title", "published_on"])
        fields = zip(sources["url"].tolist(), _plain(sources["title"]), _iso(sources["published_on"]), strict=True)
        items = [
            {"url": url} | ({"title": title} if title is not None else {}) | ({"date": day} if day is not None else {})
            for url, title, day in fields
        ]
        return self._grouped(positions, items)

    def _slices(self) -> tuple[list[Any], list[Any]]:
        """Dated tranches of the tranches agreements (every one of them has the key, maybe an empty list)
        and the contract-year weights of the ramps, in the order of their days."""
        slices, positions = self._sorted(self.batch.slices, ["start_date"])
        profile = self.profile[positions]
        dated = profile == Profile.TRANCHES.value
        amounts = _amounts(
            slices["amount_minor"].to_numpy(dtype=np.int64)[dated],
            self.currency[positions[dated]],
            np.ones(dated.sum(), bool),
        )
        starts, ends = _iso(slices["start_date"][dated]), _iso(slices["end_date"][dated])
        items = [{"start_date": s, "end_date": e, "amount": a} for s, e, a in zip(starts, ends, amounts, strict=True)]
        tranches = self._grouped(positions[dated], items)
        for position in np.flatnonzero(self.profile == Profile.TRANCHES.value).tolist():
            if tranches[position] is None:
                tranches[position] = []  # tranches that are all of an amount of zero: none, but said so
        ramp = profile == Profile.RAMP.value
        weights = self._grouped(positions[ramp], [int(w) for w in slices["weight"][ramp].tolist()])
        return tranches, weights

    def _capacities(self) -> dict[str, list[Any]]:
        capacities = self.batch.capacities
        positions = self._positions(capacities)
        out: dict[str, list[Any]] = {}
        for name in ("chip_family", "quantity", "unit"):
            column: list[Any] = [None] * self.count
            for position, value in zip(positions.tolist(), _plain(capacities[name]), strict=True):
                column[position] = value or None
            out[name] = column
        return out

    def _minimums(self) -> dict[str, list[Any]]:
        minimums = self.batch.minimums
        positions = self._positions(minimums)
        amounts: list[Any] = [None] * self.count
        periods: list[Any] = [None] * self.count
        minor = minimums["amount_minor"].to_numpy(dtype=np.int64)
        texts = _amounts(minor, self.currency[positions], np.ones(len(minor), dtype=bool))
        for position, text, period in zip(positions.tolist(), texts, minimums["period"].tolist(), strict=True):
            amounts[position], periods[position] = text, str(period)
        return {"minimum_amount": amounts, "minimum_period": periods}


def _plain(column: pd.Series) -> list[Any]:
    """A column's values as plain Python values, None where missing."""
    return column.astype(object).where(column.notna(), None).tolist()


def _iso(column: pd.Series) -> list[str | None]:
    """Dates as YYYY-MM-DD text, None where missing."""
    days = column.to_numpy(dtype="datetime64[D]")
    text = days.astype(str).astype(object)
    text[np.isnat(days)] = None
    return text.tolist()


def _amounts(minor: np.ndarray, currencies: np.ndarray, given: np.ndarray) -> list[str | None]:
    """Minor units as exact decimal text in major units, each with its currency's digits; None where not given."""
    out = np.full(len(minor), None, dtype=object)
    out[given] = format_minor_column(minor[given], currencies[given])
    return out.tolist()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of the frames, in the dtypes of those that have rows: an empty frame of objects (a part no
    agreement of one file has, such as minimums) would make an int64 column objects, which hash
    differently, so the same agreement would have another digest in a batch of several files."""
    return pd.concat([frame for frame in frames if len(frame)] or frames[:1], ignore_index=True)


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def normalized(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The batch's dtypes: dates datetime64[s], amounts and counts Int64, text objects with None."""
    wanted = set(columns)
    return pd.DataFrame(
        {column: _normal(column, frame[column]) if column in wanted else frame[column] for column in frame.columns},
        index=frame.index,
    )


def _normal(column: str, values: pd.Series) -> pd.Series:
    if column in ("start_date", "end_date", "announced_on", "published_on"):
        return pd.to_datetime(values).astype("datetime64[s]")
    if column in ("amount_minor", "term_months", "seq", "weight"):
        return pd.Series(pd.array(values.tolist(), dtype="Int64"), index=values.index)
    text = values.to_numpy(dtype=object, copy=True)
    text[pd.isna(text)] = None
    return pd.Series(text, index=values.index, dtype=object)  # objects: pandas would infer its own text dtype
