"""The cycles command: loops of investment and spend between parent companies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from ledger.cli.common import (
    KNOWN_AS_OF_OPTION,
    OUTPUT_OPTION,
    PROPOSED_OPTION,
    RAW_CSV_OPTION,
    WIDE_OPTION,
    app,
    check_output,
    choice,
    open_ledger,
    output_stream,
    say,
    to_stdout,
)

if TYPE_CHECKING:
    from ledger.api import FlowAnalysis, FlowRequest

CYCLE_FORMATS = ["table", "csv", "json", "dot", "png", "svg"]


@app.command()
def cycles(
    max_length: Annotated[int, typer.Option("--max-length", metavar="N", min=2, help="Longest loop, in parties.")] = 4,
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="Only agreements announced by DATE (YYYY-MM-DD).")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", metavar="YYYY", help="Only money scheduled in YYYY.")] = None,
    include_proposed: Annotated[bool, PROPOSED_OPTION] = False,
    known_as_of: Annotated[str | None, KNOWN_AS_OF_OPTION] = None,
    save: Annotated[
        bool,
        typer.Option("--save", help="Also store the result in flow_edge, flow_cycle and flow_cycle_edge (for SQL)."),
    ] = False,
    fmt_name: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json, dot, png or svg.", metavar="FORMAT")
    ] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    raw_csv: Annotated[bool, RAW_CSV_OPTION] = False,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """Find the loops of investment and spend between parent companies (cyclic financing), with their
    bottlenecks, the share of investments that come back as committed spend, and how much of each
    supplier's backlog its own investments fund. A read; with --save it also stores the result in the
    flow_edge, flow_cycle and flow_cycle_edge tables, for SQL (not with --known-as-of: the past is read,
    never stored)."""
    from ledger.api import FlowRequest

    fmt = choice("--format", fmt_name, CYCLE_FORMATS)
    day = None
    if as_of is not None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"{as_of!r} is not a date written YYYY-MM-DD", param_hint="--as-of") from None
    request = FlowRequest(max_length, day, year, include_proposed)  # what the rendering says it shows
    if fmt in ("png", "svg") and output is not None and to_stdout(output):
        raise typer.BadParameter("a picture file (pictures are not written to standard output)", param_hint="--output")
    picture = output or Path(f"cycles.{fmt}")
    if fmt in ("png", "svg"):
        if picture.suffix.lower() != f".{fmt}":
            raise typer.BadParameter(f"a file ending in .{fmt}", param_hint="--output")
        check_output(picture)
    with open_ledger() as book:
        analysis = book.cycles(
            max_length, day, year, include_proposed=include_proposed, save=save, known_as_of=known_as_of
        )
    if fmt in ("png", "svg"):
        from ledger.render.files import atomic_path
        from ledger.render.graphs import draw

        with atomic_path(picture) as part:
            draw(analysis.edges, analysis.cycles, part, title=_flow_title(request, picture=True))
        say(f"drew {len(analysis.edges)} flows and {len(analysis.cycles)} cycles to {picture}")
        return
    with output_stream(output) as out:
        _render_flows(analysis, fmt, out, request, raw_csv, wide)
    say(f"{len(analysis.cycles)} cycles of at most {max_length} parties among {len(analysis.edges)} flows")


def _flow_title(request: FlowRequest, picture: bool = False) -> str:
    scope = f" in {request.year}" if request.year else ""
    known = f", agreements known by {request.as_of}" if request.as_of else ""
    if picture:
        return f"Flows between parent companies{scope}{known} (red: in a loop of at most {request.max_length})"
    return f"Loops of money between parent companies{scope}{known}, at most {request.max_length} parties"


def _render_flows(
    analysis: FlowAnalysis, fmt: str, out: IO[str], request: FlowRequest, raw_csv: bool, wide: bool
) -> None:
    from ledger.render import flows_output

    if fmt == "dot":
        from ledger.render.graphs import to_dot

        out.write(to_dot(analysis.edges, analysis.cycles))
    elif fmt == "json":
        from ledger.render import output

        output.write_json(flows_output.as_json(analysis, request), out)
    elif fmt == "csv":
        from ledger.render import output

        output.write_csv(flows_output.cycles_text(analysis.cycles), out, raw=raw_csv)
    else:
        flows_output.render_tables(analysis, out, _flow_title(request), wide=wide)
