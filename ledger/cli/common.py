"""What every `ledger` command shares: the app, the database option, output, progress and option checks."""

from __future__ import annotations

import copy
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ledger.config import DEFAULT_URL, ENV_URL

if TYPE_CHECKING:
    import pandas as pd

    from ledger.api import Ledger
    from ledger.progress import Progress
    from ledger.render.tables import TableSpec


class LedgerGroup(TyperGroup):
    """A command group whose options every command below it accepts too: `ledger schedule --db URL` is
    `ledger --db URL schedule`, and `ledger parties list --db URL` works as well.

    Each command and group under it gets a copy of the group's options (the app's: --db and --version),
    declared in one place, `main_options`. A copy passes its value on through the option's callback rather
    than to the command's function, so no command declares them. Given twice, the one after the command
    counts.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _hand_down(self.params, self.commands.values())


def _hand_down(options: list[Any], commands: Iterable[Any]) -> None:
    for command in commands:
        taken = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
        for option in options:
            if taken & {*option.opts, *option.secondary_opts}:
                raise ValueError(f"{command.name} declares {option.opts[0]} itself: it is a global option")
            shown = copy.copy(option)
            shown.expose_value = False  # the command's function never sees it: the callback keeps it
            command.params.append(shown)
        _hand_down(options, getattr(command, "commands", {}).values())


# How every command group behaves: help on a bare command, -h, no completion, no rich tracebacks, and
# the app's options accepted after any command's name (LedgerGroup).
GROUP_SETTINGS: dict[str, Any] = {
    "cls": LedgerGroup,
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}

app = typer.Typer(name="ledger", **GROUP_SETTINGS)  # its help is main_options' docstring

GRAINS = ["month", "quarter", "year", "fiscal-year", "contract-year"]
FORMATS = ["table", "csv", "json"]


class State:
    url: str | None = None


def _version(value: bool) -> None:
    if value:
        from ledger import __version__

        typer.echo(f"ledger {__version__}")
        raise typer.Exit()


def _database(ctx: typer.Context, value: str | None) -> str | None:
    # Read before the other options (eager), so that -o FILE is checked against this database. The app's
    # own --db always sets it, so that each run in one process starts afresh; a command's copy only when
    # given, after the app's.
    if value is not None or ctx.parent is None:
        State.url = value
    return value


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            callback=_database,
            is_eager=True,
            help=f"Database URL (else ${ENV_URL}, else {DEFAULT_URL}).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Exact ledger of cloud commitments, chip agreements, investments and their amortized schedules.

    The options here may also follow the command: `ledger schedule --db URL` is `ledger --db URL schedule`.
    """


def open_ledger(author: str | None = None) -> Ledger:
    from ledger.api import Ledger

    return Ledger(State.url, author=author)


def check_output(path: Path | None) -> Path | None:
    """-o FILE, refused as the option is read (before any database work) if it cannot be written:
    a missing folder, a folder, a read-only file or folder, the ledger's own database file. `-o -` is
    standard output."""
    if path is not None and not to_stdout(path):
        from ledger.render.files import check_writable

        check_writable(path)
        _refuse_database(path)
    return path


def to_stdout(path: Path | None) -> bool:
    """Whether output goes to standard output: no -o, or `-o -`."""
    return path is None or str(path) == "-"


def _refuse_database(path: Path) -> None:
    """Writing a listing over the SQLite file being read would destroy the ledger."""
    from ledger.api import sqlite_file

    database = sqlite_file(State.url)
    if database is not None and path.exists() and database.exists() and path.samefile(database):
        from ledger.render.files import OutputFileError

        raise OutputFileError(path, "it is the ledger's database")


@contextmanager
def output_stream(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or FILE written whole or not at all: a failed render leaves no file and an old FILE untouched."""
    if path is None or to_stdout(path):
        yield sys.stdout
        return
    from ledger.render.files import atomic_output

    _refuse_database(path)
    with atomic_output(path) as handle:
        yield handle


def progress_bars() -> tuple[Progress, Callable[[], None]]:
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


def say(message: str) -> None:
    typer.echo(message, err=True)


FORMAT_OPTION = typer.Option("--format", "-f", help="table, csv or json.", metavar="FORMAT")
OUTPUT_OPTION = typer.Option(
    "--output",
    "-o",
    metavar="FILE",
    callback=check_output,
    help="Write to FILE instead of stdout (- is stdout): whole or not at all (a temporary file beside it, renamed "
    "into place).",
)
RAW_CSV_OPTION = typer.Option(
    "--raw-csv",
    help="CSV cells exactly as stored, for programs. By default a text cell beginning with = + - @, a tab or a "
    "carriage return gets a leading ' so that a spreadsheet shows it instead of running it as a formula "
    "(amounts, dates and counts are never changed). JSON is always raw.",
)
PROPOSED_OPTION = typer.Option(
    "--include-proposed", help="Count proposed deals (talks, letters of intent) too; cancelled ones never count."
)
FISCAL_OPTION = typer.Option(
    "--fiscal-calendar",
    metavar="WHOSE",
    help="For --by fiscal-year: 'payer', 'payee', or a calendar such as 'jun' or '52-53:jan:sun:last'.",
)


WIDE_OPTION = typer.Option(
    "--wide",
    help="Tables: every column on its own line of cells, however wide. Without it a table fits the terminal "
    "(80 columns, or $COLUMNS, off a terminal): ids and amounts are never cut, and less important columns "
    "are stacked under others or left out (the table says which).",
)


AUTHOR_OPTION = typer.Option(
    "--author", metavar="NAME", help="Who makes this change, for the history (else $LEDGER_AUTHOR, else your OS user)."
)
REASON_OPTION = typer.Option("--reason", metavar="TEXT", help="Why, for the history.")


def _moment(value: str | None) -> str | None:
    if value is not None:
        from ledger.domain.history import parse_moment

        try:
            parse_moment(value)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return value


KNOWN_AS_OF_OPTION = typer.Option(
    "--known-as-of",
    metavar="WHEN",
    callback=_moment,
    help="The answer the ledger would have given then, from its history: an ISO date (its end) or date-time "
    "(UTC unless it has an offset), such as 2026-11-30 or 2026-11-30T17:00:00Z.",
)


def fiscal_option(parse: Callable[[str], Any], value: str) -> Any:
    try:
        return parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--fiscal-calendar") from None


def choice(option: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return value


def render(
    text: pd.DataFrame,
    fmt: str,
    out: IO[str],
    *,
    title: str,
    json_key: str,
    table: TableSpec,
    meta: dict[str, Any] | None = None,
    raw_csv: bool = False,
    wide: bool = False,
) -> None:
    from ledger.render import output

    if fmt == "csv":
        output.write_csv(text, out, raw=raw_csv)
    elif fmt == "json":
        output.write_json({**(meta or {}), json_key: output.records(text)}, out)
    else:
        from ledger.render.tables import print_table

        print_table(text, table, out, title=title, wide=wide)


def table_or_csv(
    frame: pd.DataFrame,
    fmt: str,
    out: IO[str],
    title: str,
    table: TableSpec,
    *,
    raw_csv: bool = False,
    wide: bool = False,
) -> None:
    if fmt == "csv":
        from ledger.render.output import write_csv

        write_csv(frame, out, raw=raw_csv)
        return
    from ledger.render.tables import print_table

    print_table(frame, table, out, title=title, wide=wide)


def date_option(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date written YYYY-MM-DD", param_hint=name) from None


def today() -> dt.date:
    return dt.date.today()
