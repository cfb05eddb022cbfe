"""The `ledger` command: parse, call the service, render. Heavy libraries load inside the commands."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from ledger.config import DEFAULT_URL, ENV_URL, display_url
from ledger.errors import LedgerError

if TYPE_CHECKING:
    import pandas as pd

    from ledger.api import Ledger
    from ledger.progress import Progress

app = typer.Typer(
    name="ledger",
    help="Exact ledger of cloud commitments, chip agreements, investments and their amortized schedules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

GRAINS = ["month", "quarter", "year", "fiscal-year", "contract-year"]
FORMATS = ["table", "csv", "json"]


class State:
    url: str | None = None


def _version(value: bool) -> None:
    if value:
        from ledger import __version__

        typer.echo(f"ledger {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", metavar="URL", help=f"Database URL (else ${ENV_URL}, else {DEFAULT_URL}).", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Exact ledger of cloud commitments, chip agreements, investments and their amortized schedules."""
    State.url = db


def _open() -> Ledger:
    from ledger.api import Ledger

    return Ledger(State.url)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


def _progress_bars() -> tuple[Progress, Callable[[], None]]:
    """A rich progress display on stderr when it is a terminal; silent otherwise."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    display = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not console.is_terminal, transient=True,
    )  # fmt: skip
    display.start()

    def stage(description: str, total: int | None) -> Callable[[int], None]:
        task = display.add_task(description, total=total)
        return lambda n: display.advance(task, n)

    return stage, display.stop


def _say(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def init() -> None:
    """Create the ledger's schema in the database, or upgrade it to the newest version."""
    with _open() as book:
        before, after = book.init()
    if before == after:
        _say(f"schema already at the newest revision {after}: {display_url(book.url)}")
    else:
        change = "created" if before is None else f"upgraded from {before}"
        _say(f"schema {change} at revision {after}: {display_url(book.url)}")


@app.command()
def seed(
    founding_example: Annotated[
        bool,
        typer.Option("--founding-example", help="Load only the parties and the founding example (27 Feb 2026 report)."),
    ] = False,
) -> None:
    """Load the bundled seeds: the founding example and the publicly reported deals, with sources."""
    stage, stop = _progress_bars()
    try:
        with _open() as book:
            summary = book.seed(progress=stage, founding_example_only=founding_example)
    finally:
        stop()
    _say(f"seeded {display_url(book.url)}: {summary.describe()}")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="CSV or YAML files of agreements.")],
) -> None:
    """Import agreements (CSV or YAML) in one transaction: one bad row and nothing is written.

    CSV columns: agreement_id, kind, payer, payee, amount, currency,
    start_date, and term_months or end_date (inclusive); optional profile,
    basis, resource, amount_qualifier, relation_to, relation_kind,
    source_url, notes and more (see the README). Unknown parties are created.
    Re-importing an agreement updates it; unchanged agreements are left alone.
    """
    stage, stop = _progress_bars()
    try:
        with _open() as book:
            summary = book.import_file(*files, progress=stage)
    finally:
        stop()
    _say(f"imported {', '.join(map(str, files))}: {summary.describe()}")


FORMAT_OPTION = typer.Option("--format", "-f", help="table, csv or json.", metavar="FORMAT")
OUTPUT_OPTION = typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
FISCAL_OPTION = typer.Option(
    "--fiscal-calendar",
    metavar="WHOSE",
    help="For --by fiscal-year: 'payer', 'payee', or a calendar such as 'jun' or '52-53:jan:sun:last'.",
)


