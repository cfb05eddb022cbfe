"""Commands of the book of record: show, history, void, restore, delete, uningest."""

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
    app,
    choice,
    date_option,
    open_ledger,
    output_stream,
    say,
)

IDS_ARGUMENT = typer.Argument(metavar="ID...", help="Agreement or valuation ids.")


@app.command()
def show(
    key: Annotated[
        str, typer.Argument(metavar="ID", help="An agreement or valuation id, a party's name, a file's SHA-256.")
    ],
    fmt_name: Annotated[str, typer.Option("--format", "-f", help="table or json.", metavar="FORMAT")] = "table",
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="Burn position on DATE (YYYY-MM-DD; default today).")
    ] = None,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
) -> None:
    """Everything about one record: its fields (qualifier, status, assumptions, sources, relations, tranches,
    minimum, capacity), whether it is in the book, void or deleted, and its history; for an agreement in
    the book also the agreements relating to it, its yearly schedule, its consolidation adjustments and,
    for a commitment, its burn position."""
    from ledger.render.history_output import write_view

    fmt = choice("--format", fmt_name, ["table", "json"])
    day = date_option("--as-of", as_of)
    with open_ledger() as book:
        view = book.show(key, as_of=day, known_as_of=known_as_of)
    with output_stream(output) as out:
        write_view(view, fmt, out)


@app.command()
def history(
    keys: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID...]", help="Only these records (agreement or valuation ids, party names, SHA-256s)."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="WHEN", help="Only changes recorded at or after WHEN (ISO date or date-time)."),
    ] = None,
    entity: Annotated[
        str | None,
        typer.Option("--entity", metavar="KIND", help="Only agreement, party, valuation or billing_file changes."),
    ] = None,
    fmt_name: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.", metavar="FORMAT")] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
) -> None:
    """The changes, newest first: when (UTC), what (entity, id, action), who, why, from which file, line and
    SHA-256, and each field that changed with its old and new value. The history is append-only: the
    database itself refuses to change or delete its rows."""
    from ledger.render.history_output import write_history

    fmt = choice("--format", fmt_name, ["table", "csv", "json"])
    if entity is not None:
        choice("--entity", entity, ["agreement", "party", "valuation", "billing_file"])
    if since is not None:
        from ledger.domain.history import parse_moment

        try:
            parse_moment(since)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--since") from None
    with open_ledger() as book:
        frame = book.history(keys or (), since=since, entity=entity)
    with output_stream(output) as out:
        write_history(frame, fmt, out, raw_csv=raw_csv)
    say(f"{len(frame)} change{'' if len(frame) == 1 else 's'}")


@app.command()
def void(
    keys: Annotated[list[str], IDS_ARGUMENT],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why the record is a mistake (required).")],
    author: Annotated[str | None, AUTHOR_OPTION] = None,
) -> None:
    """Mark records as mistakes: they leave every schedule, consolidation, burn, export and cycle, and stay
    visible, marked void, in `show`, `history` and `agreements --include-void`. `ledger restore` takes a void
    back. A record another one refers to (a tranche's round, a valuation's round) is voided with it or not
    at all."""
    with open_ledger(author) as book:
        summary = book.void(*keys, reason=reason)
    say(summary.describe())


@app.command()
def restore(
    keys: Annotated[list[str], IDS_ARGUMENT],
    reason: Annotated[str | None, REASON_OPTION] = None,
    author: Annotated[str | None, AUTHOR_OPTION] = None,
) -> None:
    """Put voided records back in the book, exactly as they were when voided."""
    with open_ledger(author) as book:
        summary = book.restore(*keys, reason=reason)
    say(summary.describe())


@app.command()
def delete(
    keys: Annotated[list[str], IDS_ARGUMENT],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    reason: Annotated[str | None, REASON_OPTION] = None,
    author: Annotated[str | None, AUTHOR_OPTION] = None,
) -> None:
    """Remove records for good (in the book or void), leaving a tombstone in the history. Only for records
    nothing refers to; asks for confirmation unless --yes. To take a mistake out while keeping it
    restorable, use `ledger void`."""
    if not yes:
        if not sys.stdin.isatty():
            say("error: delete asks for confirmation: run it in a terminal, or pass --yes; nothing deleted")
            raise typer.Exit(1)
        listed = ", ".join(keys)
        if not typer.confirm(f"delete {listed} for good (the history keeps a tombstone)?", err=True):
            say("nothing deleted")
            raise typer.Exit(1)
    with open_ledger(author) as book:
        summary = book.delete(*keys, reason=reason)
    say(summary.describe())


@app.command()
def uningest(
    which: Annotated[
        str, typer.Argument(metavar="FILE|SHA|ID", help="The billing file: its path, its SHA-256 or its id.")
    ],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is withdrawn (required).")],
    author: Annotated[str | None, AUTHOR_OPTION] = None,
) -> None:
    """Withdraw one billing file: its charges leave burn and the commitments are drawn down again without
    them; nothing else changes. Ingesting the same file later loads it again."""
    with open_ledger(author) as book:
        summary = book.uningest(which, reason=reason)
    say(summary.describe())
