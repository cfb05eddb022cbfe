"""The CSV fast path against the row-by-row validator: same agreements, same errors, on any file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import InputError
from ledger.io.readers import read_ledger_file

# column -> (valid cells, invalid or row-by-row-only cells); valid ones are drawn far more often
CELLS = {
    "agreement_id": (["A-1", " B.2 ", "C:3/4", "D_5"], ["x" * 101, "", "bad id"]),
    "kind": (["cloud_commitment", "Chip_Agreement", " equity_investment", "funding_round"], ["loan", ""]),
    "payer": (["OpenAI", " Acme "], ["", "p" * 201]),
    "payee": (["Amazon Web Services", "Cloudco"], ["OpenAI", ""]),
    "amount": (["100000000000.00", "0.5", "1.500", "99999999999.99", " 7 "], ["12.345", "1e9", "1,000", "1" * 18, ""]),
    "currency": (["USD", "jpy", "BHD", "eur "], ["XYZ", ""]),
    "start_date": (
        ["2026-03-01", "2024-02-29", " 2025-01-31 ", "2025-08-31"],
        ["2026-02-30", "01/03/2026", "1850-06-01", ""],
    ),
    "term_months": (["12", "84", "1", "1200"], ["0", "1201", "012", "twelve", " 7", ""]),
    "end_date": ([""], ["2027-02-28", "2030-12-31", "2026-01-01", "bad"]),
    "profile": (["", "straight_line", "STRAIGHT_LINE"], ["ramp", "tranches", "other"]),
    "basis": (["", "monthly", "Daily"], ["weekly"]),
    "amount_qualifier": (["", "", "exact", "up_to", "approximately"], ["Undisclosed", "maybe"]),
    "status": (["", "binding", "Proposed"], ["done"]),
    "confidence": (["", "high", "LOW"], ["sure"]),
    "relation_to": ([""], ["Z-9", "A-1", "bad id"]),
    "relation_kind": ([""], ["additional", "Supersedes", "parent"]),
    "source_url": (["", "https://example.com/a"], ["ftp://x", "http://x y"]),
    "source_title": (["", " A title "], []),
    "source_date": (["", "2026-01-05"], ["2026-13-01"]),
    "announced_on": (["", "2025-11-03"], ["yesterday"]),
    "resource": (["", " GPUs ", "TPU"], []),
    "notes": (["", "about $3B per year"], []),
    "tranche_amounts": ([""] * 6, ["60000000000.00;40000000000.00", "1;2"]),
    "ramp_weights": ([""] * 6, ["1;2", "x"]),
    "quantity": (["", "", "2", "3.5"], ["lots"]),
    "unit": (["", "", "GW"], []),
    "chip_family": (["", "Trainium"], []),
    "participants": (["", "Amazon; Nvidia"], []),
    "assumptions": (["", "start_date: assumed"], []),
}
COLUMNS = {column: valid * 6 + invalid for column, (valid, invalid) in CELLS.items()}
# cells that only make sense together are drawn together
PAIRS = {
    ("term_months", "end_date"): [("84", ""), ("", "2030-12-31"), ("12", "2027-02-28"), ("12", "2027-02-27")],
    ("relation_to", "relation_kind"): [
        ("Z-9", "additional"),
        ("Z-9", "Supersedes"),
        ("A-1", "tranche_of"),
        ("Z-9", ""),
    ],
    ("amount", "amount_qualifier"): [("", "undisclosed"), ("", ""), ("5.00", "up_to"), ("5.00", "undisclosed")],
    ("profile", "tranche_amounts", "ramp_weights", "amount", "term_months", "end_date"): [
        ("tranches", "60000000000.00;40000000000.00", "", "100000000000.00", "24", ""),
        ("Tranches", "0.5;0.25", "", "0.75", "13", ""),
        ("tranches", "1.00; 2.00;3", "", "6.00", "", "2028-06-30"),
        ("ramp", "", "", "100000000000.00", "36", ""),
        ("RAMP", "", "3;2;1", "6.00", "36", ""),
        ("ramp", "", "0;0", "6.00", "24", ""),
        ("ramp", "", "1;2", "6.00", "36", ""),
        ("tranches", "1.00;2.00", "", "4.00", "24", ""),
        ("tranches", "1.001;2", "", "3.00", "24", ""),
        ("ramp", "5.00", "", "6.00", "24", ""),
        ("straight_line", "1.00", "", "1.00", "12", ""),
        ("tranches", "", "", "1.00", "12", ""),
        ("ramp", "", "1;1", "", "24", ""),
    ],
}


def rows_strategy() -> st.SearchStrategy[dict[str, str]]:
    single = st.fixed_dictionaries({column: st.sampled_from(values) for column, values in COLUMNS.items()})
    pairs = st.fixed_dictionaries({columns: st.sampled_from(values) for columns, values in PAIRS.items()})

    def merge(cells: dict[str, str], paired: dict[tuple[str, str], tuple[str, str]], use: list[bool]) -> dict[str, str]:
        out = dict(cells)
        for on, (columns, values) in zip(use, paired.items(), strict=True):
            if on:
                out.update(zip(columns, values, strict=True))
        return out

    return st.builds(merge, single, pairs, st.lists(st.booleans(), min_size=len(PAIRS), max_size=len(PAIRS)))


def read(path: Path, fast: bool) -> tuple[pd.DataFrame | None, list[str] | None]:
    try:
        batch = read_ledger_file(path, fast=fast).batch
    except InputError as error:
        return None, [str(p) for p in error.problems]
    return batch, None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(rows_strategy(), min_size=1, max_size=6),
    st.sets(st.sampled_from(sorted(COLUMNS)), min_size=0, max_size=8),
)
def test_fast_and_row_by_row_agree(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]], dropped: set[str]
) -> None:
    required = {"agreement_id", "kind", "payer", "payee", "amount", "currency", "start_date"}
    header = [c for c in COLUMNS if c in required or c not in dropped]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("fast") / "deals.csv"
    path.write_text(text.getvalue())
    fast, fast_errors = read(path, fast=True)
    slow, slow_errors = read(path, fast=False)
    assert fast_errors == slow_errors
    if slow is None:
        return
    assert fast is not None
    assert fast.digests().tolist() == slow.digests().tolist()
    for name in ("agreements", "slices", "relations", "sources", "capacities"):
        pd.testing.assert_frame_equal(
            getattr(fast, name).reset_index(drop=True), getattr(slow, name).reset_index(drop=True), check_dtype=False
        )


def test_the_fast_path_takes_plain_rows() -> None:
    from ledger.io.csv_fast import split_rows

    frame = pd.DataFrame(
        {
            "agreement_id": ["A", "B", "C", "D"],
            "kind": ["cloud_commitment"] * 4,
            "payer": ["P"] * 4,
            "payee": ["Q"] * 4,
            "amount": ["1.00", "1.00", "1.00", "3.00"],
            "currency": ["USD"] * 4,
            "start_date": ["2026-01-01"] * 4,
            "term_months": ["12", "12", "12", "24"],
            "profile": ["", "ramp", "", "tranches"],
            "basis": ["", "", "hourly", ""],
            "tranche_amounts": ["", "", "", "1.00;1.00"],
        }
    )
    # a plain row and a ramp are taken; a bad basis and tranches that do not sum go row by row
    assert split_rows(frame).tolist() == [True, True, False, False]