@app.command()
def schedule(
    by: Annotated[str, typer.Option("--by", help="Period size: " + ", ".join(GRAINS) + ".", metavar="GRAIN")] = "year",
    agreement: Annotated[
        list[str] | None, typer.Option("--agreement", "-a", metavar="ID", help="Only this agreement (repeatable).")
    ] = None,
    payer: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only agreements paid by NAME or its subsidiaries.")
    ] = None,
    payee: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only agreements paid to NAME or its subsidiaries.")
    ] = None,
    fiscal_calendar: Annotated[str, FISCAL_OPTION] = "payer",
    consolidated: Annotated[
        bool,
        typer.Option(
            "--consolidated",
            help="Nothing counted twice (relations applied); lines by payer, payee, resource and period.",
        ),
    ] = False,
    rollup: Annotated[
        bool, typer.Option("--rollup", help="With --consolidated: payers and payees as their parent companies.")
    ] = False,
    by_agreement: Annotated[
        bool, typer.Option("--by-agreement", help="With --consolidated: one line per agreement, with its contract.")
    ] = False,
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
) -> None:
    """Print amortized schedules, amounts exact to the cent.

    CSV columns: agreement_id, period, period_start, period_end (inclusive), amount, currency.
    With --consolidated: payer, payee, resource, period, period_start, period_end, amount, currency
    (--by-agreement: agreement_id, contract_id first).
    """
    from ledger import services
    from ledger.api import fiscal_choice
    from ledger.domain.calendars import Grain
    from ledger.io import output as out_

    grain = Grain(_choice("--by", by, GRAINS))
    fmt = _choice("--format", fmt_name, FORMATS)
    fiscal = _fiscal(fiscal_choice, fiscal_calendar)
    if (rollup or by_agreement) and not consolidated:
        raise typer.BadParameter("only with --consolidated", param_hint="--rollup/--by-agreement")
    with _open() as book:
        if consolidated:
            request = services.ConsolidatedRequest(
                grain, tuple(agreement or ()), payer, payee, fiscal, rollup=rollup, by_agreement=by_agreement
            )
            frame = services.consolidated_schedule(book.unit_of_work, request)
            columns = [*(("agreement_id", "contract_id") if by_agreement else ()), *out_.CONSOLIDATED_CSV_COLUMNS]
        else:
            request_ = services.ScheduleRequest(grain, tuple(agreement or ()), payer, payee, fiscal)
            frame = services.schedule(book.unit_of_work, request_)
            columns = out_.SCHEDULE_CSV_COLUMNS
    title = f"{'Consolidated schedule' if consolidated else 'Schedule'} by {grain}"
    with _output(output) as out:
        _render(out_.as_text(frame, columns), fmt, out, title=title, json_key="lines", meta={"by": grain.value})
    if output is not None:
        _say(f"wrote {len(frame)} schedule lines to {output}")


@app.command()
def adjustments(
    by: Annotated[str, typer.Option("--by", help="Period size: " + ", ".join(GRAINS) + ".", metavar="GRAIN")] = "year",
    fiscal_calendar: Annotated[str, FISCAL_OPTION] = "payer",
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
) -> None:
    """List what consolidation removes from each agreement's gross schedule, by period, and why.

    Columns: agreement_id, relation_kind, related_id, period, period_start, period_end, amount
    (negative: removed), currency. A superseded agreement loses its remainder from the newer one's
    start; a whole loses what its tranche_of parts count themselves.
    """
    from ledger import services
    from ledger.api import fiscal_choice
    from ledger.domain.calendars import Grain
    from ledger.io import output as out_

    grain = Grain(_choice("--by", by, GRAINS))
    fmt = _choice("--format", fmt_name, FORMATS)
    with _open() as book:
        frame = services.adjustments(book.unit_of_work, grain, _fiscal(fiscal_choice, fiscal_calendar))
    text = out_.as_text(frame, out_.ADJUSTMENT_CSV_COLUMNS)
    with _output(output) as out:
        _render(text, fmt, out, title=f"Adjustments by {grain}", json_key="adjustments", meta={"by": grain.value})


