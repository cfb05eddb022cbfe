"""The book of record on screen and in files: history entries (table, CSV, JSON) and one record's view."""

from __future__ import annotations

import json
import textwrap
from typing import IO, Any

import pandas as pd

from ledger.render.burn_output import position_record
from ledger.render.output import (
    ADJUSTMENT_CSV_COLUMNS,
    SCHEDULE_CSV_COLUMNS,
    as_text,
    grouped_amount,
    terminal_safe,
    write_csv,
    write_json,
)
from ledger.render.tables import Field, TableSpec, print_table, terminal_width

HISTORY_COLUMNS = ["id", "recorded_at", "entity", "key", "action", "author", "reason", "source", "sha256", "changes"]
SHOWN_VALUE = 60  # characters of one old or new value in a table; CSV and JSON keep them whole


def _value(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


def _whole(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def change_lines(changes: dict[str, list[Any]] | None, *, whole: bool = False) -> str:
    """Field-level differences as `field: old -> new`, one per line."""
    if not changes:
        return ""
    shown = _whole if whole else _value
    return "\n".join(f"{name}: {shown(old)} -> {shown(new)}" for name, (old, new) in changes.items())


def history_text(frame: pd.DataFrame, *, whole: bool = False) -> pd.DataFrame:
    """History entries as text columns (changes as lines of `field: old -> new`)."""
    text = frame[HISTORY_COLUMNS].astype(object)
    text["id"] = frame["id"].map(str)
    text["changes"] = [change_lines(c, whole=whole) for c in frame["changes"]]
    return text.where(text.notna(), None)


def write_history(frame: pd.DataFrame, fmt: str, out: IO[str], *, raw_csv: bool = False) -> None:
    if fmt == "json":
        entries = [
            {k: (None if v is None or v is pd.NA else v) for k, v in row.items()} for row in frame.to_dict("records")
        ]
        write_json({"history": entries}, out)
    elif fmt == "csv":
        write_csv(history_text(frame, whole=True), out, raw=raw_csv)
    else:
        out.write(history_log(frame))


def history_log(frame: pd.DataFrame, width: int | None = None) -> str:
    """The history as a log a person reads, newest first, one block per change (as `git log` shows commits):

        #4  2026-12-01 16:18:01 UTC  agreement ACME-AWS-2026: update
            by bob: amendment 1: 24 months
            from acme-aws-restated.csv:2 (SHA-256 471a0f7bd78f…)
            term_months: 12 -> 24

    Wrapped to `width` (the terminal's, else 100) and shown as text only (control characters escaped)."""
    width = width or _width()
    blocks = []
    for e in frame.to_dict("records"):
        when = str(e["recorded_at"])[:19].replace("T", " ")
        lines = [f"#{e['id']}  {when} UTC  {e['entity'].replace('_', ' ')} {e['key']}: {e['action']}"]
        lines += _wrapped(f"by {e['author']}" + (f": {e['reason']}" if e["reason"] else ""), width)
        if e["source"] or e["sha256"]:
            sha = f"SHA-256 {e['sha256'][:12]}…" if e["sha256"] else ""
            where = f"from {e['source']}" + (f" ({sha})" if sha else "") if e["source"] else sha
            lines += _wrapped(where, width)
        for line in change_lines(e["changes"]).splitlines():
            lines += _wrapped(line, width)
        blocks.append("\n".join(terminal_safe(line) for line in lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="      ") or ["    "]


def _width() -> int:
    from rich.console import Console

    console = Console()
    return console.width if console.is_terminal else 100


def view_json(view: Any) -> dict[str, Any]:
    """A RecordView (ledger.api) as JSON: the record, its state, relations, schedule, adjustments, position and
    history."""
    state = view.state
    payload: dict[str, Any] = {
        "key": state.key,
        "entity": state.entity.value,
        "state": state.state,
        "since": state.recorded_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "record": state.record,
    }
    if view.schedule is not None:
        payload["related_by"] = [{"agreement_id": a, "kind": k} for a, k in view.incoming]
        payload["schedule"] = _lines(as_text(view.schedule, SCHEDULE_CSV_COLUMNS))
        payload["adjustments"] = _lines(as_text(view.adjustments, ADJUSTMENT_CSV_COLUMNS))
        payload["position"] = None if view.position is None else position_record(view.position)
    payload["history"] = [
        {k: (None if v is None or v is pd.NA else v) for k, v in row.items() if k != "record"}
        for row in view.history.to_dict("records")
    ]
    return payload


def _lines(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


# The tables of `ledger show`: the record's fields, the agreements relating to it, its yearly schedule and
# adjustments (each with its total) and its burn position.
FIELDS_TABLE = TableSpec(fields=(Field("field"), Field("value", "text")))
RELATING_TABLE = TableSpec(fields=(Field("agreement_id"), Field("relation")))
SCHEDULE_TABLE = TableSpec(
    fields=(Field("period"), Field("amount", "money")), sums=("amount",), totals=True, label="period"
)
ADJUSTMENTS_TABLE = TableSpec(
    fields=(
        Field("period"),
        Field("relation_kind", header="relation", give_way=2, under="period"),
        Field("related_id", give_way=1, under="period"),
        Field("amount", "money"),
    ),
    sums=("amount",),
    totals=True,
    label="period",
)
BURN_TABLE = TableSpec(fields=(Field("measure", header=""), Field("value", "number")))
BURN_SHOWN = ["status", "committed", "consumed", "remaining", "utilization", "shortfall", "met_on"]


def write_view(view: Any, fmt: str, out: IO[str]) -> None:
    if fmt == "json":
        write_json(view_json(view), out)
        return
    state = view.state
    fields = pd.DataFrame(
        [(name, _field_text(value)) for name, value in (state.record or {}).items()], columns=["field", "value"]
    )
    since = state.recorded_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    title = f"{state.entity.value.replace('_', ' ')} {state.key}: {state.state} (since {since})"
    print_table(fields, FIELDS_TABLE, out, title=title)
    if view.schedule is not None:
        if view.incoming:
            related = pd.DataFrame(view.incoming, columns=["agreement_id", "relation"])
            print_table(related, RELATING_TABLE, out, title="Agreements relating to it")
        lines = as_text(view.schedule, SCHEDULE_CSV_COLUMNS)
        print_table(lines, SCHEDULE_TABLE, out, title="Yearly schedule")
        if len(view.adjustments):
            adjustments = as_text(view.adjustments, ADJUSTMENT_CSV_COLUMNS)
            print_table(adjustments, ADJUSTMENTS_TABLE, out, title="Consolidation adjustments")
        if view.position is not None:
            print_table(_burn(position_record(view.position)), BURN_TABLE, out, title=f"Burn on {view.position.as_of}")
    out.write("\nHistory, newest first\n\n" + history_log(view.history, width=terminal_width(out)))


def _burn(record: dict[str, Any]) -> pd.DataFrame:
    """A burn position's main measures, one per line, amounts grouped with their currency."""
    money = {"committed", "consumed", "remaining", "shortfall"}
    values = [
        f"{grouped_amount(record[k])} {record['currency']}" if k in money and record[k] is not None else record[k]
        for k in BURN_SHOWN
    ]
    return pd.DataFrame({"measure": [k.replace("_", " ") for k in BURN_SHOWN], "value": values})


def _field_text(value: Any) -> str | list[str]:
    """A field's value as text; a list of objects (sources, relations, tranches) as one line per object."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return [", ".join(f"{k}: {v}" for k, v in item.items()) for item in value]
    return json.dumps(value, ensure_ascii=False)
