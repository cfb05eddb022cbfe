"""Reads and bulk writes of the ledger's tables inside the caller's transaction (never commits).

Agreements, parties and sources are a few thousand rows at most and go
through SQLAlchemy Core executemany. Schedule lines are millions: they go
straight to the driver (sqlite3 executemany, PostgreSQL COPY) in chunks.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from ledger.db.models import (
    Agreement,
    AgreementRelation,
    AgreementSlice,
    AgreementSource,
    ChipDetail,
    CommitmentMinimum,
    Consumption,
    Drawdown,
    FlowCycle,
    FlowCycleEdge,
    FlowEdge,
    History,
    IngestFile,
    Party,
    PartyAlias,
    ScheduleAdjustment,
    ScheduleLine,
    Source,
    Valuation,
    ValuationSource,
)
from ledger.io.batch import (
    BATCH_COLUMNS,
    CAPACITY_COLUMNS,
    MINIMUM_COLUMNS,
    RELATION_COLUMNS,
    SLICE_COLUMNS,
    SOURCE_COLUMNS,
    AgreementBatch,
    normalized,
)

T = TypeVar("T")
IN_CHUNK = 5000  # ids per IN (...) list: below every backend's bound-parameter limit
LINE_CHUNK = 250_000  # schedule lines per bulk write


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """Repository over one session; every method runs in the unit of work's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def _run(self, statement: Any) -> Any:
        """Execute on the unit of work's connection through SQLAlchemy Core: these are column reads and bulk
        statements, and the ORM's per-row machinery would only add cost."""
        return self.session.connection().execute(statement)

    def _raw_rows(self, statement: Any) -> list[tuple[Any, ...]]:
        """Rows of a select straight from the driver, without SQLAlchemy's result processing (dates come back
        as the driver gives them: ISO text on SQLite). Several times faster for 100,000-row reads."""
        connection = self.session.connection()
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.params
        bound = tuple(params[name] for name in compiled.positiontup or ()) if compiled.positional else params
        return [tuple(row) for row in connection.exec_driver_sql(str(compiled), bound).all()]

    # -- currencies and parties ------------------------------------------------

    def parties(self) -> pd.DataFrame:
        """All parties: id, name, kind, parent_id, fiscal calendar columns."""
        rows = self._run(
            select(
                Party.id,
                Party.name,
                Party.kind,
                Party.parent_id,
                Party.fiscal_year_end_month,
                Party.fiscal_week_day,
                Party.fiscal_week_rule,
                Party.notes,
            ).order_by(Party.id)
        ).all()
        columns = [
            "id",
            "name",
            "kind",
            "parent_id",
            "fiscal_year_end_month",
            "fiscal_week_day",
            "fiscal_week_rule",
            "notes",
        ]
        return pd.DataFrame(rows, columns=columns)

    def party_ids(self) -> dict[str, int]:
        return {name: pid for pid, name in self._run(select(Party.id, Party.name))}

    def party_aliases(self) -> dict[str, str]:
        """alias -> the party's name."""
        query = select(PartyAlias.alias, Party.name).join(Party, Party.id == PartyAlias.party_id)
        return {alias: name for alias, name in self._run(query)}

    def replace_party_aliases(self, party_ids: Sequence[int], rows: Sequence[Mapping[str, Any]]) -> None:
        """Rewrite the aliases of these parties (rows: alias, party_id)."""
        for part in chunks(party_ids):
            self._run(delete(PartyAlias).where(PartyAlias.party_id.in_(part)))
        self.insert_rows(PartyAlias, rows)

    def insert_parties(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.insert_rows(Party, rows)

    def update_parties(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """rows carry `party_id` and the columns to set (the same columns in every row)."""
        self._update_by_id(Party, "party_id", rows)

    # -- agreements ------------------------------------------------------------

    def agreement_index(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """key -> (id, content_hash) for the given keys that exist."""
        found: dict[str, tuple[int, str]] = {}
        query = select(Agreement.key, Agreement.id, Agreement.content_hash)
        if len(keys) > 4 * IN_CHUNK:  # cheaper to read them all
            rows: Iterable[Any] = self._run(query)
            wanted = set(keys)
            return {key: (aid, digest) for key, aid, digest in rows if key in wanted}
        for part in chunks(keys):
            for key, aid, digest in self._run(query.where(Agreement.key.in_(part))):
                found[key] = (aid, digest)
        return found

    def agreement_keys(self) -> list[str]:
        return list(self._run(select(Agreement.key)).scalars())

    def update_agreements(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """rows carry `agreement_id` (the surrogate id) and the columns to set."""
        self._update_by_id(Agreement, "agreement_id", rows)

    def delete_agreement_details(self, ids: Sequence[int]) -> None:
        """Remove what an agreement owns (slices, relations, sources, capacity, schedule) before rewriting it."""
        for table in (AgreementSlice, AgreementRelation, AgreementSource, ChipDetail, CommitmentMinimum, ScheduleLine):
            column = table.__table__.c.agreement_id
            for part in chunks(ids):
                self._run(delete(table).where(column.in_(part)))

    def insert_rows(self, model: type[Any], rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk insert dict rows. Rows may leave out columns: they get the column's Python default, or NULL
        (server defaults such as `updated_at` are filled in by the database)."""
        if not rows:
            return
        table = model.__table__
        keys = list(dict.fromkeys(key for row in rows for key in row))
        defaults = {c.name: c.default.arg for c in table.columns if c.default is not None and c.default.is_scalar}
        keys += [name for name in defaults if name not in keys]
        cells = np.empty((len(rows), len(keys)), dtype=object)
        for i, row in enumerate(rows):
            cells[i] = [_plain(row.get(k, defaults.get(k))) for k in keys]
        self._bulk_insert(table, keys, cells)

    def _bulk_insert(self, table: Any, columns: Sequence[str], cells: np.ndarray) -> None:
        """Straight through the driver: COPY on PostgreSQL, multi-row executemany on SQLite (never the ORM)."""
        if self.dialect == "postgresql":
            with (
                self._driver_connection().cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in cells.tolist():
                    copy.write_row(row)
            return
        self._sqlite_insert(table.name, columns, cells)

    def insert_frame(self, model: type[Any], frame: pd.DataFrame) -> None:
        """Bulk insert a frame whose columns are the table's (dates as datetime64, nullable ints as Int64)."""
        if len(frame):
            self._bulk_insert(model.__table__, list(frame.columns), _cells(frame))

    @staticmethod
    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        """Rows of a frame as plain Python values (None for missing), for statements that take dicts."""
        cells = _cells(frame, dates_as_text=False)
        return [dict(zip(frame.columns, row, strict=True)) for row in cells.tolist()]

    def source_ids(self, sources: Iterable[tuple[str, str | None, dt.date | None]]) -> dict[str, int]:
        """Ids of sources by URL, creating the ones not yet known (title and date kept from the first mention)."""
        wanted = {url: (title, published) for url, title, published in sources}
        known = self._source_ids(list(wanted))
        missing = [{"url": u, "title": t, "published_on": p} for u, (t, p) in wanted.items() if u not in known]
        if missing:
            self.insert_rows(Source, missing)
            known = self._source_ids(list(wanted))
        return known

    def source_details(self, urls: Sequence[str]) -> pd.DataFrame:
        """url, title and published_on (datetime64[s]) of these stored sources: what the ledger keeps for a
        page (the title it was first given)."""
        query = select(Source.url, Source.title, Source.published_on)
        frame = pd.DataFrame(self._rows_in(query, Source.url, urls), columns=["url", "title", "published_on"])
        frame["published_on"] = _days(frame["published_on"])
        return normalized(frame, ["url", "title", "published_on"])

    def _source_ids(self, urls: Sequence[str]) -> dict[str, int]:
        query = select(Source.id, Source.url)
        return {url: sid for part in chunks(urls) for sid, url in self._run(query.where(Source.url.in_(part)))}

    def agreements_frame(
        self,
        *,
        keys: Sequence[str] | None = None,
        payer_ids: Sequence[int] | None = None,
        payee_ids: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Agreements with their parties' names and fiscal calendars, ordered by key."""
        query = select(
            Agreement.id.label("id"),
            Agreement.key.label("agreement_id"),
            Agreement.kind,
            Agreement.payer_id,
            Agreement.payee_id,
            Agreement.resource,
            Agreement.amount_minor,
            Agreement.currency,
            Agreement.amount_qualifier,
            Agreement.start_date,
            Agreement.end_date,
            Agreement.term_months,
            Agreement.profile,
            Agreement.basis,
            Agreement.status,
            Agreement.confidence,
            Agreement.notes,
            Agreement.announced_on,
        )
        if payer_ids is not None:
            query = query.where(Agreement.payer_id.in_(payer_ids))
        if payee_ids is not None:
            query = query.where(Agreement.payee_id.in_(payee_ids))
        if keys is not None:
            rows = [row for part in chunks(keys) for row in self._raw_rows(query.where(Agreement.key.in_(part)))]
        else:
            rows = self._raw_rows(query)
        columns = list(query.selected_columns.keys())
        frame = pd.DataFrame.from_records(rows, columns=columns)
        # Built again exactly: pandas reads a column of ints with a None (an undisclosed amount) as float64,
        # which rounds amounts above 2^53 minor units (900000000000000.01 USD would read as .00).
        at = columns.index("amount_minor")
        frame["amount_minor"] = pd.array([row[at] for row in rows], dtype="Int64")
        # Parties are few: their names and calendars join here rather than in SQL.
        parties = self.parties().set_index("id")
        for role in ("payer", "payee"):
            ids = frame.pop(f"{role}_id")
            frame.insert(list(frame.columns).index("resource"), role, ids.map(parties["name"]))
            frame[f"{role}_fy_end_month"] = ids.map(parties["fiscal_year_end_month"])
            frame[f"{role}_fy_week_day"] = ids.map(parties["fiscal_week_day"])
            frame[f"{role}_fy_week_rule"] = ids.map(parties["fiscal_week_rule"])
        # Sorted here, by code point, not by ORDER BY: PostgreSQL's collation would order ids differently
        # from SQLite, and outputs must be the same bytes on both.
        frame = frame.sort_values("agreement_id", kind="stable").reset_index(drop=True)
        for column in ("start_date", "end_date", "announced_on"):
            frame[column] = _days(frame[column])
        return frame

    def agreement_batch(self, keys: Sequence[str] | None = None) -> AgreementBatch:
        """The stored agreements (all, or those of `keys` that exist) as the batch an import file of them
        gives: payer and payee as party names, with their slices, relations (the related key), sources,
        capacities and minimums, in the readers' dtypes, ordered by key (by code point, the same on every
        backend); `line` is 0. A few bulk reads, whatever the number of agreements."""
        wanted = None if keys is None else list(dict.fromkeys(keys))
        query = select(Agreement.id, *(_BATCH_SELECT[c] for c in BATCH_COLUMNS))
        rows = self._rows_in(query, Agreement.key, wanted, at=1)
        frame = pd.DataFrame(rows, columns=["id", *BATCH_COLUMNS], dtype=object)
        names = {pid: name for name, pid in self.party_ids().items()}
        for role in ("payer", "payee"):
            frame[role] = [names[pid] for pid in frame[role].tolist()]
        for column in ("start_date", "end_date", "announced_on"):
            frame[column] = _days(frame[column])
        frame = frame.sort_values("agreement_id", kind="stable").reset_index(drop=True)
        ids = None if wanted is None else frame["id"].tolist()
        agreements = normalized(frame[BATCH_COLUMNS], BATCH_COLUMNS).assign(line=np.zeros(len(frame), np.int64))
        return AgreementBatch(
            agreements,
            self._batch_slices(ids),
            self._batch_relations(ids),
            self._batch_sources(ids),
            self._batch_details(ChipDetail, [ChipDetail.chip_family, ChipDetail.quantity, ChipDetail.unit], ids),
            self._batch_details(CommitmentMinimum, [CommitmentMinimum.amount_minor, CommitmentMinimum.period], ids),
        )

    def _rows_in(self, query: Any, column: Any, wanted: Sequence[Any] | None, at: int = 0) -> list[tuple[Any, ...]]:
        """Rows of `query` whose `column` (selected at position `at`) is one of `wanted`, or all rows for None:
        IN lists of IN_CHUNK values, or one read of everything when that is cheaper."""
        if wanted is None:
            return self._raw_rows(query)
        if len(wanted) > 4 * IN_CHUNK:
            keep = set(wanted)
            return [row for row in self._raw_rows(query) if row[at] in keep]
        return [row for part in chunks(wanted) for row in self._raw_rows(query.where(column.in_(part)))]

    def _batch_slices(self, ids: Sequence[int] | None) -> pd.DataFrame:
        owner = AgreementSlice.agreement_id
        query = select(
            owner, Agreement.key, AgreementSlice.seq, AgreementSlice.start_date, AgreementSlice.end_date,
            AgreementSlice.amount_minor, AgreementSlice.weight,
        ).join(Agreement, Agreement.id == owner)  # fmt: skip
        frame = pd.DataFrame([row[1:] for row in self._rows_in(query, owner, ids)], columns=SLICE_COLUMNS, dtype=object)
        for column in ("start_date", "end_date"):
            frame[column] = _days(frame[column])
        frame = frame.sort_values(["agreement_id", "seq"], kind="stable").reset_index(drop=True)
        return normalized(frame, SLICE_COLUMNS)

    def _batch_relations(self, ids: Sequence[int] | None) -> pd.DataFrame:
        related, owner = aliased(Agreement), AgreementRelation.agreement_id
        query = (
            select(owner, Agreement.key, AgreementRelation.id, AgreementRelation.kind, related.key)
            .join(Agreement, Agreement.id == owner)
            .join(related, related.id == AgreementRelation.related_id)
        )
        rows = sorted((key, rid, kind, target) for _, key, rid, kind, target in self._rows_in(query, owner, ids))
        return pd.DataFrame([(key, kind, target, 0) for key, _, kind, target in rows], columns=RELATION_COLUMNS)

    def _batch_sources(self, ids: Sequence[int] | None) -> pd.DataFrame:
        owner = AgreementSource.agreement_id
        query = (
            select(owner, Agreement.key, Source.url, Source.title, Source.published_on)
            .join(Agreement, Agreement.id == owner)
            .join(Source, Source.id == AgreementSource.source_id)
        )
        rows = sorted((row[1:] for row in self._rows_in(query, owner, ids)), key=lambda row: row[:2])
        frame = pd.DataFrame(rows, columns=SOURCE_COLUMNS, dtype=object)
        frame["published_on"] = _days(frame["published_on"])
        return normalized(frame, SOURCE_COLUMNS)

    def _batch_details(self, model: Any, columns: list[Any], ids: Sequence[int] | None) -> pd.DataFrame:
        """A capacity or a minimum per agreement (one row each): agreement key and `columns`."""
        owner = model.agreement_id
        query = select(owner, Agreement.key, *columns).join(Agreement, Agreement.id == owner)
        rows = sorted((row[1:] for row in self._rows_in(query, owner, ids)), key=lambda row: row[0])
        return pd.DataFrame(rows, columns=CAPACITY_COLUMNS if model is ChipDetail else MINIMUM_COLUMNS)

    def slices_frame(self, agreement_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Tranche and ramp slices: agreement_id (the key), seq, start_date, end_date (inclusive), amount_minor."""
        query = select(
            AgreementSlice.agreement_id,
            Agreement.key,
            AgreementSlice.seq,
            AgreementSlice.start_date,
            AgreementSlice.end_date,
            AgreementSlice.amount_minor,
            AgreementSlice.weight,
        ).join(Agreement, Agreement.id == AgreementSlice.agreement_id)
        if agreement_ids is None or len(agreement_ids) > 4 * IN_CHUNK:  # cheaper to read them all
            wanted = None if agreement_ids is None else set(agreement_ids)
            rows = [row[1:] for row in self._raw_rows(query) if wanted is None or row[0] in wanted]
        else:
            filtered = (query.where(AgreementSlice.agreement_id.in_(part)) for part in chunks(agreement_ids))
            rows = [row[1:] for statement in filtered for row in self._raw_rows(statement)]
        columns = ["agreement_id", "seq", "start_date", "end_date", "amount_minor", "weight"]
        frame = pd.DataFrame.from_records(rows, columns=columns).sort_values(["agreement_id", "seq"], kind="stable")
        for column in ("start_date", "end_date"):
            frame[column] = _days(frame[column])
        frame["amount_minor"] = frame["amount_minor"].astype(np.int64)
        return frame.reset_index(drop=True)

    def relations(self) -> list[tuple[str, str, str]]:
        """Every relation as (agreement key, kind, related agreement key)."""
        related = aliased(Agreement)
        query = (
            select(Agreement.key, AgreementRelation.kind, related.key)
            .join(Agreement, Agreement.id == AgreementRelation.agreement_id)
            .join(related, related.id == AgreementRelation.related_id)
        )
        return sorted((a, k, r) for a, k, r in self._run(query))

    def agreement_sources(self) -> pd.DataFrame:
        """agreement_id (key) and url of every source link."""
        query = (
            select(Agreement.key, Source.url)
            .join(AgreementSource, AgreementSource.agreement_id == Agreement.id)
            .join(Source, Source.id == AgreementSource.source_id)
        )
        return pd.DataFrame.from_records(list(self._run(query)), columns=["agreement_id", "url"])

    def replace_adjustments(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rewrite every consolidation adjustment (they are derived from all agreements and relations)."""
        self._run(delete(ScheduleAdjustment))
        self.insert_rows(ScheduleAdjustment, rows)

    def replace_flows(self, edges: pd.DataFrame, cycles: pd.DataFrame, cycle_edges: pd.DataFrame) -> None:
        """Rewrite the stored flow graph (edges, cycles and their edges) with a new analysis."""
        for table in (FlowCycleEdge, FlowCycle, FlowEdge):
            self._run(delete(table))
        self.insert_frame(FlowEdge, edges)
        self.insert_frame(FlowCycle, cycles)
        self.insert_frame(FlowCycleEdge, cycle_edges)

    # -- actual spend ----------------------------------------------------------

    def ingested(self, sha256: str) -> tuple[int, dt.datetime, dt.datetime | None] | None:
        """(id, loaded_at, withdrawn_at) of the billing file with this content, if it was ingested before."""
        query = select(IngestFile.id, IngestFile.loaded_at, IngestFile.withdrawn_at).where(IngestFile.sha256 == sha256)
        row = self._run(query).first()
        return None if row is None else (int(row[0]), row[1], row[2])

    def insert_ingest_file(self, row: Mapping[str, Any]) -> int:
        result = self._run(insert(IngestFile).values(**row).returning(IngestFile.id))
        return int(result.scalar_one())

    def capacities_frame(self) -> pd.DataFrame:
        """agreement_id (key), quantity (exact decimal text), unit and chip_family of every capacity."""
        query = select(Agreement.key, ChipDetail.quantity, ChipDetail.unit, ChipDetail.chip_family).join(
            Agreement, Agreement.id == ChipDetail.agreement_id
        )
        return pd.DataFrame(self._raw_rows(query), columns=["agreement_id", "quantity", "unit", "chip_family"])

    def minimums_frame(self) -> pd.DataFrame:
        """agreement_id (key), amount_minor, period of every commitment with a minimum per period."""
        query = select(Agreement.key, CommitmentMinimum.amount_minor, CommitmentMinimum.period).join(
            Agreement, Agreement.id == CommitmentMinimum.agreement_id
        )
        return pd.DataFrame(self._raw_rows(query), columns=["agreement_id", "amount_minor", "period"])

    def consumption_frame(self) -> pd.DataFrame:
        """Stored month consumption: id, payer, payee (names), month, category, counts, agreement_id (key),
        currency, charges, amount_minor, sub_minor, resource."""
        query = select(
            Consumption.id, Consumption.payer_id, Consumption.payee_id, Consumption.month, Consumption.category,
            Consumption.counts, Agreement.key, Consumption.currency, Consumption.charges, Consumption.amount_minor,
            Consumption.sub_minor, Consumption.resource,
        ).outerjoin(Agreement, Agreement.id == Consumption.agreement_id)  # fmt: skip
        query = query.join(IngestFile, IngestFile.id == Consumption.ingest_id).where(IngestFile.withdrawn_at.is_(None))
        columns = ["id", "payer", "payee", "month", "category", "counts", "agreement_id", "currency", "charges",
                   "amount_minor", "sub_minor", "resource"]  # fmt: skip
        frame = pd.DataFrame(self._raw_rows(query), columns=columns)
        names = self.parties().set_index("id")["name"]
        frame["payer"] = frame["payer"].map(names)
        frame["payee"] = frame["payee"].map(names)
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
        return frame

    def replace_drawdowns(self, frame: pd.DataFrame) -> None:
        """Rewrite every draw-down (derived from all consumption and all commitments)."""
        self._run(delete(Drawdown))
        self.insert_frame(Drawdown, frame)

    def has_consumption(self) -> bool:
        """Whether any charge of a billing file in the book (not withdrawn) is stored."""
        query = select(Consumption.id).join(IngestFile, IngestFile.id == Consumption.ingest_id)
        return self._run(query.where(IngestFile.withdrawn_at.is_(None)).limit(1)).first() is not None

    def ingest_files(self) -> list[dict[str, Any]]:
        """Every billing file ingested (withdrawn ones too), oldest first, with all its columns."""
        query = select(*IngestFile.__table__.columns).order_by(IngestFile.id)
        return [dict(row._mapping) for row in self._run(query)]

    def set_withdrawn(self, ingest_id: int, moment: dt.datetime | None) -> None:
        """Withdraw a billing file (its charges stay stored and draw nothing down), or take it back (None)."""
        self._run(update(IngestFile).where(IngestFile.id == ingest_id).values(withdrawn_at=moment))

    def delete_ingest_file(self, ingest_id: int) -> None:
        """Remove a billing file and its charges (their draw-downs go with them)."""
        self._run(delete(IngestFile).where(IngestFile.id == ingest_id))

    def consumption_rows(self, ingest_ids: Sequence[int]) -> pd.DataFrame:
        """The stored month rows of these billing files, parties by name (for replaying the book)."""
        query = select(
            Consumption.ingest_id, Consumption.payer_id, Consumption.payee_id, Consumption.month,
            Consumption.category, Consumption.counts, Consumption.resource, Consumption.currency,
            Consumption.charges, Consumption.amount_minor, Consumption.sub_minor, Agreement.key,
        ).outerjoin(Agreement, Agreement.id == Consumption.agreement_id)  # fmt: skip
        parts = (query.where(Consumption.ingest_id.in_(part)) for part in chunks(ingest_ids))
        rows = [row for statement in parts for row in self._raw_rows(statement)]
        columns = ["ingest_id", "payer", "payee", "month", "category", "counts", "resource", "currency", "charges",
                   "amount_minor", "sub_minor", "agreement"]  # fmt: skip
        frame = pd.DataFrame(rows, columns=columns)
        names = self.parties().set_index("id")["name"]
        frame["payer"] = frame["payer"].map(names)
        frame["payee"] = frame["payee"].map(names)
        frame["month"] = frame["month"].map(str)  # ISO text, as SQLite stores dates
        return frame

    # -- the book's totals -----------------------------------------------------

    def currencies_over(self, table: Literal["agreement", "consumption"], limit: int) -> list[str]:
        """Currencies whose total of agreement amounts, or of charge magnitudes, passes `limit`."""
        model: Any = Agreement if table == "agreement" else Consumption
        value = model.amount_minor if table == "agreement" else func.abs(model.amount_minor)
        over = select(model.currency).group_by(model.currency).having(func.sum(value) > limit)
        try:
            return sorted(str(c) for (c,) in self._run(over))
        except OperationalError as error:  # SQLite's SUM refuses to wrap past 2^63: sum exactly here
            if "integer overflow" not in str(error):
                raise
        totals: dict[str, int] = {}
        for currency, amount in self._raw_rows(select(model.currency, value).where(model.amount_minor.is_not(None))):
            totals[currency] = totals.get(currency, 0) + int(amount)
        return sorted(c for c, total in totals.items() if total > limit)

    # -- valuations ------------------------------------------------------------

    def valuations_frame(self) -> pd.DataFrame:
        """valuation_id, party, kind, amount_minor, currency, as_of, round_id (the round's agreement key)."""
        round_ = aliased(Agreement)
        query = (
            select(Valuation.key, Party.name, Valuation.kind, Valuation.amount_minor, Valuation.currency,
                   Valuation.as_of, round_.key)
            .join(Party, Party.id == Valuation.party_id)
            .outerjoin(round_, round_.id == Valuation.round_id)
            .order_by(Valuation.key)
        )  # fmt: skip
        columns = ["valuation_id", "party", "kind", "amount_minor", "currency", "as_of", "round_id"]
        return pd.DataFrame.from_records([tuple(r) for r in self._run(query)], columns=columns)

    def valuation_details(self, keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Every stored column of the valuations (party and round by name and key), with their sources as
        (url, title, published_on) lists, by key."""
        round_ = aliased(Agreement)
        query = (
            select(Valuation.id, Valuation.key, Party.name.label("party"), Valuation.kind, Valuation.amount_minor,
                   Valuation.currency, Valuation.as_of, round_.key.label("round"), Valuation.amount_qualifier,
                   Valuation.confidence, Valuation.notes)
            .join(Party, Party.id == Valuation.party_id)
            .outerjoin(round_, round_.id == Valuation.round_id)
        )  # fmt: skip
        if keys is None:
            rows = [dict(r._mapping) for r in self._run(query)]
        else:
            rows = [dict(r._mapping) for part in chunks(keys) for r in self._run(query.where(Valuation.key.in_(part)))]
        links = (
            select(ValuationSource.valuation_id, Source.url, Source.title, Source.published_on)
            .join(Source, Source.id == ValuationSource.source_id)
            .order_by(ValuationSource.valuation_id, Source.url)
        )
        sources: dict[int, list[tuple[str, str | None, dt.date | None]]] = {}
        for vid, url, title, published in self._run(links):
            sources.setdefault(vid, []).append((url, title, published))
        for row in rows:
            row["sources"] = sources.get(row.pop("id"), [])
        return sorted(rows, key=lambda row: row["key"])

    def valuation_index(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for part in chunks(keys):
            query = select(Valuation.key, Valuation.id, Valuation.content_hash).where(Valuation.key.in_(part))
            found.update({key: (vid, digest) for key, vid, digest in self._run(query)})
        return found

    def replace_valuation_sources(self, valuation_ids: Sequence[int], links: Sequence[Mapping[str, int]]) -> None:
        for part in chunks(valuation_ids):
            self._run(delete(ValuationSource).where(ValuationSource.valuation_id.in_(part)))
        self.insert_rows(ValuationSource, links)

    def update_valuations(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """rows carry `valuation_id` and the columns to set."""
        self._update_by_id(Valuation, "valuation_id", rows)

    def _update_by_id(self, model: Any, id_key: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """One executemany UPDATE of `model` rows by surrogate id (`id_key` in each row names it)."""
        if rows:
            statement = update(model).where(model.id == bindparam(id_key))
            values: dict[str, Any] = {k: bindparam(k) for k in rows[0] if k != id_key}
            self.session.connection().execute(statement.values(values), list(rows))

    # -- history ---------------------------------------------------------------

    def clock(self) -> dt.datetime:
        """The moment a change is recorded (UTC): the database server's clock on PostgreSQL (one clock for
        every client), this machine's on SQLite; never before the newest history entry, so that the
        history's order by time is its order of writing (the caller holds the write lock)."""
        if self.dialect == "postgresql":
            now = as_utc(self._run(select(func.clock_timestamp())).scalar_one())
        else:
            now = dt.datetime.now(dt.UTC)
        newest = self._run(select(func.max(History.recorded_at))).scalar_one()
        if newest is not None and as_utc(newest) > now:
            return as_utc(newest)
        return now

    def append_history(self, entries: pd.DataFrame) -> None:
        """Append history entries (History's columns but `id`, in the order to number them); one bulk write
        in the caller's transaction."""
        if self.dialect == "sqlite":  # stored the way SQLAlchemy stores DateTime on SQLite: naive UTC text
            entries = entries.assign(recorded_at=entries["recorded_at"].map(sqlite_moment))
        self.insert_frame(History, entries)

    def latest_history(
        self, entity: str, keys: Sequence[str] | None = None, at: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """The newest entry of each record of `entity` (recorded by `at`, if given), as dicts, by key."""
        newest = select(History.entity_key, func.max(History.id).label("id")).where(History.entity == entity)
        if at is not None:
            newest = newest.where(History.recorded_at <= at)
        columns = [c for c in History.__table__.columns]
        rows: list[Any] = []
        if keys is None or len(keys) > 4 * IN_CHUNK:
            latest = newest.group_by(History.entity_key).subquery()
            rows = list(self._run(select(*columns).join(latest, latest.c.id == History.id)))
            if keys is not None:
                wanted = set(keys)
                rows = [row for row in rows if row.entity_key in wanted]
        else:
            for part in chunks(keys):
                latest = newest.where(History.entity_key.in_(part)).group_by(History.entity_key).subquery()
                rows += list(self._run(select(*columns).join(latest, latest.c.id == History.id)))
        found = [_history_dict(row) for row in rows]
        return sorted(found, key=lambda row: row["entity_key"])

    def history_entries(
        self,
        entity: str | None = None,
        keys: Sequence[str] = (),
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[dict[str, Any]]:
        """History entries, newest first, filtered by entity, keys and a time window (`since` may be an id)."""
        query = select(*History.__table__.columns).order_by(History.id.desc())
        if entity is not None:
            query = query.where(History.entity == entity)
        if since is not None:
            query = query.where(History.recorded_at >= since)
        if until is not None:
            query = query.where(History.recorded_at <= until)
        if not keys:
            return [_history_dict(row) for row in self._run(query)]
        rows = [row for part in chunks(keys) for row in self._run(query.where(History.entity_key.in_(part)))]
        return sorted((_history_dict(row) for row in rows), key=lambda row: -row["id"])

    def entry_moment(self, entry: int) -> dt.datetime | None:
        moment = self._run(select(History.recorded_at).where(History.id == entry)).scalar()
        return None if moment is None else as_utc(moment)

    def unrecorded_keys(self, entity: str) -> list[str]:
        """Keys of stored records of `entity` that have no history entry (stored before revision 0008)."""
        column = {"agreement": Agreement.key, "party": Party.name, "valuation": Valuation.key,
                  "billing_file": IngestFile.sha256}[entity]  # fmt: skip
        recorded = select(History.id).where(History.entity == entity, History.entity_key == column)
        return sorted(str(key) for (key,) in self._run(select(column).where(~recorded.exists())))

    # -- schedule lines --------------------------------------------------------

    def write_schedule_lines(
        self, agreement_id: npt.NDArray[np.int64], month: npt.NDArray[np.datetime64], amount: npt.NDArray[np.int64]
    ) -> int:
        """Bulk-insert month lines (binary COPY on PostgreSQL, executemany on SQLite); returns the number written."""
        if len(agreement_id) == 0:
            return 0
        if self.dialect == "postgresql":
            self._copy_schedule_lines(agreement_id, month.astype("datetime64[D]"), amount)
            return len(agreement_id)
        months = month.astype("datetime64[M]").astype(np.int64)
        first = int(months.min())
        labels = np.arange(first, int(months.max()) + 1).astype("datetime64[M]").astype("datetime64[D]")
        text = np.array([str(d) for d in labels], dtype=object)  # SQLite stores dates as ISO text
        for start in range(0, len(agreement_id), LINE_CHUNK):
            stop = start + LINE_CHUNK
            flat = np.empty((len(agreement_id[start:stop]), 3), dtype=object)
            flat[:, 0] = agreement_id[start:stop].tolist()
            flat[:, 1] = text[months[start:stop] - first]
            flat[:, 2] = amount[start:stop].tolist()
            self._sqlite_insert("schedule_line", ("agreement_id", "month", "amount_minor"), flat)
        return len(agreement_id)

    def _sqlite_insert(self, table: str, columns: Sequence[str], rows: np.ndarray) -> None:
        """executemany of multi-row INSERT statements: 2-3 times the rows per second of one row each.

        `rows` is a 2-D object array, one row per record. Statements carry at
        most 999 parameters, the limit of the most restrictive SQLite builds.
        """
        per = max(1, 999 // len(columns))
        names = ", ".join(columns)
        marks = "(" + ", ".join("?" * len(columns)) + ")"
        cursor = self._driver_connection()
        full = len(rows) // per * per
        if full:
            statement = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([marks] * per)
            cursor.executemany(statement, rows[:full].reshape(-1, per * len(columns)).tolist())
        if full < len(rows):
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {marks}", rows[full:].tolist())

    def _driver_connection(self) -> Any:
        return self.session.connection().connection.driver_connection

    def _copy_schedule_lines(self, agreement_id: np.ndarray, day: np.ndarray, amount: np.ndarray) -> None:
        """COPY ... (FORMAT BINARY) from numpy: tuples built as one structured array, no per-row Python.

        Each inserted row would fire PostgreSQL's foreign-key trigger (a locked
        lookup of its agreement), five times the cost of the insert itself, and
        update the primary-key index one entry at a time. For a load that is
        large next to the table, both constraints are dropped and re-added
        inside this same transaction: the index is then built in one sort and
        the references checked in one join (PostgreSQL manual, "Populating a
        Database"); on error the rollback restores them. Readers of
        schedule_line wait for the commit.
        """
        table = cast(Table, ScheduleLine.__table__)
        (foreign_key,) = table.c.agreement_id.foreign_keys
        fk_name = foreign_key.constraint.name if foreign_key.constraint is not None else None
        pk_name = table.primary_key.name
        assert isinstance(fk_name, str)
        assert isinstance(pk_name, str)
        bulk = len(agreement_id) >= BULK_LINES and len(agreement_id) * 8 >= self._estimated_lines()
        connection = self.session.connection()
        if bulk:
            connection.exec_driver_sql(f"ALTER TABLE schedule_line DROP CONSTRAINT {fk_name}")
            connection.exec_driver_sql(f"ALTER TABLE schedule_line DROP CONSTRAINT {pk_name}")
        with (
            self._driver_connection().cursor() as cursor,
            cursor.copy("COPY schedule_line (agreement_id, month, amount_minor) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.write(_PG_COPY_HEADER)
            for start in range(0, len(agreement_id), LINE_CHUNK):
                stop = start + LINE_CHUNK
                rows = np.empty(len(agreement_id[start:stop]), _PG_LINE)
                rows["fields"], rows["id_len"], rows["day_len"], rows["amount_len"] = 3, 4, 4, 8
                rows["id"] = agreement_id[start:stop]
                rows["day"] = (day[start:stop] - _PG_EPOCH).astype(np.int64)
                rows["amount"] = amount[start:stop]
                copy.write(rows.tobytes())
            copy.write(_PG_COPY_TRAILER)
        if bulk:  # an index built in one sort, and every reference checked in one join
            connection.exec_driver_sql(
                f"ALTER TABLE schedule_line ADD CONSTRAINT {pk_name} PRIMARY KEY (agreement_id, month)"
            )
            connection.exec_driver_sql(
                f"ALTER TABLE schedule_line ADD CONSTRAINT {fk_name} FOREIGN KEY (agreement_id) "
                "REFERENCES agreement (id) ON DELETE CASCADE"
            )

    def _estimated_lines(self) -> int:
        """The planner's row estimate for schedule_line (cheap; exact counts are not needed)."""
        query = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'schedule_line'"
        return int(self.session.connection().exec_driver_sql(query).scalar_one())

    # -- merging parties -------------------------------------------------------

    def agreements_between(self, first: int, second: int) -> list[str]:
        """Keys of the agreements between these two parties (either one paying), by code point."""
        query = select(Agreement.key).where(
            or_(
                and_(Agreement.payer_id == first, Agreement.payee_id == second),
                and_(Agreement.payer_id == second, Agreement.payee_id == first),
            )
        )
        return sorted(self._run(query).scalars())

    def consumption_between(self, first: int, second: int) -> int:
        """How many stored month sums of charges are between these two parties (either one paying)."""
        query = select(func.count()).where(
            or_(
                and_(Consumption.payer_id == first, Consumption.payee_id == second),
                and_(Consumption.payer_id == second, Consumption.payee_id == first),
            )
        )
        return int(self._run(query).scalar_one())

    def repoint_party(self, old: int, new: int) -> dict[str, int]:
        """Point every reference to party `old` at party `new`: agreements (payer, payee), valuations,
        consumption (payer, payee), subsidiaries (parent) and aliases. Returns the rows changed per table;
        an agreement or a month sum counts once, as it cannot be between `old` and `new`."""
        changed = dict.fromkeys(("agreements", "valuations", "consumption", "subsidiaries", "aliases"), 0)
        columns = (
            ("agreements", Agreement.payer_id), ("agreements", Agreement.payee_id),
            ("valuations", Valuation.party_id), ("consumption", Consumption.payer_id),
            ("consumption", Consumption.payee_id), ("subsidiaries", Party.parent_id), ("aliases", PartyAlias.party_id),
        )  # fmt: skip
        for name, column in columns:
            result = self._run(update(column.class_).where(column == old).values({column.key: new}))
            changed[name] += int(result.rowcount)
        return changed

    def references_to(self, agreement_ids: Sequence[int]) -> list[tuple[str, str, str]]:
        """What refers to these agreements from outside them: (referrer, how, agreement key), where how is a
        relation kind (the referrer is an agreement), `round` (a valuation) or `charges` (a billing file's
        month rows that name it; the referrer is the file's name)."""
        ids = set(agreement_ids)
        target = aliased(Agreement)
        found: list[tuple[str, str, str]] = []
        for part in chunks(list(ids)):
            relations = (
                select(Agreement.key, AgreementRelation.kind, target.key, AgreementRelation.agreement_id)
                .join(Agreement, Agreement.id == AgreementRelation.agreement_id)
                .join(target, target.id == AgreementRelation.related_id)
                .where(AgreementRelation.related_id.in_(part))
            )
            found += [(key, kind, to) for key, kind, to, owner in self._run(relations) if owner not in ids]
            rounds = select(Valuation.key, target.key).join(target, target.id == Valuation.round_id)
            found += [(key, "round", to) for key, to in self._run(rounds.where(Valuation.round_id.in_(part)))]
            charges = (
                select(IngestFile.name, target.key)
                .join(Consumption, Consumption.ingest_id == IngestFile.id)
                .join(target, target.id == Consumption.agreement_id)
                .where(Consumption.agreement_id.in_(part))
                .distinct()
            )
            found += [(name, "charges", to) for name, to in self._run(charges)]
        return sorted(set(found))

    def delete_agreements(self, ids: Sequence[int]) -> None:
        """Remove agreements and everything they own (nothing outside them may refer to them: references_to)."""
        for part in chunks(ids):
            either = or_(AgreementRelation.agreement_id.in_(part), AgreementRelation.related_id.in_(part))
            self._run(delete(AgreementRelation).where(either))
            self._run(delete(Agreement).where(Agreement.id.in_(part)))

    def delete_valuations(self, ids: Sequence[int]) -> None:
        for part in chunks(ids):
            self._run(delete(Valuation).where(Valuation.id.in_(part)))

    def delete_party(self, party_id: int) -> None:
        """Delete a party that nothing refers to any more (its foreign keys RESTRICT otherwise)."""
        self._run(delete(Party).where(Party.id == party_id))

    def has_flows(self) -> bool:
        """Whether `ledger cycles` stored a flow analysis (flow_edge, flow_cycle, flow_cycle_edge)."""
        edges = self._run(select(FlowEdge.payer).limit(1)).first()
        return edges is not None or self._run(select(FlowCycle.id).limit(1)).first() is not None


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment as an aware UTC datetime (SQLite gives it back naive, in UTC)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def sqlite_moment(moment: dt.datetime) -> str:
    """A moment as SQLAlchemy's DateTime stores it on SQLite (naive UTC text), for the driver's bulk path."""
    return as_utc(moment).replace(tzinfo=None).isoformat(" ", timespec="microseconds")


def _history_dict(row: Any) -> dict[str, Any]:
    entry = dict(row._mapping)
    entry["recorded_at"] = as_utc(entry["recorded_at"])
    return entry


# The agreement columns of a batch (BATCH_COLUMNS), as the agreement table holds them (parties by id).
_BATCH_SELECT: dict[str, Any] = {
    "agreement_id": Agreement.key, "kind": Agreement.kind, "payer": Agreement.payer_id, "payee": Agreement.payee_id,
    "resource": Agreement.resource, "amount_minor": Agreement.amount_minor, "currency": Agreement.currency,
    "amount_qualifier": Agreement.amount_qualifier, "start_date": Agreement.start_date,
    "end_date": Agreement.end_date, "term_months": Agreement.term_months, "profile": Agreement.profile,
    "basis": Agreement.basis, "status": Agreement.status, "confidence": Agreement.confidence,
    "announced_on": Agreement.announced_on, "participants": Agreement.participants, "notes": Agreement.notes,
    "assumptions": Agreement.assumptions,
}  # fmt: skip


def _days(column: pd.Series) -> np.ndarray:
    """Dates as the drivers return them (date objects, or ISO text on SQLite) -> datetime64[s], fast."""
    values = [None if value is None or value != value else value for value in column.tolist()]  # NaN -> None
    return np.array(values, dtype="datetime64[D]").astype("datetime64[s]")


def _plain(value: Any) -> Any:
    """Dates as ISO text (what SQLAlchemy stores on SQLite; PostgreSQL parses it), missing values as None."""
    if type(value) is dt.date:
        return value.isoformat()
    return None if value is None or value is pd.NA or value is pd.NaT else value


def _cells(frame: pd.DataFrame, *, dates_as_text: bool = True) -> np.ndarray:
    """A frame as a 2-D object array of plain Python values, column by column (vectorized).

    Dates become ISO text (for the drivers' bulk paths) or datetime.date (for SQLAlchemy statements).
    """
    cells = np.empty((len(frame), len(frame.columns)), dtype=object)
    for j, column in enumerate(frame.columns):
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            dates = values.dt.strftime("%Y-%m-%d") if dates_as_text else pd.Series(values.dt.date, index=values.index)
            cells[:, j] = dates.astype(object).where(values.notna(), None).to_numpy()
        else:
            cells[:, j] = values.astype(object).where(values.notna(), None).to_numpy()
    return cells


# PostgreSQL binary COPY: a signature and two zero int32s, then per row a field
# count and (length, big-endian value) per field; -1 ends the data.
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_COPY_TRAILER = struct.pack(">h", -1)
_PG_EPOCH = np.datetime64("2000-01-01", "D")
_PG_LINE = np.dtype(
    [
        ("fields", ">i2"),
        ("id_len", ">i4"),
        ("id", ">i4"),
        ("day_len", ">i4"),
        ("day", ">i4"),
        ("amount_len", ">i4"),
        ("amount", ">i8"),
    ]
)
BULK_LINES = 200_000