@app.command()
def reconcile(
    fmt_name: Annotated[
        str, typer.Option("--format", "-f", help="table or json (see the README's schema).", metavar="FORMAT")
    ] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with status 1 if any finding is an error.")] = False,
) -> None:
    """Report what does not add up: unexplained overlaps, probable duplicates, parts against wholes,
    valuations, rates taken for totals, relation loops, and notes naming unrelated agreements."""
    from ledger import services
    from ledger.io import output as out_

    fmt = _choice("--format", fmt_name, ["table", "json"])
    with _open() as book:
        findings = services.reconcile(book.unit_of_work)
    counts = {severity: sum(f.severity == severity for f in findings) for severity in ("error", "warning", "info")}
    with _output(output) as out:
        if fmt == "json":
            out_.write_json({"findings": [f.as_json() for f in findings], "counts": counts}, out)
        else:
            frame = services.findings_frame(findings)
            shown = frame[["severity", "kind", "agreements", "message", "difference"]]
            out_.render_table(shown, out, title="Reconciliation", right=["difference"], wrap=["agreements", "message"])
    _say(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    if strict and counts["error"]:
        raise typer.Exit(1)


def _fiscal(parse: Callable[[str], Any], value: str) -> Any:
    try:
        return parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--fiscal-calendar") from None


def _choice(option: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return value


def _render(
    text: pd.DataFrame, fmt: str, out: IO[str], *, title: str, json_key: str, meta: dict[str, Any] | None = None
) -> None:
    from ledger.io import output

    if fmt == "csv":
        output.write_csv(text, out)
    elif fmt == "json":
        output.write_json({**(meta or {}), json_key: output.records(text)}, out)
    else:
        amounts = [c for c in text.columns if c in ("amount", "difference")]
        shown = text.assign(**{c: [output.grouped_amount(a) if a else "" for a in text[c]] for c in amounts})
        output.render_table(shown, out, title=title, right=amounts)


CYCLE_FORMATS = ["table", "csv", "json", "dot", "png", "svg"]


@app.command()
def cycles(
    max_length: Annotated[int, typer.Option("--max-length", metavar="N", min=2, help="Longest loop, in parties.")] = 4,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="Only agreements announced by DATE (YYYY-MM-DD).")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", metavar="YYYY", help="Only money scheduled in YYYY.")] = None,
    fmt_name: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json, dot, png or svg.", metavar="FORMAT")
    ] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
) -> None:
    """Find the loops of investment and spend between parent companies (cyclic financing), with their
    bottlenecks, the share of investments that come back as committed spend, and how much of each
    supplier's backlog its own investments fund. Without --as-of and --year, also stores the result in
    the flow_edge, flow_cycle and flow_cycle_edge tables for SQL."""
    import datetime as dt

    from ledger.services import flows

    fmt = _choice("--format", fmt_name, CYCLE_FORMATS)
    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"{as_of!r} is not a date written YYYY-MM-DD", param_hint="--as-of") from None
    request = flows.FlowRequest(max_length, day, year)
    with _open() as book:
        analysis = flows.analyse_flows(book.unit_of_work, request)
        if day is None and year is None:
            flows.save_flows(book.unit_of_work, analysis)
    if fmt in ("png", "svg"):
        from ledger.io.graphs import draw

        target = output or Path(f"cycles.{fmt}")
        if target.suffix.lower() != f".{fmt}":
            raise typer.BadParameter(f"a file ending in .{fmt}", param_hint="--output")
        draw(analysis.edges, analysis.cycles, target, title=_flow_title(request, picture=True))
        _say(f"drew {len(analysis.edges)} flows and {len(analysis.cycles)} cycles to {target}")
        return
    with _output(output) as out:
        _render_flows(analysis, fmt, out, request)
    _say(f"{len(analysis.cycles)} cycles of at most {max_length} parties among {len(analysis.edges)} flows")


def _flow_title(request: Any, picture: bool = False) -> str:
    scope = f" in {request.year}" if request.year else ""
    known = f", agreements known by {request.as_of}" if request.as_of else ""
    if picture:
        return f"Flows between parent companies{scope}{known} (red: in a loop of at most {request.max_length})"
    return f"Loops of money between parent companies{scope}{known}, at most {request.max_length} parties"


def _render_flows(analysis: Any, fmt: str, out: IO[str], request: Any) -> None:
    from ledger.io import flows_output

    if fmt == "dot":
        from ledger.io.graphs import to_dot

        out.write(to_dot(analysis.edges, analysis.cycles))
    elif fmt == "json":
        from ledger.io import output

        output.write_json(flows_output.as_json(analysis, request), out)
    elif fmt == "csv":
        from ledger.io import output

        output.write_csv(flows_output.cycles_text(analysis.cycles), out)
    else:
        flows_output.render_tables(analysis, out, _flow_title(request))


