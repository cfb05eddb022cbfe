"""Commands that set the ledger up and fill it: init, seed, import, agreements, quickstart."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import (
    AUTHOR_OPTION,
    KNOWN_AS_OF_OPTION,
    OUTPUT_OPTION,
    RAW_CSV_OPTION,
    REASON_OPTION,
    WIDE_OPTION,
    State,
    app,
    check_output,
    choice,
    open_ledger,
    output_stream,
    progress_bars,
    say,
    to_stdout,
)
from ledger.config import DEFAULT_URL, display_url


@app.command()
def init() -> None:
    """Create the ledger's schema in the database, or upgrade it to the newest version."""
    with open_ledger() as book:
        before, after = book.init()
    if before == after:
        say(f"schema already at the newest revision {after}: {display_url(book.url)}")
    else:
        change = "created" if before is None else f"upgraded from {before}"
        say(f"schema {change} at revision {after}: {display_url(book.url)}")


@app.command()
def seed(
    founding_example: Annotated[
        bool,
        typer.Option("--founding-example", help="Load only the parties and the founding example (27 Feb 2026 report)."),
    ] = False,
    author: Annotated[str | None, AUTHOR_OPTION] = None,
    reason: Annotated[str | None, REASON_OPTION] = None,
) -> None:
    """Load the bundled seeds: the founding example and the publicly reported deals, with sources."""
    stage, stop = progress_bars()
    try:
        with open_ledger(author) as book:
            summary = book.seed(progress=stage, founding_example_only=founding_example, reason=reason)
    finally:
        stop()
    say(f"seeded {display_url(book.url)}: {summary.describe()}")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="CSV or YAML files of agreements.")],
    author: Annotated[str | None, AUTHOR_OPTION] = None,
    reason: Annotated[str | None, REASON_OPTION] = None,
) -> None:
    """Import agreements (CSV or YAML) in one transaction: one bad row and nothing is written.

    CSV columns: agreement_id, kind, payer, payee, amount, currency,
    start_date, and term_months or end_date (inclusive); optional profile,
    basis, resource, amount_qualifier, relation_to, relation_kind,
    source_url, notes and more (see the README). Unknown parties are created.
    Re-importing an agreement updates it, and the history keeps what it was (`ledger history ID`);
    unchanged agreements are left alone.
    """
    stage, stop = progress_bars()
    try:
        with open_ledger(author) as book:
            summary = book.import_file(*files, progress=stage, reason=reason)
    finally:
        stop()
    say(f"imported {', '.join(map(str, files))}: {summary.describe()}")


AGREEMENT_FORMATS = ["table", "csv", "yaml", "json"]


@app.command()
def agreements(
    fmt_name: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, yaml or json.", metavar="FORMAT")
    ] = "table",
    agreement: Annotated[
        list[str] | None, typer.Option("--agreement", "-a", metavar="ID", help="Only this agreement (repeatable).")
    ] = None,
    include_void: Annotated[
        bool, typer.Option("--include-void", help="Table only: list the void agreements too, marked void.")
    ] = False,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """List the agreements (table: parties, amount with its qualifier, status and term), or write them as an
    import file (csv or yaml) holding every field `ledger import` reads: importing it gives the same
    agreements, and exporting those gives the same bytes. json holds the same entries, for programs."""
    fmt = choice("--format", fmt_name, AGREEMENT_FORMATS)
    keys = agreement or []
    if include_void and fmt != "table":
        raise typer.BadParameter("only with --format table (an import file holds the book, not its voids)")
    if fmt != "table":
        from ledger.api import AGREEMENT_COLUMNS
        from ledger.render.agreement_files import write_agreements

        with open_ledger() as book:
            records = book.agreement_records(keys, known_as_of=known_as_of)
        with output_stream(output) as out:
            write_agreements(records, AGREEMENT_COLUMNS, fmt, out, raw=raw_csv)
        return
    from ledger.render import listings
    from ledger.render import output as out_
    from ledger.render.tables import print_table

    with open_ledger() as book:
        frame = book.agreements(keys, known_as_of=known_as_of, include_void=include_void)
    table = listings.agreements_table(out_.agreements_for_output(frame), frame["void"] if include_void else None)
    with output_stream(output) as out:
        print_table(table, listings.AGREEMENTS, out, title="Agreements", wide=wide)


@app.command()
def quickstart(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", callback=check_output, help="Where to write the yearly schedule CSV."
        ),
    ] = Path("schedule.csv"),
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """The whole main job on the embedded default: create ./ledger.db (or --db), load the seeds, print the
    founding example's yearly schedule and write every agreement's yearly schedule to schedule.csv.

    LEDGER_DATABASE_URL is not used here, so that a try-out never writes to a team database.
    """
    from ledger.render import listings
    from ledger.render import output as out_
    from ledger.render.tables import print_table

    State.url = State.url or DEFAULT_URL
    with open_ledger() as book:
        book.init()
        summary = book.seed()
        founding = book.founding_example()
        everything = book.schedule(by="year", decimals=False)
        parties = book.agreements().set_index("agreement_id")[["kind", "payer", "payee"]]
    say(f"ledger at {display_url(book.url)}: {summary.describe()}")
    text = out_.schedule_for_output(everything[everything["agreement_id"].isin(founding)])
    print_table(
        text.join(parties, on="agreement_id"),
        listings.FOUNDING,
        sys.stdout,
        title="Founding example: yearly schedule",
        caption="tranche_of rows are parts of their round, not additions to it",
        wide=wide,
    )
    with output_stream(output) as handle:
        out_.write_csv(out_.schedule_for_output(everything), handle, raw=raw_csv)
    agreements_count = everything["agreement_id"].nunique()
    where = "standard output" if to_stdout(output) else output
    say(f"wrote {len(everything)} yearly schedule lines of {agreements_count} agreements to {where}")
