"""The Python door: `ledger.open(url)` returns a Ledger whose methods return plain values and DataFrames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import pandas as pd
from sqlalchemy.engine import make_url
from sqlalchemy.util import asbool

from ledger import config, services
from ledger.burn.position import Position
from ledger.config import database_url
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork, UnitOfWorkFactory
from ledger.domain.agreements import Kind
from ledger.domain.calendars import FiscalCalendar, Grain
from ledger.domain.history import Entity, Known, Provenance, parse_moment
from ledger.domain.spend import CountingRule
from ledger.errors import DomainError
from ledger.io.charges import ChargeOptions
from ledger.io.records import RECORD_COLUMNS
from ledger.progress import Progress, silent
from ledger.reconcile.findings import Finding
from ledger.render import burn_output
from ledger.render.output import amount_decimal
from ledger.services import FiscalChoice, ImportSummary, ScheduleRequest, corrections, spend, timetravel
from ledger.services import flows as flow_use_cases
from ledger.services import history as history_use_cases
from ledger.services import parties as party_use_cases
from ledger.services.corrections import CorrectionSummary
from ledger.services.flows import FlowAnalysis, FlowRequest
from ledger.services.history import RecordState

__all__ = [
    "AGREEMENT_COLUMNS", "FlowAnalysis", "FlowRequest", "Ledger", "findings_frame", "fiscal_choice", "sqlite_file",
]  # fmt: skip
from ledger.services.parties import MergeSummary
from ledger.services.spend import IngestSummary

# The keys of `Ledger.agreement_records`, in order: the columns of `ledger agreements --format csv`.
AGREEMENT_COLUMNS = RECORD_COLUMNS


class Ledger:
    """A ledger database (SQLite file or PostgreSQL). Use as a context manager, or call close()."""

    def __init__(self, url: str | None = None, *, author: str | None = None) -> None:
        """`author`: who the history records as making this ledger's changes (else $LEDGER_AUTHOR, else the
        OS user)."""
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        self.author = config.author(author)

    def _provenance(self, reason: str | None = None) -> Provenance:
        return Provenance(self.author, reason.strip() or None if reason is not None else None)

    def unit_of_work(self, *, write: bool = False) -> UnitOfWork:
        """One transaction on this ledger; `write=True` holds the write lock (see ledger.db.engine)."""
        return UnitOfWork(self.engine, self.url, write=write)

    def init(self) -> tuple[str | None, str]:
        """Create or upgrade the schema; returns (revision before, revision after). After an upgrade the
        derived tables (adjustments, draw-downs) are recomputed with the new revision's rules."""
        before, after = services.init_schema(self.engine, self._provenance())
        if before is not None and before != after:
            services.refresh_derived(self.unit_of_work)
        return before, after

    def seed(
        self, progress: Progress = silent, *, founding_example_only: bool = False, reason: str | None = None
    ) -> ImportSummary:
        """Load the bundled seeds (or only the parties and the founding example); loading twice changes nothing."""
        return services.seed(
            self.unit_of_work,
            progress,
            founding_example_only=founding_example_only,
            provenance=self._provenance(reason),
        )

    def import_file(self, *paths: Path | str, progress: Progress = silent, reason: str | None = None) -> ImportSummary:
        """Import CSV or YAML files in one transaction (a bad file writes nothing). Each record created or
        changed gets a history entry with this ledger's author, `reason`, and its file, line and SHA-256."""
        return services.import_files(self.unit_of_work, paths, progress, self._provenance(reason))

    def schedule(
        self,
        by: Grain | str = Grain.YEAR,
        agreements: Sequence[str] = (),
        payer: str | None = None,
        payee: str | None = None,
        fiscal_calendar: str | FiscalCalendar = "payer",
        *,
        decimals: bool = True,
        known_as_of: Moment | None = None,
    ) -> pd.DataFrame:
        """Schedule lines with exact amounts: `amount_minor` (int64) and `amount` (Decimal).

        Columns: agreement_id, period, period_start, period_end (inclusive),
        amount_minor, currency, amount. `decimals=False` leaves `amount` out (no Decimal per line:
        faster for millions of lines; amount_minor and currency are exact).
        """
        request = ScheduleRequest(Grain(by), tuple(agreements), payer, payee, fiscal_choice(fiscal_calendar))
        with self._book(known_as_of) as book:
            return _with_decimals(services.schedule(book, request), decimals)

    def consolidated(
        self,
        by: Grain | str = Grain.YEAR,
        agreements: Sequence[str] = (),
        payer: str | None = None,
        payee: str | None = None,
        fiscal_calendar: str | FiscalCalendar = "payer",
        rollup: bool = False,
        by_agreement: bool = False,
        include_proposed: bool = False,
        *,
        decimals: bool = True,
        known_as_of: Moment | None = None,
    ) -> pd.DataFrame:
        """The consolidated schedule: relations applied, nothing counted twice, cancelled and (unless
        include_proposed) proposed deals left out.

        Columns: payer, payee, resource, period, period_start, period_end,
        amount_minor, currency, amount (by_agreement: agreement_id and contract_id
        first). rollup=True reports payers and payees as their parent companies.
        `decimals=False` leaves `amount` out (as in `schedule`).
        """
        request = services.ConsolidatedRequest(
            Grain(by), tuple(agreements), payer, payee, fiscal_choice(fiscal_calendar), rollup, by_agreement,
            include_proposed,
        )  # fmt: skip
        with self._book(known_as_of) as book:
            return _with_decimals(services.consolidated_schedule(book, request), decimals)

    def adjustments(
        self,
        by: Grain | str = Grain.YEAR,
        fiscal_calendar: str | FiscalCalendar = "payer",
        *,
        decimals: bool = True,
        known_as_of: Moment | None = None,
    ) -> pd.DataFrame:
        """What consolidation removes from each agreement (negative amounts), by period, relation and related id.

        Columns: agreement_id, relation_kind, related_id, period, period_start, period_end,
        amount_minor, currency, amount (`decimals=False` leaves `amount` out)."""
        with self._book(known_as_of) as book:
            frame = services.adjustments(book, Grain(by), fiscal_choice(fiscal_calendar))
        return _with_decimals(frame, decimals)

    def reconcile(self, *, known_as_of: Moment | None = None) -> list[Finding]:
        """Every reconciliation finding, errors first (see Finding.as_json for the JSON shape)."""
        with self._book(known_as_of) as book:
            return services.reconcile(book)

    def founding_example(self) -> list[str]:
        """The agreement ids of the founding example (the 27 Feb 2026 report the ledger was built around;
        `seed(founding_example_only=True)` loads it)."""
        return services.founding_example_keys()

    def cycles(
        self,
        max_length: int = 4,
        as_of: dt.date | None = None,
        year: int | None = None,
        *,
        include_proposed: bool = False,
        save: bool = False,
        known_as_of: Moment | None = None,
    ) -> FlowAnalysis:
        """Cyclic financing between parent companies, with the options of `ledger cycles`: the flow edges
        (`edges`), every loop of at most `max_length` parties (`cycles`, with bottlenecks), round trips
        (`pairs`) and supplier backlogs (`suppliers`). `as_of`: only agreements announced (else started)
        by then; `year`: only money scheduled in that year; `include_proposed`: count proposed deals too.

        A read (fine on a read-only database) unless `save=True` (`ledger cycles --save`): then the result
        is also stored in flow_edge, flow_cycle and flow_cycle_edge, for SQL, in the same transaction. A
        past book (`known_as_of`) is never stored.
        """
        request = FlowRequest(max_length, as_of, year, include_proposed)
        if known_as_of is not None:  # the book as it was is read, never stored
            if save:
                raise DomainError("a past book (known_as_of) is never stored: save=False, or no known_as_of")
            with self._book(known_as_of) as book:
                return flow_use_cases.cycles(book, request, save=False)
        return flow_use_cases.cycles(self.unit_of_work, request, save=save)

    def agreements(
        self, agreements: Sequence[str] = (), *, known_as_of: Moment | None = None, include_void: bool = False
    ) -> pd.DataFrame:
        """Every agreement (or those named): parties, amount (minor units and Decimal), term, profile, status.
        `include_void`: the void agreements too, with `void` True (the others False)."""
        with self._book(known_as_of) as book:
            frame = services.agreements(book, tuple(agreements))
        if include_void:
            at = None if known_as_of is None else self._moment(known_as_of)
            void = history_use_cases.void_agreements(self.unit_of_work, at)
            if agreements:
                void = void[void["agreement_id"].isin(agreements)]
            frame = pd.concat([frame.assign(void=False), void[frame.columns].assign(void=True)], ignore_index=True)
            frame = frame.sort_values("agreement_id", kind="stable").reset_index(drop=True)
        disclosed = frame["amount_minor"].notna()
        frame["amount"] = None
        frame.loc[disclosed, "amount"] = pd.Series(
            amount_decimal(frame.loc[disclosed, "amount_minor"].astype("int64"), frame.loc[disclosed, "currency"]),
            index=frame.index[disclosed],
            dtype=object,
        )
        return frame

    def agreement_records(
        self, agreements: Sequence[str] = (), *, known_as_of: Moment | None = None
    ) -> list[dict[str, Any]]:
        """Every agreement (or those named), by id, as an entry of an import file that `import_file` reads
        back as the same agreement: the keys of a YAML entry (AGREEMENT_COLUMNS, in order; missing values
        and defaults left out), amounts as exact decimal text, dates as YYYY-MM-DD, a term as term_months
        or end_date, dated tranches, ramp weights, relations, sources, capacity and minimum. Only str, int,
        lists and dicts: ready for json.dumps. `ledger agreements --format csv|yaml|json` writes these."""
        with self._book(known_as_of) as book:
            return services.agreement_records(book, tuple(agreements))

    def ingest(
        self,
        path: Path | str,
        format: str = "focus",  # noqa: A002 - the CLI's word
        payer: str | None = None,
        payee: str | None = None,
        rule: CountingRule | None = None,
        progress: Progress = silent,
        reason: str | None = None,
    ) -> IngestSummary:
        """Load a billing file (FOCUS or the simple charge CSV), summed to months, in one transaction.

        The same file a second time changes nothing; a bad row refuses the whole file (InputError).
        """
        options = ChargeOptions(format, payer, payee, rule or CountingRule())
        return spend.ingest(self.unit_of_work, path, options, progress, self._provenance(reason))

    def positions(
        self,
        as_of: dt.date | None = None,
        agreements: Sequence[str] = (),
        *,
        include_proposed: bool = False,
        known_as_of: Moment | None = None,
    ) -> list[Position]:
        """Each commitment's burn position on `as_of` (default today), with its periods. Cancelled ones are
        listed with nothing due; proposed ones only with include_proposed."""
        day = as_of or dt.date.today()
        with self._book(known_as_of) as book:
            return spend.burn(book, day, tuple(agreements), include_proposed=include_proposed)

    def burn(
        self,
        as_of: dt.date | None = None,
        agreements: Sequence[str] = (),
        *,
        include_proposed: bool = False,
        known_as_of: Moment | None = None,
    ) -> pd.DataFrame:
        """One row per commitment: committed, expected to date, consumed, remaining, run-rates, projected
        shortfall or overage, met_on (money as exact Decimal; see the README for each definition)."""
        frame = burn_output.positions_frame(
            self.positions(as_of, agreements, include_proposed=include_proposed, known_as_of=known_as_of)
        )
        return _decimals(frame, burn_output.MONEY_COLUMNS)

    def burn_periods(
        self,
        as_of: dt.date | None = None,
        agreements: Sequence[str] = (),
        *,
        include_proposed: bool = False,
        known_as_of: Moment | None = None,
    ) -> pd.DataFrame:
        """One row per contract year and minimum period of each commitment, each with the figures of a
        commitment of its required amount (expected, consumed, remaining, run-rates, shortfall) and its gap."""
        frame = burn_output.periods_frame(
            self.positions(as_of, agreements, include_proposed=include_proposed, known_as_of=known_as_of)
        )
        return _decimals(frame, burn_output.PERIOD_MONEY_COLUMNS)

    def focus_commitments(self, *, include_proposed: bool = False, known_as_of: Moment | None = None) -> pd.DataFrame:
        """The commitments in the FOCUS 1.3 Contract Commitment dataset shape (text columns); cancelled and
        (unless include_proposed) proposed deals are left out."""
        with self._book(known_as_of) as book:
            return burn_output.focus_commitments(spend.commitments(book, include_proposed=include_proposed))

    def parties(self) -> pd.DataFrame:
        """Every party by name: kind, parent, ultimate_parent (what burn and cycles roll up to), aliases
        (a sorted list of the other names files may use), fiscal_year_end_month and notes."""
        return party_use_cases.parties(self.unit_of_work)

    def merge_parties(
        self, from_name: str, into_name: str, *, dry_run: bool = False, create: bool = False, reason: str | None = None
    ) -> MergeSummary:
        """Fold party `from_name` into party `into_name` in one transaction: its agreements, valuations,
        billed consumption, subsidiaries and aliases move to `into_name`, its name becomes an alias of
        `into_name`, it is deleted, and draw-downs and adjustments are recomputed. `from_name` must be a
        party's name; `into_name` may be an alias. Refused with a LedgerError, nothing written, when a
        name is unknown, both name one party, or a party would pay itself or be its own parent.
        `dry_run=True` checks and counts, and writes nothing. `create=True` renames `from_name` to an
        `into_name` that is not a party yet (keeping `from_name` as its alias)."""
        return party_use_cases.merge_parties(
            self.unit_of_work, from_name, into_name, dry_run=dry_run, create=create, provenance=self._provenance(reason)
        )

    # -- the book of record --------------------------------------------------------

    def history(
        self, keys: Sequence[str] = (), *, since: Moment | None = None, entity: str | None = None
    ) -> pd.DataFrame:
        """The history, newest first: one row per change (id, recorded_at, entity, key, action, author,
        reason, source, sha256, changes as {field: [old, new]}, record as it stood after the change).
        `keys`: only these records (agreement or valuation ids, party names, billing files' SHA-256);
        `since`: only changes recorded at or after that moment; `entity`: agreement, party, valuation or
        billing_file."""
        moment = None if since is None else self._moment(since)
        return history_use_cases.history(self.unit_of_work, keys, moment, None if entity is None else Entity(entity))

    def show(self, key: str, *, as_of: dt.date | None = None, known_as_of: Moment | None = None) -> RecordView:
        """Everything about one record (an agreement, else a valuation, a party or a billing file): its
        fields as the importer reads them, whether it is in the book, void or deleted, and its history;
        for an agreement in the book also the relations to it, its yearly schedule, its consolidation
        adjustments and (a commitment) its burn position on `as_of` (default today)."""
        at = None if known_as_of is None else self._moment(known_as_of)
        state = history_use_cases.record_state(self.unit_of_work, key, at)
        history = self.history([key], entity=state.entity.value)
        if at is not None:
            history = history[history["recorded_at"] <= at.isoformat(timespec="microseconds").replace("+00:00", "Z")]
        view = RecordView(state, history.reset_index(drop=True))
        if state.entity is not Entity.AGREEMENT or state.state != "in the book" or state.record is None:
            return view
        with self._book(known_as_of) as book:
            view.incoming = history_use_cases.incoming_relations(book, key)
            request = ScheduleRequest(Grain.YEAR, (key,), None, None, "payer")
            view.schedule = _with_decimals(services.schedule(book, request))
            adjustments = services.adjustments(book, Grain.YEAR, "payer")
            view.adjustments = _with_decimals(adjustments[adjustments["agreement_id"] == key].reset_index(drop=True))
            if state.record.get("kind") in (Kind.CLOUD_COMMITMENT.value, Kind.CHIP_AGREEMENT.value):
                found = spend.burn(book, as_of or dt.date.today(), (), include_proposed=True)
                view.position = next((p for p in found if p.terms.key == key), None)
        return view

    def void(self, *keys: str, reason: str) -> CorrectionSummary:
        """Take agreements or valuations out of the book as mistakes (kept in the history; `restore` takes a
        void back). Refused for a record another one refers to, unless it is voided too."""
        return corrections.void(self.unit_of_work, keys, self._provenance(reason))

    def restore(self, *keys: str, reason: str | None = None) -> CorrectionSummary:
        """Put voided agreements or valuations back in the book as they were."""
        return corrections.restore(self.unit_of_work, keys, self._provenance(reason))

    def delete(self, *keys: str, reason: str | None = None) -> CorrectionSummary:
        """Remove agreements or valuations for good, leaving a tombstone in the history; refused for a record
        something refers to."""
        return corrections.delete(self.unit_of_work, keys, self._provenance(reason))

    def uningest(self, which: Path | str, *, reason: str) -> CorrectionSummary:
        """Withdraw one billing file (by path, SHA-256 or id): its charges leave burn and the commitments
        are drawn down again; ingesting it again later loads it anew."""
        return corrections.uningest(self.unit_of_work, str(which), self._provenance(reason))

    def _moment(self, value: Moment) -> dt.datetime:
        """A --known-as-of or --since value as a moment; `#N` (or an int) is the moment of history entry N's
        transaction: the book just after the change that wrote it, every entry of that change included."""
        known = moment_of(value)
        return history_use_cases.moment_of_entry(self.unit_of_work, known) if isinstance(known, int) else known

    @contextmanager
    def _book(self, known_as_of: Moment | None) -> Iterator[UnitOfWorkFactory]:
        """The book now, or as it stood at `known_as_of` (rebuilt from the history)."""
        if known_as_of is None:
            yield self.unit_of_work
            return
        with timetravel.book_as_of(self.unit_of_work, self._moment(known_as_of)) as book:
            yield book

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass
class RecordView:
    """What `Ledger.show` returns: the record's state (`state.record`, `state.state`), its history (newest
    first), and for an agreement in the book the agreements relating to it (`incoming`: agreement,
    relation kind), its yearly schedule, its adjustments and, for a commitment, its burn position."""

    state: RecordState
    history: pd.DataFrame
    incoming: list[tuple[str, str]] = field(default_factory=list)
    schedule: pd.DataFrame | None = None
    adjustments: pd.DataFrame | None = None
    position: Position | None = None


