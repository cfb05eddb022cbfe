"""Terminal tables that fit the terminal: ids and amounts never cut, amounts grouped with their currency,
totals per currency, and less important columns stacked or left out when the terminal is narrow.

A table is a TableSpec: its fields, in order, each with a kind that says how it may give way. When the
table is wider than the terminal, free text wraps first; then fields give way in the order the spec says,
highest `give_way` first, each either moving under another field's column as another line (`under`) or
being left out, until it fits; the caption names what was left out, and --wide shows every field in its
own column however wide that is. What is off a terminal (a file, a pipe) is laid out for $COLUMNS, else
80 columns, so that it does not depend on the terminal that started the command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import IO, Any, Literal

import pandas as pd

from ledger.render.output import QUALIFIER_WORDS, grouped_amount, terminal_safe

Kind = Literal["key", "text", "money", "number"]

DEFAULT_WIDTH = 80  # off a terminal, without $COLUMNS
TEXT_LEAST = 12  # free text wraps down to this many characters (or its longest header word)
TEXT_COMFORTABLE = 24  # ... and is wrapped to at least this before any field gives way
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Field:
    """A column of the frame as a table shows it.

    kind: `key` for ids, codes, dates and labels, never broken (a list of them wraps between its items);
    `text` for free text, which wraps (a word longer than the column folds); `money` for exact decimal
    text, shown grouped with the row's currency and right-aligned; `number`, right-aligned. Nothing is
    ever cut short with an ellipsis.
    give_way: when the table is too wide, fields give way highest first (0: never; equal ones together);
    one with `under` moves, with the fields stacked in its column, into the column of the field `under`
    names, as more lines; one without is left out. leave_out: a later step (lower) at which a field that
    was stacked is left out after all. qualifier: for money, the field of its qualifier (`up_to` reads
    "up to"). right: aligned right (default: money and numbers).
    """

    name: str
    kind: Kind = "key"
    header: str | None = None
    give_way: int = 0
    under: str | None = None
    leave_out: int = 0
    qualifier: str | None = None
    right: bool | None = None

    @property
    def aligned_right(self) -> bool:
        return self.kind in ("money", "number") if self.right is None else self.right

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.name.replace("_", " ")


@dataclass(frozen=True)
class TableSpec:
    """How one command's frame is shown as a table.

    group: consecutive rows alike in these fields form a group, and these fields are shown once, on the
    group's first rows (their lines flow down the group's rows). sums: the money fields added up, per
    currency (never USD to EUR): under each group of more than one row (subtotals) and at the end of a
    table of more than one row (totals), each total line saying so in the `label` field. currency: the
    field of each row's currency.
    """

    fields: tuple[Field, ...]
    group: tuple[str, ...] = ()
    sums: tuple[str, ...] = ()
    subtotals: bool = False
    totals: bool = False
    label: str | None = None
    currency: str = "currency"


@dataclass
class _Row:
    cells: dict[str, str]
    total: bool = False  # a subtotal or total line, shown bold
    ends_section: bool = False  # a rule follows it: the end of a group, or of the rows before the totals


@dataclass
class _Layout:
    columns: list[list[Field]]
    widths: list[int]
    left_out: list[Field] = field(default_factory=list)

    @property
    def width(self) -> int:
        return table_width(self.widths)


def table_width(widths: Sequence[int]) -> int:
    """The width of a table of columns this wide: a border and a space of padding each side of each."""
    return sum(widths) + 3 * len(widths) + 1


def terminal_width(out: IO[str]) -> int:
    """The terminal's width when `out` is a terminal (rich reads it, or $COLUMNS); else $COLUMNS, else 80."""
    from rich.console import Console

    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        return Console(file=out).width
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else DEFAULT_WIDTH


def print_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    out: IO[str],
    *,
    title: str | None = None,
    caption: str | None = None,
    wide: bool = False,
    width: int | None = None,
) -> None:
    """The frame as a table that fits `width` (default: terminal_width), or every field in its own column.

    Every cell, header, title and caption is shown as text: control characters escaped (terminal_safe),
    and no rich markup or emoji codes read from a name (`[link=...]` stays those characters).
    """
    from rich.console import Console

    width = width or terminal_width(out)
    rows = _rows(frame, spec)
    layout = _fit(spec.fields, rows, width, wide)
    note = _left_out_note(layout.left_out, width)
    caption = "\n".join(terminal_safe(c) for c in (caption, note) if c) or None
    table = _rich_table(layout, rows, spec, title, caption)
    console = Console(file=out, width=max(width, layout.width), markup=False, emoji=False, highlight=False)
    console.print(table)


