"""Agreements as columns: what an import file becomes, and what the services store in bulk.

Row-by-row validation (YAML, and CSV rows that need it) builds domain
Agreements and turns them into a batch; the CSV fast path builds the batch
directly. Either way the services store the same columns, so one import path
serves a hundred agreements and a hundred thousand alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledger.domain.agreements import Agreement
from ledger.domain.dates import ONE_DAY

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
        return cls.from_agreements([], [])

    @classmethod
    def from_agreements(cls, agreements: Sequence[Agreement], lines: Sequence[int]) -> AgreementBatch:
        """Domain agreements (with the line each came from) as a batch."""
        rows = [
            (a.key, a.kind.value, a.payer, a.payee, a.resource, a.amount_minor, a.currency, a.qualifier.value,
             a.term.start, a.term.last_day, a.term_months, a.profile.value, a.basis.value, a.status.value,
             a.confidence.value if a.confidence else None, a.announced_on, a.participants, a.notes, a.assumptions)
            for a in agreements
        ]  # fmt: skip
        # As objects: pandas would read a column of ints holding a None (an undisclosed amount) as float64,
        # rounding amounts above 2^53 minor units before `normalized` makes them Int64.
        frame = pd.DataFrame(rows, columns=BATCH_COLUMNS, dtype=object).assign(line=np.asarray(lines, dtype=np.int64))
        slices = [
            (a.key, seq, s.start, s.end - ONE_DAY, s.amount_minor, s.weight)
            for a in agreements
            for seq, s in enumerate(sorted(a.slices, key=lambda s: s.start), start=1)
        ]
        relations = [
            (a.key, r.kind.value, r.target, line)
            for a, line in zip(agreements, lines, strict=True)
            for r in a.relations
        ]
        sources = [(a.key, s.url, s.title, s.published_on) for a in agreements for s in a.sources]
        capacities = [
            (a.key, a.capacity.chip_family, a.capacity.quantity or None, a.capacity.unit or None)
            for a in agreements
            if a.capacity is not None
        ]
        minimums = [(a.key, a.minimum.amount_minor, a.minimum.period) for a in agreements if a.minimum is not None]
        return cls(
            normalized(frame, BATCH_COLUMNS),
            normalized(pd.DataFrame(slices, columns=SLICE_COLUMNS, dtype=object), SLICE_COLUMNS),
            pd.DataFrame(relations, columns=RELATION_COLUMNS),
            normalized(pd.DataFrame(sources, columns=SOURCE_COLUMNS), SOURCE_COLUMNS),
            pd.DataFrame(capacities, columns=CAPACITY_COLUMNS),
            pd.DataFrame(minimums, columns=MINIMUM_COLUMNS),
        )

    @classmethod
    def concat(cls, batches: Sequence[AgreementBatch]) -> AgreementBatch:
        """One batch of several, in file order (by line)."""
        if len(batches) == 1:
            return batches[0]
        frames = [pd.concat([getattr(b, name) for b in batches], ignore_index=True) for name in _FRAMES]
        agreements = frames[0].sort_values("line", kind="stable").reset_index(drop=True)
        return cls(agreements, *frames[1:])

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


_FRAMES = ("agreements", "slices", "relations", "sources", "capacities", "minimums")


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def normalized(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The batch's dtypes: dates datetime64[s], amounts and counts Int64, text objects with None."""
    out = frame.copy()
    for column in columns:
        if column in ("start_date", "end_date", "announced_on", "published_on"):
            out[column] = pd.to_datetime(out[column]).astype("datetime64[s]")
        elif column in ("amount_minor", "term_months", "seq", "weight"):
            out[column] = pd.array(out[column].tolist(), dtype="Int64")
        else:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
