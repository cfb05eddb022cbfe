"""Reads and bulk writes of the ledger's tables inside the caller's transaction (never commits).

Agreements, parties and sources are a few thousand rows at most and go
through SQLAlchemy Core executemany. Schedule lines are millions: they go
straight to the driver (sqlite3 executemany, PostgreSQL COPY) in chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from ledger.db.models import (
    Agreement,
    AgreementRelation,
    AgreementSlice,
    AgreementSource,
    ChipDetail,
    Currency,
    Party,
    ScheduleLine,
    Source,
    Valuation,
    ValuationSource,
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

    # -- currencies and parties ------------------------------------------------

    def currencies(self) -> dict[str, int]:
        return {code: digits for code, digits in self.session.execute(select(Currency.code, Currency.minor_digits))}

    def parties(self) -> pd.DataFrame:
        """All parties: id, name, kind, parent_id, fiscal calendar columns."""
        rows = self.session.execute(
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
        return {name: pid for pid, name in self.session.execute(select(Party.id, Party.name))}

    def insert_parties(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(Party), list(rows))

    def update_parties(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            statement = update(Party).where(Party.id == bindparam("party_id"))
            values: dict[str, Any] = {k: bindparam(k) for k in rows[0] if k != "party_id"}
            self.session.connection().execute(statement.values(values), list(rows))

    # -- agreements ------------------------------------------------------------

    def agreement_index(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """key -> (id, content_hash) for the given keys that exist."""
        found: dict[str, tuple[int, str]] = {}
        query = select(Agreement.key, Agreement.id, Agreement.content_hash)
        if len(keys) > 4 * IN_CHUNK:  # cheaper to read them all
            rows: Iterable[Any] = self.session.execute(query)
            wanted = set(keys)
            return {key: (aid, digest) for key, aid, digest in rows if key in wanted}
        for part in chunks(keys):
            for key, aid, digest in self.session.execute(query.where(Agreement.key.in_(part))):
                found[key] = (aid, digest)
        return found

    def agreement_keys(self) -> list[str]:
        return list(self.session.execute(select(Agreement.key)).scalars())

    def insert_agreements(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(Agreement), list(rows))

    def update_agreements(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """rows carry `agreement_id` (the surrogate id) and the columns to set."""
        if rows:
            statement = update(Agreement).where(Agreement.id == bindparam("agreement_id"))
            values: dict[str, Any] = {k: bindparam(k) for k in rows[0] if k != "agreement_id"}
            self.session.connection().execute(statement.values(values), list(rows))

    def delete_agreement_details(self, ids: Sequence[int]) -> None:
        """Remove what an agreement owns (slices, relations, sources, capacity, schedule) before rewriting it."""
        for table in (AgreementSlice, AgreementRelation, AgreementSource, ChipDetail, ScheduleLine):
            column = table.__table__.c.agreement_id
            for part in chunks(ids):
                self.session.execute(delete(table).where(column.in_(part)))

    def insert_rows(self, model: type[Any], rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(model), list(rows))

    def source_ids(self, sources: Iterable[tuple[str, str | None, dt.date | None]]) -> dict[str, int]:
        """Ids of sources by URL, creating the ones not yet known (title and date kept from the first mention)."""
        wanted = {url: (title, published) for url, title, published in sources}
        known = self._source_ids(list(wanted))
        missing = [{"url": u, "title": t, "published_on": p} for u, (t, p) in wanted.items() if u not in known]
        if missing:
            self.session.execute(insert(Source), missing)
            known = self._source_ids(list(wanted))
        return known

    def _source_ids(self, urls: Sequence[str]) -> dict[str, int]:
        query = select(Source.id, Source.url)
        return {
            url: sid for part in chunks(urls) for sid, url in self.session.execute(query.where(Source.url.in_(part)))
        }

    def agreements_frame(
        self,
        *,
        keys: Sequence[str] | None = None,
        payer_ids: Sequence[int] | None = None,
        payee_ids: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Agreements with their parties' names and fiscal calendars, ordered by key."""
        payer, payee = aliased(Party), aliased(Party)
        query = (
            select(
                Agreement.id.label("id"),
                Agreement.key.label("agreement_id"),
                Agreement.kind,
                payer.name.label("payer"),
                payee.name.label("payee"),
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
                payer.fiscal_year_end_month.label("payer_fy_end_month"),
                payer.fiscal_week_day.label("payer_fy_week_day"),
                payer.fiscal_week_rule.label("payer_fy_week_rule"),
                payee.fiscal_year_end_month.label("payee_fy_end_month"),
                payee.fiscal_week_day.label("payee_fy_week_day"),
                payee.fiscal_week_rule.label("payee_fy_week_rule"),
            )
            .join(payer, payer.id == Agreement.payer_id)
            .join(payee, payee.id == Agreement.payee_id)
            .order_by(Agreement.key)
        )
        if payer_ids is not None:
            query = query.where(Agreement.payer_id.in_(payer_ids))
        if payee_ids is not None:
            query = query.where(Agreement.payee_id.in_(payee_ids))
        if keys is not None:
            rows = [row for part in chunks(keys) for row in self.session.execute(query.where(Agreement.key.in_(part)))]
        else:
            rows = list(self.session.execute(query))
        frame = pd.DataFrame(rows, columns=list(query.selected_columns.keys()))
        if keys is not None:
            frame = frame.sort_values("agreement_id", kind="stable").reset_index(drop=True)
        frame["amount_minor"] = frame["amount_minor"].astype("Int64")
        for column in ("start_date", "end_date"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
        return frame

    def slices_frame(self, agreement_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Tranche and ramp slices: agreement_id (the key), seq, start_date, end_date (inclusive), amount_minor."""
        query = (
            select(
                Agreement.key.label("agreement_id"),
                AgreementSlice.seq,
                AgreementSlice.start_date,
                AgreementSlice.end_date,
                AgreementSlice.amount_minor,
                AgreementSlice.weight,
            )
            .join(Agreement, Agreement.id == AgreementSlice.agreement_id)
            .order_by(Agreement.key, AgreementSlice.seq)
        )
        if agreement_ids is None:
            rows = list(self.session.execute(query))
        else:
            rows = [
                row
                for part in chunks(agreement_ids)
                for row in self.session.execute(query.where(AgreementSlice.agreement_id.in_(part)))
            ]
        frame = pd.DataFrame(rows, columns=["agreement_id", "seq", "start_date", "end_date", "amount_minor", "weight"])
        for column in ("start_date", "end_date"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
        frame["amount_minor"] = frame["amount_minor"].astype(np.int64)
        return frame

    # -- valuations ------------------------------------------------------------

    def valuation_index(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for part in chunks(keys):
            query = select(Valuation.key, Valuation.id, Valuation.content_hash).where(Valuation.key.in_(part))
            found.update({key: (vid, digest) for key, vid, digest in self.session.execute(query)})
        return found

    def replace_valuation_sources(self, valuation_ids: Sequence[int], links: Sequence[Mapping[str, int]]) -> None:
        for part in chunks(valuation_ids):
            self.session.execute(delete(ValuationSource).where(ValuationSource.valuation_id.in_(part)))
        self.insert_rows(ValuationSource, links)

    def update_valuations(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            statement = update(Valuation).where(Valuation.id == bindparam("valuation_id"))
            values: dict[str, Any] = {k: bindparam(k) for k in rows[0] if k != "valuation_id"}
            self.session.connection().execute(statement.values(values), list(rows))

    # -- schedule lines --------------------------------------------------------

    def write_schedule_lines(
        self, agreement_id: npt.NDArray[np.int64], month: npt.NDArray[np.datetime64], amount: npt.NDArray[np.int64]
    ) -> int:
        """Bulk-insert month lines (COPY on PostgreSQL, executemany on SQLite); returns the number written."""
        if len(agreement_id) == 0:
            return 0
        months = month.astype("datetime64[M]").astype(np.int64)
        first = int(months.min())
        labels = np.array(
            [str(d) for d in np.arange(first, int(months.max()) + 1).astype("datetime64[M]").astype("datetime64[D]")],
            dtype=object,
        )
        raw: Any = self.session.connection().connection.driver_connection
        for start in range(0, len(agreement_id), LINE_CHUNK):
            stop = start + LINE_CHUNK
            ids = agreement_id[start:stop]
            days = labels[months[start:stop] - first]
            amounts = amount[start:stop]
            if self.dialect == "postgresql":
                _copy_lines(raw, ids, days, amounts)
            else:
                raw.executemany(
                    "INSERT INTO schedule_line (agreement_id, month, amount_minor) VALUES (?, ?, ?)",
                    zip(ids.tolist(), days.tolist(), amounts.tolist(), strict=True),
                )
        return len(agreement_id)

    def schedule_line_count(self) -> int:
        from sqlalchemy import func

        return int(self.session.execute(select(func.count()).select_from(ScheduleLine)).scalar_one())


def _copy_lines(raw: Any, ids: np.ndarray, days: np.ndarray, amounts: np.ndarray) -> None:
    text = "\n".join(
        map("\t".join, zip(ids.astype(str).tolist(), days.tolist(), amounts.astype(str).tolist(), strict=True))
    )
    with (
        raw.cursor() as cursor,
        cursor.copy("COPY schedule_line (agreement_id, month, amount_minor) FROM STDIN") as copy,
    ):
        copy.write(text + "\n")