# --- cells, groups and totals ---------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value  # NaN, as pandas fills a missing text with


def _plain(value: Any) -> str:
    """A value as one line of text a terminal shows as it is; a list (or tuple) as one line per item."""
    if _missing(value):
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(_plain(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return terminal_safe(str(value))


def _money(text: str, currency: str, qualifier: str) -> str:
    if not _DECIMAL.fullmatch(text):
        return text  # empty, or words such as "undisclosed"
    shown = f"{grouped_amount(text)} {currency}".rstrip()
    words = QUALIFIER_WORDS.get(qualifier)
    return f"{words} {shown}" if words else shown


def _cells(record: dict[str, Any], spec: TableSpec) -> dict[str, str]:
    currency = _plain(record.get(spec.currency))
    cells = {f.name: _plain(record.get(f.name)) for f in spec.fields}
    for f in spec.fields:
        if f.kind == "money":
            cells[f.name] = _money(cells[f.name], currency, _plain(record.get(f.qualifier)) if f.qualifier else "")
    return cells


def _rows(frame: pd.DataFrame, spec: TableSpec) -> list[_Row]:
    """The table's lines: each record, each group's subtotals (per currency), then the totals."""
    names = [str(c) for c in frame.columns]
    records = [dict(zip(names, values, strict=True)) for values in frame.itertuples(index=False, name=None)]
    groups = _groups(records, spec.group)
    rows: list[_Row] = []
    subtotal = "subtotal" if spec.totals else "total"
    for members in groups:
        rows += [_Row(_cells(r, spec)) for r in members]
        if spec.subtotals and spec.sums and len(members) > 1:
            rows += _total_rows(members, spec, subtotal)
        if spec.group:
            rows[-1].ends_section = True
    if spec.totals and spec.sums and len(records) > 1:  # the total of one line is that line
        rows[-1].ends_section = True
        rows += _total_rows(records, spec, "total")
    return rows


def _groups(records: list[dict[str, Any]], group: Sequence[str]) -> list[list[dict[str, Any]]]:
    """Runs of consecutive records alike in the `group` fields (each record alone without a group)."""
    runs: list[list[dict[str, Any]]] = []
    previous: tuple[str, ...] | None = None
    for record in records:
        key = tuple(_plain(record.get(name)) for name in group)
        if group and runs and key == previous:
            runs[-1].append(record)
        else:
            runs.append([record])
        previous = key
    return runs


def _total_rows(records: Iterable[dict[str, Any]], spec: TableSpec, label: str) -> list[_Row]:
    """One line per currency, in the order of the codes, with each `sums` field added up exactly."""
    sums: dict[str, dict[str, Decimal]] = {}
    with localcontext() as context:
        context.prec = 60  # far above the largest total the ledger holds (18 digits and the sub-cents)
        for record in records:
            currency = _plain(record.get(spec.currency))
            line = sums.setdefault(currency, {})
            for name in spec.sums:
                text = _plain(record.get(name))
                if _DECIMAL.fullmatch(text):
                    line[name] = line.get(name, Decimal(0)) + Decimal(text)
    rows = []
    for currency in sorted(sums):
        cells = dict.fromkeys((f.name for f in spec.fields), "")
        cells.update({name: _money(f"{total:f}", currency, "") for name, total in sums[currency].items()})
        if spec.label is not None:
            cells[spec.label] = label
        rows.append(_Row(cells, total=True))
    return rows


# --- widths ----------------------------------------------------------------------------------------------


def _cell_len(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _longest_word(texts: Iterable[str]) -> int:
    return max((_cell_len(word) for text in texts for word in text.split()), default=0)


@dataclass(frozen=True)
class _Measure:
    least: int  # never narrower: the longest id, amount or number, or header word
    comfortable: int  # free text wrapped no narrower than this before any field gives way
    natural: int  # every cell and the header on one line


def _measure(f: Field, rows: Sequence[_Row]) -> _Measure:
    cells = [rows_cell for row in rows for rows_cell in row.cells[f.name].split("\n")]
    longest = max((_cell_len(c) for c in cells), default=0)
    natural = max(longest, _cell_len(f.title), 1)
    header_word = _longest_word([f.title])
    if f.kind == "text":
        least = max(min(longest, TEXT_LEAST), header_word, 1)
        return _Measure(least, max(least, min(natural, TEXT_COMFORTABLE)), natural)
    least = max(_longest_word(cells) if f.kind == "key" else longest, header_word, 1)
    return _Measure(least, least, natural)


def _column_measure(column: list[Field], measures: dict[str, _Measure]) -> _Measure:
    """A column's widths: its fields' widest; stacked fields' headers each on one line, so that the header's
    lines name the cells' lines in order."""
    headers = max((_cell_len(f.title) for f in column), default=0) if len(column) > 1 else 0
    least = max(headers, *(measures[f.name].least for f in column))
    return _Measure(
        least,
        max(least, *(measures[f.name].comfortable for f in column)),
        max(least, *(measures[f.name].natural for f in column)),
    )


def _fit(fields: Sequence[Field], rows: Sequence[_Row], width: int, wide: bool) -> _Layout:
    """The columns and their widths: every field on its own, or giving way until the table fits `width`."""
    measures = {f.name: _measure(f, rows) for f in fields}
    columns = [[f] for f in fields]
    left_out: list[Field] = []

    def needed(stage: str) -> int:
        return table_width([getattr(_column_measure(c, measures), stage) for c in columns])

    if wide or needed("natural") <= width:
        return _Layout(columns, [_column_measure(c, measures).natural for c in columns])
    for step in sorted({n for f in fields for n in (f.give_way, f.leave_out) if n}, reverse=True):
        if needed("comfortable") <= width:
            break
        for f in (f for f in fields if f.give_way == step):  # fields with one give_way give way together
            _give_way(f, fields, columns, left_out)
        for f in (f for f in fields if f.leave_out == step and f not in left_out):
            column = next(c for c in columns if f in c)
            column.remove(f)
            left_out.append(f)
            if not column:
                columns.remove(column)
    measured = [_column_measure(c, measures) for c in columns]
    return _Layout(columns, _distribute(measured, width - table_width([0] * len(columns))), left_out)


def _give_way(f: Field, fields: Sequence[Field], columns: list[list[Field]], left_out: list[Field]) -> None:
    """Move f's column under the column of `f.under`, or leave it out (with what is stacked under it)."""
    column = next(c for c in columns if f in c)
    columns.remove(column)
    target = next((c for c in columns if any(g.name == f.under for g in c)), None)
    if target is None:
        left_out += column
    else:
        target += column
        target.sort(key=fields.index)  # stacked in the spec's order, whatever order they gave way in


def _distribute(measured: list[_Measure], room: int) -> list[int]:
    """Widths from each column's least, grown a character at a time, in turn, first to the comfortable
    width of free text and then to every column's natural width, while there is room."""
    widths = [m.least for m in measured]
    for goal in ("comfortable", "natural"):
        targets = [getattr(m, goal) for m in measured]
        growing = True
        while growing and sum(widths) < room:
            growing = False
            for i, target in enumerate(targets):
                if widths[i] < target and sum(widths) < room:
                    widths[i] += 1
                    growing = True
    return widths


def _left_out_note(left_out: Sequence[Field], width: int) -> str | None:
    if not left_out:
        return None
    return f"Not shown at {width} columns: {', '.join(f.title for f in left_out)} (--wide shows every column)."


# --- lines -----------------------------------------------------------------------------------------------


def _fold(word: str, width: int) -> list[str]:
    """A word longer than the column, in pieces of at most `width` cells: folded, never cut."""
    pieces, piece = [], ""
    for char in word:
        if piece and _cell_len(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]


def wrap(text: str, width: int) -> list[str]:
    """Text as lines of at most `width` cells, broken between words (a word too long for it is folded)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            pieces = _fold(word, width) if _cell_len(word) > width else [word]
            for piece in pieces:
                if line and _cell_len(f"{line} {piece}") <= width:
                    line = f"{line} {piece}"
                else:
                    if line:
                        lines.append(line)
                    line = piece
        lines.append(line)
    return lines


def _aligned(lines: list[str], width: int, right: bool) -> list[str]:
    pad = [" " * max(width - _cell_len(line), 0) for line in lines]
    return [p + line if right else line + p for line, p in zip(lines, pad, strict=True)]


def _field_lines(f: Field, text: str, width: int) -> list[str]:
    return _aligned(wrap(text, width), width, right=f.aligned_right)


def _cell_lines(column: list[Field], row: _Row, width: int, skip: Collection[str] = ()) -> list[str]:
    """A cell's lines: each stacked field's but `skip` (an empty one keeps its line), trailing empty lines
    left off."""
    lines = [line for f in column if f.name not in skip for line in _field_lines(f, row.cells[f.name], width)]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


# --- the rich table --------------------------------------------------------------------------------------


def _rich_table(layout: _Layout, rows: list[_Row], spec: TableSpec, title: str | None, caption: str | None) -> Any:
    from rich.table import Table
    from rich.text import Text

    flowing = [bool(spec.group) and all(f.name in spec.group for f in c) for c in layout.columns]
    table = Table(title=None if title is None else terminal_safe(title), caption=caption, header_style="bold")
    for column, width in zip(layout.columns, layout.widths, strict=True):
        header = [line for f in column for line in _field_lines(f, terminal_safe(f.title), width)]
        table.add_column(Text("\n".join(header)), width=width, no_wrap=True, overflow="fold")
    for line in _grid(layout, rows, flowing, spec.group):
        style = "bold" if line.total else ""
        table.add_row(*(Text("\n".join(lines), style=style) for lines in line.cells), end_section=line.ends_section)
    return table


@dataclass(frozen=True)
class _Line:
    """A row of the rich table: each column's lines, bold for a total, a rule below it to end a section."""

    cells: list[list[str]]
    total: bool
    ends_section: bool


def _grid(layout: _Layout, rows: list[_Row], flowing: list[bool], group: Collection[str]) -> list[_Line]:
    """The rows as the table shows them. Group fields show on a group's first row only: a flowing column (of
    group fields only) shows its group's lines one per row down the group, with rows added below the
    group's (empty but for them) when it needs more. A rule goes around whatever takes more than one line
    (a group, a row of stacked fields or wrapped text) and above the totals; one-line rows follow each
    other without one."""
    columns = list(zip(layout.columns, layout.widths, flowing, strict=True))
    spans = [_span_lines(members, columns, group) for members in _spans(rows, bool(group))]
    grid = []
    for n, lines in enumerate(spans):
        after = spans[n + 1] if n + 1 < len(spans) else None
        for i, (line, tall) in enumerate(lines):
            if i + 1 < len(lines):
                ends = tall or lines[i + 1][1]
            else:
                ends = after is not None and (
                    _taller_than_a_line(lines) or _taller_than_a_line(after) or after[0][0].total
                )
            grid.append(_Line(line.cells, line.total, ends))
    return grid


def _taller_than_a_line(lines: list[tuple[_Line, bool]]) -> bool:
    return len(lines) > 1 or lines[0][1]


def _span_lines(
    members: list[_Row], columns: list[tuple[list[Field], int, bool]], group: Collection[str]
) -> list[tuple[_Line, bool]]:
    """A group's lines, each with whether it is taller than one line (outside the flowing columns)."""
    flow = [_cell_lines(c, members[0], w) if flows else [] for c, w, flows in columns]
    height = max(len(members), *(len(lines) for lines in flow))
    out = []
    for i in range(height):
        row = members[i] if i < len(members) else None
        skip = group if i else ()
        cells = [
            lines[i : i + 1] if flows else ([] if row is None else _cell_lines(c, row, w, skip))
            for (c, w, flows), lines in zip(columns, flow, strict=True)
        ]
        tall = any(len(lines) > 1 for lines, (_, _, flows) in zip(cells, columns, strict=True) if not flows)
        out.append((_Line(cells, row is not None and row.total, False), tall))
    return out


def _spans(rows: list[_Row], grouped: bool) -> list[list[_Row]]:
    """The rows in runs that flow together: each group (ending with the row that ends its section)."""
    if not grouped:
        return [[row] for row in rows]
    spans: list[list[_Row]] = [[]]
    for row in rows:
        spans[-1].append(row)
        if row.ends_section:
            spans.append([])
    return [span for span in spans if span]