@app.command()
def agreements(
    fmt_name: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.", metavar="FORMAT")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """List the agreements: parties, amount, qualifier, term, profile and status."""
    from ledger import services
    from ledger.io import output as out_

    fmt = _choice("--format", fmt_name, FORMATS)
    with _open() as book:
        shown = out_.agreements_for_output(services.agreements(book.unit_of_work))
    with _output(output) as out:
        if fmt == "csv":
            out_.write_csv(shown, out)
        elif fmt == "json":
            out_.write_json({"agreements": out_.records(shown)}, out)
        else:
            table = shown[["agreement_id", "kind", "payer", "payee", "amount", "currency", "start_date", "end_date"]]
            table = table.assign(amount=[out_.grouped_amount(a) if a else "undisclosed" for a in table["amount"]])
            out_.render_table(table, out, title="Agreements", right=["amount"])


@app.command()
def quickstart(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="Where to write the yearly schedule CSV.")
    ] = Path("schedule.csv"),
) -> None:
    """The whole main job on the embedded default: create ./ledger.db (or --db), load the seeds, print the
    founding example's yearly schedule and write every agreement's yearly schedule to schedule.csv.

    LEDGER_DATABASE_URL is not used here, so that a try-out never writes to a team database.
    """
    from ledger import services
    from ledger.domain.calendars import Grain
    from ledger.io import output as out_

    State.url = State.url or DEFAULT_URL
    with _open() as book:
        book.init()
        summary = book.seed()
        founding = services.founding_example_keys()
        everything = services.schedule(book.unit_of_work, services.ScheduleRequest(Grain.YEAR))
        parties = services.agreements(book.unit_of_work).set_index("agreement_id")[["kind", "payer", "payee"]]
    _say(f"ledger at {display_url(book.url)}: {summary.describe()}")
    text = out_.schedule_for_output(everything[everything["agreement_id"].isin(founding)])
    text = text.join(parties, on="agreement_id").assign(amount=[out_.grouped_amount(a) for a in text["amount"]])
    out_.render_table(
        text[["agreement_id", "kind", "payer", "payee", "period", "amount", "currency"]],
        sys.stdout,
        title="Founding example: yearly schedule",
        caption="tranche_of rows are parts of their round, not additions to it",
    )
    with _output(output) as handle:
        out_.write_csv(out_.schedule_for_output(everything), handle)
    agreements_count = everything["agreement_id"].nunique()
    _say(f"wrote {len(everything)} yearly schedule lines of {agreements_count} agreements to {output}")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A FOCUS cost-and-usage file, or a charge CSV.")],
    fmt_name: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="focus (FOCUS 1.x columns) or csv (simple).")
    ] = "focus",
    payer: Annotated[
        str | None, typer.Option("--payer", metavar="NAME", help="Who pays (else BillingAccountName, then Id).")
    ] = None,
    payee: Annotated[
        str | None,
        typer.Option("--payee", metavar="NAME", help="Who is paid (else ProviderName, then InvoiceIssuerName)."),
    ] = None,
    count: Annotated[
        str,
        typer.Option(
            "--count", metavar="CATEGORIES", help="Charge categories that draw commitments down, comma-separated."
        ),
    ] = "usage",
    cost: Annotated[
        str,
        typer.Option(
            "--cost", metavar="COLUMN", help="FOCUS cost that draws down: effective, billed, list, contracted."
        ),
    ] = "effective",
    true_up: Annotated[
        str | None,
        typer.Option(
            "--true-up-pattern", metavar="REGEX", help="Charge descriptions that bill a shortfall (case-insensitive)."
        ),
    ] = None,
) -> None:
    """Load actual spend from a billing file, summed to months, and draw commitments down.

    FOCUS files: payee from ProviderName (else InvoiceIssuerName), payer from BillingAccountName
    (else BillingAccountId); literal NULLs, any-case values and M/D/YY dates are accepted. Simple CSV:
    payer, payee, charge_period_start, charge_period_end (exclusive), amount, currency; optional
    resource, invoice_id, agreement_id, category, description. By default usage counts at its
    EffectiveCost; purchases, taxes, credits and adjustments do not; "End of contract" fees are
    true-ups. The same file twice changes nothing; a bad row and nothing is written.
    """
    from ledger.domain.spend import DEFAULT_TRUE_UP_PATTERN, ChargeCategory, CostColumn, CountingRule

    fmt = _choice("--format", fmt_name, ["focus", "csv"])
    columns = {c.name.lower(): c for c in CostColumn}
    chosen = _choice("--cost", cost.lower(), list(columns))
    categories = [c.strip().lower() for c in count.split(",") if c.strip()]
    counted = [c.value for c in ChargeCategory if c is not ChargeCategory.TRUE_UP]
    for category in categories:
        _choice("--count", category, counted)
    try:
        rule = CountingRule(
            frozenset(ChargeCategory(c) for c in categories), columns[chosen], true_up or DEFAULT_TRUE_UP_PATTERN
        )
    except (ValueError, re.error) as error:
        raise typer.BadParameter(str(error), param_hint="--true-up-pattern") from None
    stage, stop = _progress_bars()
    try:
        with _open() as book:
            summary = book.ingest(file, fmt, payer, payee, rule, progress=stage)
    finally:
        stop()
    _say(summary.describe())


BURN_FORMATS = ["table", "csv", "json"]


@app.command()
def burn(
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="Position on DATE (YYYY-MM-DD; default today).")
    ] = None,
    agreement: Annotated[
        list[str] | None, typer.Option("--agreement", "-a", metavar="ID", help="Only this commitment (repeatable).")
    ] = None,
    periods: Annotated[
        bool, typer.Option("--periods", help="One row per contract year and minimum period instead (table, csv).")
    ] = False,
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
) -> None:
    """Burn-down of every commitment: committed, expected to date, consumed, remaining, utilization,
    days and months left, required and trailing monthly run-rates, projected shortfall (what true-up
    will bill) or overage, and the date it will be met at the current pace. JSON: {"as_of",
    "commitments": [... with "periods"]}. Definitions in the README."""
    from ledger.io import burn_output
    from ledger.io import output as out_

    fmt = _choice("--format", fmt_name, BURN_FORMATS)
    day = _date_option("--as-of", as_of) or _today()
    with _open() as book:
        positions = book.positions(day, agreement or ())
    with _output(output) as out:
        if fmt == "json":
            out_.write_json(burn_output.as_json(positions, day), out)
        elif periods:
            frame = burn_output.periods_frame(positions)
            _table_or_csv(frame, fmt, out, f"Commitment periods on {day}", burn_output.PERIOD_MONEY_COLUMNS)
        else:
            frame = burn_output.positions_frame(positions)
            if fmt == "table":
                frame = frame[BURN_TABLE_COLUMNS]
            _table_or_csv(frame, fmt, out, f"Commitments on {day}", burn_output.MONEY_COLUMNS)
    _say(f"{len(positions)} commitment{'' if len(positions) == 1 else 's'} on {day}")


BURN_TABLE_COLUMNS = [
    "agreement_id", "payer", "payee", "status", "committed", "consumed", "remaining", "utilization", "months_left",
    "required_monthly", "trailing_monthly", "shortfall", "overage", "met_on", "currency",
]  # fmt: skip


@app.command()
def commitments(
    fmt_name: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="focus (CSV) or table.")] = "focus",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
) -> None:
    """Export the commitments in the FOCUS 1.3 Contract Commitment dataset shape: one row for the whole
    term, one per binding contract year (tranches) and one per minimum period; period ends exclusive."""
    fmt = _choice("--format", fmt_name, ["focus", "table"])
    with _open() as book:
        frame = book.focus_commitments()
    with _output(output) as out:
        _table_or_csv(frame, "csv" if fmt == "focus" else "table", out, "Contract commitments (FOCUS 1.3)",
                      ["ContractCommitmentCost"])  # fmt: skip
    _say(f"{len(frame)} contract commitment rows of {frame['ContractId'].nunique()} contracts")


def _table_or_csv(frame: pd.DataFrame, fmt: str, out: IO[str], title: str, money: list[str]) -> None:
    from ledger.io import output as out_

    if fmt == "csv":
        out_.write_csv(frame, out)
        return
    shown = frame.assign(
        **{c: [out_.grouped_amount(v) if isinstance(v, str) else "" for v in frame[c]] for c in money if c in frame}
    )
    numbers = [c for c in (*money, "utilization", "days_left", "months_left") if c in frame]
    out_.render_table(shown, out, title=title, right=numbers)


def _date_option(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD", param_hint=name) from None


def _today() -> dt.date:
    return dt.date.today()


def main() -> None:
    """Entry point: run the app; LedgerErrors and unreachable databases become one-line errors, exit 1."""
    try:
        app()
    except LedgerError as error:
        for line in str(error).splitlines():
            _say(f"error: {line}")
        sys.exit(1)
    except Exception as error:  # only database connection problems are expected here
        from sqlalchemy.exc import OperationalError

        if not isinstance(error, OperationalError):
            raise
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        from ledger.config import database_url

        _say(f"error: cannot use the database {display_url(database_url(State.url))}: {reason}")
        sys.exit(1)


if __name__ == "__main__":
    main()
