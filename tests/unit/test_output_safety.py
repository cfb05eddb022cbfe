"""Safe exports without a database: formula cells neutralised by column, tables that escape control
characters, and output files written whole or not at all."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.formulas import neutralise_formula, unneutralise_formula
from ledger.render import burn_output, flows_output, output
from ledger.render.files import OutputFileError, atomic_output, atomic_path, check_writable
from ledger.render.tables import Field, TableSpec, print_table

TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]
UNSAFE = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))]


def csv_rows(frame: pd.DataFrame, *, raw: bool = False) -> list[list[str]]:
    out = io.StringIO()
    output.write_csv(frame, out, raw=raw)
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_owasp_trigger_is_quoted_in_text_columns(trigger: str) -> None:
    frame = pd.DataFrame({"payer": [f"{trigger}cmd", "Acme"], "amount": ["-12.50", "3.00"]})
    assert csv_rows(frame) == [["payer", "amount"], [f"'{trigger}cmd", "-12.50"], ["Acme", "3.00"]]
    assert csv_rows(frame, raw=True) == [["payer", "amount"], [f"{trigger}cmd", "-12.50"], ["Acme", "3.00"]]


def test_decided_by_column_not_by_cell() -> None:
    """A name that looks like a negative amount is quoted; a negative amount is not; missing stays empty."""
    frame = pd.DataFrame(
        {
            "agreement_id": ["A", "B", "C"],
            "payer": ["-12.50", None, "=1+1"],
            "resource": ["@SUM(1)", "GPU", None],
            "amount": ["-12.50", "-0.01", None],
            "period_start": ["2026-01-01", "2026-02-01", "2026-03-01"],
            "days_left": [-1, 0, 5],
        }
    )
    assert csv_rows(frame)[1:] == [
        ["A", "'-12.50", "'@SUM(1)", "-12.50", "2026-01-01", "-1"],
        ["B", "", "GPU", "-0.01", "2026-02-01", "0"],
        ["C", "'=1+1", "", "", "2026-03-01", "5"],
    ]


def test_money_and_dates_of_every_export_are_value_columns() -> None:
    """Every column of every export that holds an amount, a date or a count is left as it is; names are text."""
    money = {
        *burn_output.MONEY_COLUMNS, *burn_output.PERIOD_MONEY_COLUMNS, "amount", "ContractCommitmentCost",
        "ContractCommitmentQuantity", "bottleneck", "bottleneck_up_to",
    }  # fmt: skip
    dates = {c for c in [*burn_output.BURN_COLUMNS, *burn_output.PERIOD_COLUMNS] if c.endswith(("_date", "_on"))}
    dates |= {c for c in burn_output.FOCUS_COMMITMENT_COLUMNS if "PeriodStart" in c or "PeriodEnd" in c}
    dates |= {c for c in output.SCHEDULE_CSV_COLUMNS if c.startswith("period_")}
    counts = {"days_left", "months_left", "utilization", "term_months", "length"}
    assert money | dates | counts <= output.VALUE_COLUMNS
    text = {
        "agreement_id", "payer", "payee", "resource", "related_id", "contract_id", "notes", "cycle", "agreements",
        "ContractCommitmentId", "ContractCommitmentDescription", "ContractCommitmentUnit", "ContractId", "period",
    }  # fmt: skip
    assert not text & output.VALUE_COLUMNS
    every = {
        *output.SCHEDULE_CSV_COLUMNS, *output.CONSOLIDATED_CSV_COLUMNS, *output.ADJUSTMENT_CSV_COLUMNS,
        *output.LISTING_COLUMNS, *burn_output.BURN_COLUMNS, *burn_output.PERIOD_COLUMNS,
        *burn_output.FOCUS_COMMITMENT_COLUMNS, *flows_output.CYCLE_CSV_COLUMNS,
    }  # fmt: skip
    assert output.VALUE_COLUMNS - {"difference"} <= every  # no stale names


@given(st.lists(st.text(max_size=12) | st.sampled_from(["'=x", "''+1", "'", "'a", "O'Reilly"]), min_size=1, max_size=8))
def test_safe_csv_reads_back_as_the_text_or_the_quoted_text(names: list[str]) -> None:
    frame = pd.DataFrame({"payer": names, "amount": ["-1.00"] * len(names)})
    raw = csv_rows(frame, raw=True)
    safe = csv_rows(frame)
    assert [r[0] for r in raw[1:]] == names  # raw is exact, \r and \n included
    for name, row in zip(names, safe[1:], strict=True):
        assert row == [("'" + name) if name.lstrip("'").startswith(tuple(TRIGGERS)) else name, "-1.00"]
        assert unneutralise_formula(row[0]) == name  # what `ledger import` reads: one quote off, exactly


def test_a_quoted_looking_value_gets_one_more_quote() -> None:
    """So that taking one quote off always gives the value: `'=x` (a value that has a quote) is `''=x`."""
    values = ["=x", "'=x", "''@y", "'x", "'", "x="]
    assert [neutralise_formula(v) for v in values] == ["'=x", "''=x", "'''@y", "'x", "'", "x="]
    cells = ["'=x", "''=x", "'x", "'", "=x", "'\t"]
    assert [unneutralise_formula(c) for c in cells] == ["=x", "'=x", "'x", "'", "=x", "\t"]


def test_carriage_returns_are_quoted_so_rows_stay_whole() -> None:
    frame = pd.DataFrame({"payer": ["a\rb", "\r=x", "plain"], "amount": ["1.00", "2.00", "3.00"]})
    out = io.StringIO()
    output.write_csv(frame, out)
    assert out.getvalue() == 'payer,amount\n"a\rb",1.00\n"\'\r=x",2.00\nplain,3.00\n'


def test_frames_without_risky_cells_are_written_unchanged() -> None:
    frame = pd.DataFrame({"agreement_id": ["A"] * 3, "period": ["2026", "2027", None], "amount": ["1.00"] * 3})
    assert output.spreadsheet_safe(frame) is frame


@pytest.mark.parametrize("char", UNSAFE)
def test_terminal_safe_escapes_every_control_and_bidi_character(char: str) -> None:
    shown = output.terminal_safe(f"a{char}b")
    assert char not in shown and shown.startswith("a\\") and shown.endswith("b")


def test_terminal_safe_spelling_and_what_it_leaves_alone() -> None:
    assert output.terminal_safe("\x1b[31mRed\u202eevil") == "\\x1b[31mRed\\u202eevil"
    assert output.terminal_safe("\t\n\r\x00\x7f\x9b\u2066") == "\\t\\n\\r\\x00\\x7f\\x9b\\u2066"
    kept = "Amazon → OpenAI, Société Générale, 株式会社, 12,500,000.00 [link] :smile:"
    assert output.terminal_safe(kept) == kept


@given(st.text())
def test_terminal_safe_never_lets_an_unsafe_character_through(text: str) -> None:
    assert not set(output.terminal_safe(text)) & set(UNSAFE)


def test_tables_show_names_as_typed_never_as_codes_or_markup() -> None:
    frame = pd.DataFrame(
        {"payer": ["\x1b[31mRed\u202eevil", "[link=http://evil]click[/link] :smile:"], "amount": ["1", "2"]}
    )
    out = io.StringIO()
    spec = TableSpec((Field("payer", "text"), Field("amount", "money")))
    print_table(frame, spec, out, title="[bold]Title\x1b[2J", caption="\u2066caption", width=120)
    text = out.getvalue()
    assert not set(text) & set(UNSAFE) - {"\n"}
    for shown in ("\\x1b[31mRed\\u202eevil", "[link=http://evil]click[/link] :smile:", "[bold]Title\\x1b[2J"):
        assert shown in text
    assert "\\u2066caption" in text


def write(path: Path, content: str, *, fail: bool = False) -> None:
    """Render `content` into FILE, failing half-way when asked."""
    with atomic_output(path) as handle:
        handle.write(content)
        if fail:
            raise RuntimeError("render failed")


def test_atomic_output_leaves_an_old_file_untouched_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="render failed"):
        write(target, "half a listing", fail=True)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_output_creates_nothing_when_the_render_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="render failed"):
        write(tmp_path / "new.csv", "x", fail=True)
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_keeps_mode_and_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with atomic_output(link) as handle:
        handle.write("new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.csv"
    with atomic_output(fresh) as handle:
        handle.write("x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.csv", "link.csv", "real.csv"]


def test_atomic_path_keeps_the_suffix_for_picture_libraries(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "cycles.png") as part:
        assert part.suffix == ".png" and part.parent == tmp_path
        part.write_bytes(b"png")
    assert (tmp_path / "cycles.png").read_bytes() == b"png"
    assert [p.name for p in tmp_path.iterdir()] == ["cycles.png"]


def test_devices_are_written_in_place_never_renamed_over() -> None:
    with atomic_output(Path("/dev/null")) as handle:
        handle.write("gone\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    with pytest.raises(OutputFileError, match=r"^cannot write /dev/full: no space left on device$"):
        write(Path("/dev/full"), "x" * 100_000)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing/x.csv", "cannot write {tmp}/missing/x.csv: the folder {tmp}/missing does not exist"),
        ("", "cannot write {tmp}: it is a folder"),
        ("file.txt/x.csv", "cannot write {tmp}/file.txt/x.csv: {tmp}/file.txt is not a folder"),
    ],
)
def test_check_writable_refuses_in_one_line(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "file.txt").write_text("a file\n")
    with pytest.raises(OutputFileError) as refused:
        check_writable(tmp_path / name if name else tmp_path)
    assert str(refused.value) == message.format(tmp=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/proc/version", r"^cannot write /proc/version: \S.*$"),  # a read-only file, for root too
        ("/proc/ledger.csv", r"^cannot write /proc/ledger.csv: cannot create files in /proc$"),
    ],
)
def test_check_writable_refuses_what_even_root_cannot_write(path: str, message: str) -> None:
    with pytest.raises(OutputFileError, match=message):
        check_writable(Path(path))
