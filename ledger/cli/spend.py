"""Commands of actual spend: ingest billing files, burn-down of commitments, FOCUS commitment export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import (
    AUTHOR_OPTION,
    FORMAT_OPTION,
    KNOWN_AS_OF_OPTION,
    OUTPUT_OPTION,
    PROPOSED_OPTION,
    RAW_CSV_OPTION,
    REASON_OPTION,
    WIDE_OPTION,
    app,
    choice,
    date_option,
    open_ledger,
    output_stream,
    progress_bars,
    say,
    table_or_csv,
    today,
)


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
    author: Annotated[str | None, AUTHOR_OPTION] = None,
    reason: Annotated[str | None, REASON_OPTION] = None,
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

    fmt = choice("--format", fmt_name, ["focus", "csv"])
    columns = {c.name.lower(): c for c in CostColumn}
    chosen = choice("--cost", cost.lower(), list(columns))
    categories = [c.strip().lower() for c in count.split(",") if c.strip()]
    counted = [c.value for c in ChargeCategory if c is not ChargeCategory.TRUE_UP]
    for category in categories:
        choice("--count", category, counted)
    try:
        rule = CountingRule(
            frozenset(ChargeCategory(c) for c in categories), columns[chosen], true_up or DEFAULT_TRUE_UP_PATTERN
        )
    except (ValueError, re.error) as error:
        raise typer.BadParameter(str(error), param_hint="--true-up-pattern") from None
    stage, stop = progress_bars()
    try:
        with open_ledger(author) as book:
            summary = book.ingest(file, fmt, payer, payee, rule, progress=stage, reason=reason)
    finally:
        stop()
    say(summary.describe())


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
    include_proposed: Annotated[bool, PROPOSED_OPTION] = False,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    fmt_name: Annotated[str, FORMAT_OPTION] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """Burn-down of every commitment: committed, expected to date, consumed, remaining, utilization,
    days and months left, required and trailing monthly run-rates, projected shortfall (what true-up
    will bill) or overage, and the date it will be met at the current pace. JSON: {"as_of",
    "commitments": [... with "periods"]}. Definitions in the README."""
    from ledger.render import burn_output
    from ledger.render import output as out_

    fmt = choice("--format", fmt_name, BURN_FORMATS)
    day = date_option("--as-of", as_of) or today()
    with open_ledger() as book:
        positions = book.positions(day, agreement or (), include_proposed=include_proposed, known_as_of=known_as_of)
    with output_stream(output) as out:
        if fmt == "json":
            out_.write_json(burn_output.as_json(positions, day), out)
        elif periods:
            frame = burn_output.periods_frame(positions)
            title = f"Commitment periods on {day}"
            table_or_csv(frame, fmt, out, title, burn_output.PERIODS_TABLE, raw_csv=raw_csv, wide=wide)
        else:
            frame = burn_output.positions_frame(positions)
            title = f"Commitments on {day}"
            table_or_csv(frame, fmt, out, title, burn_output.BURN_TABLE, raw_csv=raw_csv, wide=wide)
    say(f"{len(positions)} commitment{'' if len(positions) == 1 else 's'} on {day}")


@app.command()
def commitments(
    fmt_name: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="focus (CSV) or table.")] = "focus",
    include_proposed: Annotated[bool, PROPOSED_OPTION] = False,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """Export the commitments as a FOCUS 1.3 Contract Commitment dataset whose rows partition each
    contract's committed total: a commitment's binding contract years (tranches) or its whole term, cut
    into its minimum periods and a balance; undisclosed commitments with a capacity as Usage rows.
    Proposed and cancelled deals are left out; period ends are exclusive."""
    from ledger.render import burn_output

    fmt = choice("--format", fmt_name, ["focus", "table"])
    with open_ledger() as book:
        frame = book.focus_commitments(include_proposed=include_proposed, known_as_of=known_as_of)
    with output_stream(output) as out:
        if fmt == "focus":
            table_or_csv(frame, "csv", out, "", burn_output.FOCUS_TABLE, raw_csv=raw_csv)
        else:
            title = "Contract commitments (FOCUS 1.3)"
            table_or_csv(burn_output.focus_table(frame), "table", out, title, burn_output.FOCUS_TABLE, wide=wide)
    say(f"{len(frame)} contract commitment rows of {frame['ContractId'].nunique()} contracts")