Moment = dt.datetime | dt.date | int | str  # --known-as-of: a date-time, a date (its end), an entry id, or text


def moment_of(value: Moment) -> Known:
    """A moment as the history compares it: aware UTC (a naive date-time is UTC; a date is its last instant),
    or a history entry's id (an int, or "#N" text): the book just after that change."""
    if isinstance(value, str):
        return parse_moment(value)
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time.max, tzinfo=dt.UTC)


def findings_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as a table: severity, kind, agreements (joined by ", "), message, amount, difference,
    currency, suggested_relation (what `ledger reconcile` shows)."""
    return services.findings_frame(list(findings))


def sqlite_file(url: str | None = None) -> Path | None:
    """The file a SQLite URL names (`sqlite:///FILE` or a `file:` URI with uri=true); None for PostgreSQL,
    an in-memory database or a URL that is not one."""
    text = database_url(url)
    if not text.startswith("sqlite"):
        return None
    try:
        parsed = make_url(text)
    except Exception:  # an unparsable URL names no file; opening it reports the error
        return None
    database = parsed.database
    if database and database.startswith("file:") and asbool(parsed.query.get("uri")):
        database = unquote(urlsplit(database).path)
    if not database or database == ":memory:":
        return None
    return Path(database)


def _with_decimals(frame: pd.DataFrame, decimals: bool = True) -> pd.DataFrame:
    """Add `amount` (exact Decimal) beside `amount_minor`."""
    if not decimals:
        return frame
    values = amount_decimal(frame["amount_minor"], frame["currency"])
    return frame.assign(amount=pd.Series(values, index=frame.index, dtype=object))


def _decimals(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return frame.assign(**{c: frame[c].map(lambda v: None if v is None else Decimal(v)) for c in columns})


def fiscal_choice(value: str | FiscalCalendar) -> FiscalChoice:
    """'payer', 'payee' or a calendar spec such as 'jun' or '52-53:jan:sun:last'."""
    if isinstance(value, FiscalCalendar):
        return value
    if value == "payer":
        return "payer"
    if value == "payee":
        return "payee"
    return FiscalCalendar.parse(value)
