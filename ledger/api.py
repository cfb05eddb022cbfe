"""The Python door: `ledger.open(url)` returns a Ledger whose methods return plain values and DataFrames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import pandas as pd
from sqlalchemy.engine import make_url
from sqlalchemy.util import asbool

from ledger import services
from ledger.burn.position import Position
from ledger.config import database_url
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from ledger.domain.calendars import FiscalCalendar, Grain
from ledger.domain.spend import CountingRule
from ledger.io.charges import ChargeOptions
from ledger.io.records import RECORD_COLUMNS
from ledger.progress import Progress, silent
from ledger.reconcile.findings import Finding
from ledger.render import burn_output
from ledger.render.output import amount_decimal
from ledger.services import FiscalChoice, ImportSummary, ScheduleRequest, spend
from ledger.services import flows as flow_use_cases
from ledger.services import parties as party_use_cases
from ledger.services.flows import FlowAnalysis, FlowRequest

__all__ = [
    "AGREEMENT_COLUMNS", "FlowAnalysis", "FlowRequest", "Ledger", "findings_frame", "fiscal_choice", "sqlite_file",
]  # fmt: skip
from ledger.services.parties import MergeSummary
from ledger.services.spend import IngestSummary

# The keys of `Ledger.agreement_records`, in order: the columns of `ledger agreements --format csv`.
AGREEMENT_COLUMNS = RECORD_COLUMNS


class Ledger:
    """A ledger database (SQLite file or PostgreSQL). Use as a context manager, or call close()."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url)

    def unit_of_work(self, *, write: bool = False) -> UnitOfWork:
        """One transaction on this ledger; `write=True` holds the write lock (see ledger.db.engine)."""
        return UnitOfWork(self.engine, self.url, write=write)

    def init(self) -> tuple[str | None, str]:
        """Create or upgrade the schema; returns (revision before, revision after). After an upgrade the
        derived tables (adjustments, draw-downs) are recomputed with the new revision's rules."""
        before, after = services.init_schema(self.engine)
        if before is not None and before != after:
            services.refresh_derived(self.unit_of_work)
        return before, after

    def seed(self, progress: Progress = silent, *, founding_example_only: bool = False) -> ImportSummary:
        """Load the bundled seeds (or only the parties and the founding example); loading twice changes nothing."""
        return services.seed(self.unit_of_work, progress, founding_example_only=founding_example_only)

    def import_file(self, *paths: Path | str, progress: Progress = silent) -> ImportSummary:
        """Import CSV or YAML files in one transaction (a bad file writes nothing)."""
        return services.import_files(self.unit_of_work, paths, progress)

    def schedule(
        self,
        by: Grain | str = Grain.YEAR,
        agreements: Sequence[str] = (),
        payer: str | None = None,
        payee: str | None = None,
        fiscal_calendar: str | FiscalCalendar = "payer",
        *,
        decimals: bool = True,
    ) -> pd.DataFrame:
        """Schedule lines with exact amounts: `amount_minor` (int64) and `amount` (Decimal).

        Columns: agreement_id, period, period_start, period_end (inclusive),
        amount_minor, currency, amount. `decimals=False` leaves `amount` out (no Decimal per line:
        faster for millions of lines; amount_minor and currency are exact).
        """
        request = ScheduleRequest(Grain(by), tuple(agreements), payer, payee, fiscal_choice(fiscal_calendar))
        return _with_decimals(services.schedule(self.unit_of_work, request), decimals)

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
        return _with_decimals(services.consolidated_schedule(self.unit_of_work, request), decimals)

    def adjustments(
        self, by: Grain | str = Grain.YEAR, fiscal_calendar: str | FiscalCalendar = "payer", *, decimals: bool = True
    ) -> pd.DataFrame:
        """What consolidation removes from each agreement (negative amounts), by period, relation and related id.

        Columns: agreement_id, relation_kind, related_id, period, period_start, period_end,
        amount_minor, currency, amount (`decimals=False` leaves `amount` out)."""
        frame = services.adjustments(self.unit_of_work, Grain(by), fiscal_choice(fiscal_calendar))
        return _with_decimals(frame, decimals)

    def reconcile(self) -> list[Finding]:
        """Every reconciliation finding, errors first (see Finding.as_json for the JSON shape)."""
        return services.reconcile(self.unit_of_work)

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
        save: bool | None = None,
    ) -> FlowAnalysis:
        """Cyclic financing between parent companies, with the options of `ledger cycles`: the flow edges
        (`edges`), every loop of at most `max_length` parties (`cycles`, with bottlenecks), round trips
        (`pairs`) and supplier backlogs (`suppliers`). `as_of`: only agreements announced (else started)
        by then; `year`: only money scheduled in that year; `include_proposed`: count proposed deals too.

        `save=None` (the default) stores the result in flow_edge, flow_cycle and flow_cycle_edge (for SQL)
        exactly when it is the whole book's (no as_of, year or include_proposed), as the command does;
        `save=False` never writes (a read, fine on a read-only database); `save=True` always stores.
        """
        request = FlowRequest(max_length, as_of, year, include_proposed)
        return flow_use_cases.cycles(self.unit_of_work, request, save=save)

    def agreements(self, agreements: Sequence[str] = ()) -> pd.DataFrame:
        """Every agreement (or those named): parties, amount (minor units and Decimal), term, profile, status."""
        frame = services.agreements(self.unit_of_work, tuple(agreements))
        disclosed = frame["amount_minor"].notna()
        frame["amount"] = None
        frame.loc[disclosed, "amount"] = pd.Series(
            amount_decimal(frame.loc[disclosed, "amount_minor"].astype("int64"), frame.loc[disclosed, "currency"]),
            index=frame.index[disclosed],
            dtype=object,
        )
        return frame

    def agreement_records(self, agreements: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every agreement (or those named), by id, as an entry of an import file that `import_file` reads
        back as the same agreement: the keys of a YAML entry (AGREEMENT_COLUMNS, in order; missing values
        and defaults left out), amounts as exact decimal text, dates as YYYY-MM-DD, a term as term_months
        or end_date, dated tranches, ramp weights, relations, sources, capacity and minimum. Only str, int,
        lists and dicts: ready for json.dumps. `ledger agreements --format csv|yaml|json` writes these."""
        return services.agreement_records(self.unit_of_work, tuple(agreements))

    def ingest(
        self,
        path: Path | str,
        format: str = "focus",  # noqa: A002 - the CLI's word
        payer: str | None = None,
        payee: str | None = None,
        rule: CountingRule | None = None,
        progress: Progress = silent,
    ) -> IngestSummary:
        """Load a billing file (FOCUS or the simple charge CSV), summed to months, in one transaction.

        The same file a second time changes nothing; a bad row refuses the whole file (InputError).
        """
        options = ChargeOptions(format, payer, payee, rule or CountingRule())
        return spend.ingest(self.unit_of_work, path, options, progress)

    def positions(
        self, as_of: dt.date | None = None, agreements: Sequence[str] = (), *, include_proposed: bool = False
    ) -> list[Position]:
        """Each commitment's burn position on `as_of` (default today), with its periods. Cancelled ones are
        listed with nothing due; proposed ones only with include_proposed."""
        day = as_of or dt.date.today()
        return spend.burn(self.unit_of_work, day, tuple(agreements), include_proposed=include_proposed)

    def burn(
        self, as_of: dt.date | None = None, agreements: Sequence[str] = (), *, include_proposed: bool = False
    ) -> pd.DataFrame:
        """One row per commitment: committed, expected to date, consumed, remaining, run-rates, projected
        shortfall or overage, met_on (money as exact Decimal; see the README for each definition)."""
        frame = burn_output.positions_frame(self.positions(as_of, agreements, include_proposed=include_proposed))
        return _decimals(frame, burn_output.MONEY_COLUMNS)

    def burn_periods(
        self, as_of: dt.date | None = None, agreements: Sequence[str] = (), *, include_proposed: bool = False
    ) -> pd.DataFrame:
        """One row per contract year and minimum period of each commitment, each with the figures of a
        commitment of its required amount (expected, consumed, remaining, run-rates, shortfall) and its gap."""
        frame = burn_output.periods_frame(self.positions(as_of, agreements, include_proposed=include_proposed))
        return _decimals(frame, burn_output.PERIOD_MONEY_COLUMNS)

    def focus_commitments(self, *, include_proposed: bool = False) -> pd.DataFrame:
        """The commitments in the FOCUS 1.3 Contract Commitment dataset shape (text columns); cancelled and
        (unless include_proposed) proposed deals are left out."""
        return burn_output.focus_commitments(spend.commitments(self.unit_of_work, include_proposed=include_proposed))

    def parties(self) -> pd.DataFrame:
        """Every party by name: kind, parent, ultimate_parent (what burn and cycles roll up to), aliases
        (a sorted list of the other names files may use), fiscal_year_end_month and notes."""
        return party_use_cases.parties(self.unit_of_work)

    def merge_parties(
        self, from_name: str, into_name: str, *, dry_run: bool = False, create: bool = False
    ) -> MergeSummary:
        """Fold party `from_name` into party `into_name` in one transaction: its agreements, valuations,
        billed consumption, subsidiaries and aliases move to `into_name`, its name becomes an alias of
        `into_name`, it is deleted, and draw-downs and adjustments are recomputed. `from_name` must be a
        party's name; `into_name` may be an alias. Refused with a LedgerError, nothing written, when a
        name is unknown, both name one party, or a party would pay itself or be its own parent.
        `dry_run=True` checks and counts, and writes nothing. `create=True` renames `from_name` to an
        `into_name` that is not a party yet (keeping `from_name` as its alias)."""
        return party_use_cases.merge_parties(self.unit_of_work, from_name, into_name, dry_run=dry_run, create=create)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


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
