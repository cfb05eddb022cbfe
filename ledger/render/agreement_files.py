"""The agreements as an import file: CSV, YAML or JSON that `ledger import` reads back as the same agreements.

The records are `AgreementBatch.to_records()`: plain values only, with a fixed set of keys. CSV has one
column per key, and the lists in a cell: `relations`, `sources` and `tranches` as a JSON array (what the
importer reads there), `ramp_weights` as `1;2;3`. The same book gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

import pandas as pd
import yaml

from ledger.render import output

FORMATS = ("csv", "yaml", "json")


def write_agreements(
    records: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, out: IO[str], *, raw: bool = False
) -> None:
    """Write the records as `fmt` (csv, yaml or json). CSV has exactly `columns`, quoted against spreadsheet
    formulas unless `raw` (the importer takes the quote off again)."""
    if fmt == "csv":
        output.write_csv(agreements_frame(records, columns), out, raw=raw)
    elif fmt == "yaml":
        write_yaml(records, out)
    elif fmt == "json":
        output.write_json({"agreements": list(records)}, out)
    else:
        raise ValueError(f"an agreement file format: one of {', '.join(FORMATS)}")


def agreements_frame(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """The records as CSV cells: one object column per key (None: an empty cell), lists as their cell text."""
    return pd.DataFrame(
        {column: pd.Series([_cell(r.get(column)) for r in records], dtype=object) for column in columns},
        columns=list(columns),
    )


def _cell(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    if value and not isinstance(value[0], dict):
        return ";".join(str(v) for v in value)  # ramp weights, as the importer splits them
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# libyaml's emitter where PyYAML has it (its wheels do): twice as fast as PyYAML's own, which writes the same
# agreements but not always the same bytes (it leaves characters past U+FFFF unescaped).
YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_NEVER_FOLDED = 2**31 - 1  # a line width no text reaches (libyaml takes a C int)


def write_yaml(records: Sequence[dict[str, Any]], out: IO[str], dumper: type[yaml.SafeDumper] = YAML_DUMPER) -> None:
    """A document `agreements: [...]`, keys in the records' order, text as written (no line is folded)."""
    yaml.dump(
        {"agreements": list(records)}, out, Dumper=dumper, sort_keys=False, allow_unicode=True, width=_NEVER_FOLDED,
        default_flow_style=False,
    )  # fmt: skip
