"""The parties commands: list the parties with their kinds, parents and aliases; merge one into another."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import (
    AUTHOR_OPTION,
    FORMAT_OPTION,
    FORMATS,
    GROUP_SETTINGS,
    OUTPUT_OPTION,
    RAW_CSV_OPTION,
    REASON_OPTION,
    WIDE_OPTION,
    app,
    choice,
    open_ledger,
    output_stream,
    say,
)

parties_app = typer.Typer(
    name="parties",
    help="List the parties, or merge one into another (a billing file's name into the seeded party).",
    **GROUP_SETTINGS,
)
app.add_typer(parties_app)

ALIAS_SEPARATOR = "; "  # aliases may hold commas ("Amazon Web Services, Inc.")


@parties_app.command("list", short_help="Parties by name, with kind, parent and aliases.")
def list_parties(
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """List the parties by name: kind, parent, ultimate parent (what burn and cycles roll up to), the
    aliases that files may use for it (joined by '; ' in table and CSV, a list in JSON), fiscal
    year-end month and notes. The table shows name, kind, parent and aliases (one per line)."""
    from ledger.render import output as out_

    fmt = choice("--format", fmt_name, FORMATS)
    with open_ledger() as book:
        frame = book.parties()
    with output_stream(output) as out:
        if fmt == "json":
            out_.write_json({"parties": out_.records(frame)}, out)
        elif fmt == "csv":
            out_.write_csv(frame.assign(aliases=[ALIAS_SEPARATOR.join(a) for a in frame["aliases"]]), out, raw=raw_csv)
        else:
            from ledger.render.listings import PARTIES
            from ledger.render.tables import print_table

            print_table(frame, PARTIES, out, title="Parties", wide=wide)
    say(f"{len(frame)} part{'y' if len(frame) == 1 else 'ies'}")


@parties_app.command(short_help="Fold party FROM into party INTO; FROM's name becomes an alias.")
def merge(
    from_name: Annotated[
        str, typer.Argument(metavar="FROM", help="The party to fold in and delete (a party's name, not an alias).")
    ],
    into_name: Annotated[
        str, typer.Argument(metavar="INTO", help="The party that stays (its name or one of its aliases).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the merge and print what would move; write nothing.")
    ] = False,
    create: Annotated[
        bool,
        typer.Option("--create", help="If INTO is not a party yet, rename FROM to INTO (FROM stays its alias)."),
    ] = False,
    author: Annotated[str | None, AUTHOR_OPTION] = None,
    reason: Annotated[str | None, REASON_OPTION] = None,
) -> None:
    """Fold party FROM into party INTO, in one transaction: FROM's agreements (as payer or payee),
    valuations, billed consumption, subsidiaries and aliases move to INTO, FROM's name becomes an alias
    of INTO (later files that name it mean INTO), FROM is deleted, and draw-downs and adjustments are
    recomputed. INTO keeps its own kind, parent and fiscal calendar. A stored `ledger cycles --save` analysis
    is cleared (run it again).

    Refused, with nothing written, when FROM or INTO is unknown, both name one party, FROM is already an
    alias, an agreement or billed charge between them would have one party pay itself, or INTO rolls up
    to FROM. Typical use: `ledger parties merge AWS "Amazon Web Services" --create` after a billing file
    created a party AWS that the seeds declare as an alias of Amazon Web Services (--create: the seeds
    have not been loaded, so Amazon Web Services is not a party yet; AWS is renamed to it).
    """
    with open_ledger(author) as book:
        summary = book.merge_parties(from_name, into_name, dry_run=dry_run, create=create, reason=reason)
    say(summary.describe())
