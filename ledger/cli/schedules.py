"""Commands that read schedules: schedule (gross or consolidated), adjustments, reconcile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import (
    FISCAL_OPTION,
    FORMAT_OPTION,
    FORMATS,
    GRAINS,
    KNOWN_AS_OF_OPTION,
    OUTPUT_OPTION,
    PROPOSED_OPTION,
    RAW_CSV_OPTION,
    WIDE_OPTION,
    app,
    choice,
    fiscal_option,
    open_ledger,
    output_stream,
    render,
    say,
    to_stdout,
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
    include_proposed: Annotated[bool, PROPOSED_OPTION] = False,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """Print amortized schedules, amounts exact to the cent.

    CSV columns: agreement_id, period, period_start, period_end (inclusive), amount, currency.
    With --consolidated: payer, payee, resource, period, period_start, period_end, amount, currency
    (--by-agreement: agreement_id, contract_id first).
    """
    from ledger.api import fiscal_choice
    from ledger.domain.calendars import Grain
    from ledger.render import listings
    from ledger.render import output as out_

    grain = Grain(choice("--by", by, GRAINS))
    fmt = choice("--format", fmt_name, FORMATS)
    fiscal = fiscal_option(fiscal_choice, fiscal_calendar)
    if (rollup or by_agreement or include_proposed) and not consolidated:
        raise typer.BadParameter("only with --consolidated", param_hint="--rollup/--by-agreement/--include-proposed")
    with open_ledger() as book:
        if consolidated:
            frame = book.consolidated(
                grain, agreement or (), payer, payee, fiscal, rollup=rollup, by_agreement=by_agreement,
                include_proposed=include_proposed, decimals=False, known_as_of=known_as_of,
            )  # fmt: skip
            columns = [*(("agreement_id", "contract_id") if by_agreement else ()), *out_.CONSOLIDATED_CSV_COLUMNS]
        else:
            frame = book.schedule(grain, agreement or (), payer, payee, fiscal, decimals=False, known_as_of=known_as_of)
            columns = out_.SCHEDULE_CSV_COLUMNS
    title = f"{'Consolidated schedule' if consolidated else 'Schedule'} by {grain}"
    table = listings.consolidated(by_agreement) if consolidated else listings.SCHEDULE
    with output_stream(output) as out:
        text = out_.as_text(frame, columns)
        meta = {"by": grain.value}
        render(text, fmt, out, title=title, json_key="lines", table=table, meta=meta, raw_csv=raw_csv, wide=wide)
    if not to_stdout(output):
        say(f"wrote {len(frame)} schedule lines to {output}")


@app.command()
def adjustments(
    by: Annotated[str, typer.Option("--by", help="Period size: " + ", ".join(GRAINS) + ".", metavar="GRAIN")] = "year",
    fiscal_calendar: Annotated[str, FISCAL_OPTION] = "payer",
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """List what consolidation removes from each agreement's gross schedule, by period, and why.

    Columns: agreement_id, relation_kind, related_id, period, period_start, period_end, amount
    (negative: removed), currency. A superseded agreement loses its remainder from the newer one's
    start; a whole loses what its tranche_of parts count themselves.
    """
    from ledger.api import fiscal_choice
    from ledger.domain.calendars import Grain
    from ledger.render import listings
    from ledger.render import output as out_

    grain = Grain(choice("--by", by, GRAINS))
    fmt = choice("--format", fmt_name, FORMATS)
    fiscal = fiscal_option(fiscal_choice, fiscal_calendar)
    with open_ledger() as book:
        frame = book.adjustments(grain, fiscal, decimals=False, known_as_of=known_as_of)
    text = out_.as_text(frame, out_.ADJUSTMENT_CSV_COLUMNS)
    with output_stream(output) as out:
        render(
            text, fmt, out, title=f"Adjustments by {grain}", json_key="adjustments", table=listings.ADJUSTMENTS,
            meta={"by": grain.value}, raw_csv=raw_csv, wide=wide,
        )  # fmt: skip


@app.command()
def reconcile(
    fmt_name: Annotated[
        str, typer.Option("--format", "-f", help="table or json (see the README's schema).", metavar="FORMAT")
    ] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with status 1 if any finding is an error.")] = False,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """Report what does not add up: unexplained overlaps, probable duplicates, parts against wholes,
    valuations, rates taken for totals, relation loops, and notes naming unrelated agreements."""
    from ledger.api import findings_frame
    from ledger.render import listings
    from ledger.render import output as out_

    fmt = choice("--format", fmt_name, ["table", "json"])
    with open_ledger() as book:
        findings = book.reconcile(known_as_of=known_as_of)
    counts = {severity: sum(f.severity == severity for f in findings) for severity in ("error", "warning", "info")}
    with output_stream(output) as out:
        if fmt == "json":
            out_.write_json({"findings": [f.as_json() for f in findings], "counts": counts}, out)
        else:
            listings.print_findings(findings_frame(findings), out, wide=wide)
    say(f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    if strict and counts["error"]:
        raise typer.Exit(1)
