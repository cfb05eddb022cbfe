"""Safe exports through the `ledger` command: formula-like names quoted in every CSV (raw with --raw-csv),
control characters escaped in tables, and -o FILE written whole or refused in one line before any work."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ledger.db.engine import make_engine
from ledger.formulas import formula_like
from ledger.render.output import VALUE_COLUMNS
from tests.e2e.runner import Done, ledger

FOCUS_A2 = Path(__file__).resolve().parent.parent / "data" / "focus" / "spec_v1.2_saas_spend_agreements_a2.csv"
LINK = '=HYPERLINK("http://x","y")'

# Payers, payees and resources a spreadsheet would run; HX-3 supersedes HX-2 (a negative adjustment), and
# HX-2 and HX-3 make a loop between `+1` and `-cmd` (a cycle). HX-1 draws down from a FOCUS billing file.
HOSTILE = f"""agreement_id,kind,payer,payee,amount,currency,start_date,term_months,resource,relation_to,relation_kind
HX-1,cloud_commitment,"{LINK.replace('"', '""')}",Acme Co,1200.00,USD,2025-04-01,12,@SUM(1),,
HX-2,cloud_commitment,+1,-cmd,600.00,USD,2026-01-01,12,-2+3,,
HX-3,cloud_commitment,-cmd,+1,300.00,USD,2026-06-01,12,=1+1,HX-2,supersedes
HX-4,chip_agreement,@SUM(1),Chipco,100.00,USD,2026-01-01,12,=tab resource,,
"""
EXPORTS = [
    ["agreements", "--format", "csv"],
    ["schedule", "--by", "month", "--format", "csv"],
    ["schedule", "--consolidated", "--format", "csv"],
    ["schedule", "--consolidated", "--by-agreement", "--format", "csv"],
    ["adjustments", "--format", "csv"],
    ["burn", "--as-of", "2026-04-01", "--format", "csv"],
    ["burn", "--as-of", "2026-04-01", "--periods", "--format", "csv"],
    ["commitments"],
    ["cycles", "--format", "csv"],
]
VALUE = re.compile(r"^(-?\d+(\.\d+)?%?|\d{4}-\d{2}-\d{2}(T00:00:00Z)?|True|False|)$")


def run(*args: str, cwd: Path) -> Done:
    return ledger(*args, cwd=cwd)


def ok(*args: str, cwd: Path) -> str:
    done = run(*args, cwd=cwd)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def hostile(tmp_path: Path, db_url: str) -> tuple[Path, list[str]]:
    """A folder and the `--db` arguments of a ledger holding the hostile names, with spend drawn down."""
    (tmp_path / "hostile.csv").write_text(HOSTILE, encoding="utf-8")
    db = ["--db", db_url]
    ok(*db, "import", "hostile.csv", cwd=tmp_path)
    ok(*db, "ingest", str(FOCUS_A2), "--payer", LINK, cwd=tmp_path)
    return tmp_path, db


def test_every_csv_export_quotes_formula_text_and_only_text(hostile: tuple[Path, list[str]]) -> None:
    folder, db = hostile
    seen: set[str] = set()
    for export in EXPORTS:
        safe, raw = ok(*db, *export, cwd=folder), ok(*db, *export, "--raw-csv", cwd=folder)
        for safe_row, raw_row in zip(rows(safe), rows(raw), strict=True):
            for column, value in raw_row.items():
                if column in VALUE_COLUMNS:
                    assert VALUE.match(value) and safe_row[column] == value, (export, column, value)
                    continue
                seen.add(value)
                quoted = formula_like(value)
                assert safe_row[column] == ("'" + value if quoted else value), (export, column, value)
    assert {LINK, "+1", "-cmd", "@SUM(1)", "-2+3", "=1+1", "+1 → -cmd → +1", "=tab resource"} <= seen


def test_a_tab_or_carriage_return_leading_name_never_reaches_a_csv_cell(tmp_path: Path) -> None:
    """The importer refuses such a name (one line per problem) or strips it; either way no CSV cell begins
    with a tab or a carriage return (the writer would quote it: see tests/unit/test_output_safety.py)."""
    (tmp_path / "tabs.csv").write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,resource\n"
        'TAB-1,cloud_commitment,"\t=cmd","\r+1",10.00,USD,2026-01-01,12,"\t-x"\n',
        encoding="utf-8",
    )
    ok("init", cwd=tmp_path)
    done = run("import", "tabs.csv", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    if done.returncode != 0:
        assert done.returncode == 1 and all(line.startswith("error: tabs.csv:") for line in done.stderr.splitlines())
        return
    cells = [
        c for r in csv.reader(io.StringIO(ok("agreements", "--format", "csv", cwd=tmp_path), newline="")) for c in r
    ]
    assert not any(c.startswith(("\t", "\r")) for c in cells)
    assert {"'=cmd", "'+1", "'-x"} <= set(cells)


def test_the_cells_as_a_spreadsheet_user_gets_them(hostile: tuple[Path, list[str]]) -> None:
    folder, db = hostile
    listing = {r["agreement_id"]: r for r in rows(ok(*db, "agreements", "--format", "csv", cwd=folder))}
    assert (listing["HX-1"]["payer"], listing["HX-1"]["resource"]) == ("'" + LINK, "'@SUM(1)")
    assert (listing["HX-2"]["payer"], listing["HX-2"]["payee"], listing["HX-2"]["resource"]) == (
        "'+1",
        "'-cmd",
        "'-2+3",
    )
    assert (listing["HX-4"]["payer"], listing["HX-4"]["resource"]) == ("'@SUM(1)", "'=tab resource")
    raw = {r["agreement_id"]: r for r in rows(ok(*db, "agreements", "--format", "csv", "--raw-csv", cwd=folder))}
    assert (raw["HX-1"]["payer"], raw["HX-2"]["payee"]) == (LINK, "-cmd")
    (removed,) = rows(ok(*db, "adjustments", "--format", "csv", cwd=folder))
    assert (removed["agreement_id"], removed["amount"]) == ("HX-2", "-350.00")  # a negative amount, untouched
    burn = {r["agreement_id"]: r for r in rows(ok(*db, "burn", "--as-of", "2026-04-01", "--format", "csv", cwd=folder))}
    assert (burn["HX-1"]["payer"], burn["HX-1"]["consumed"]) == ("'" + LINK, "720.00")
    focus = rows(ok(*db, "commitments", cwd=folder))
    description = next(r["ContractCommitmentDescription"] for r in focus if r["ContractId"] == "HX-1")
    assert description.startswith("'" + LINK + " to Acme Co: @SUM(1)")
    (cycle,) = rows(ok(*db, "cycles", "--format", "csv", cwd=folder))
    assert (cycle["cycle"], cycle["bottleneck"]) == ("'+1 → -cmd → +1", "250.00")
    assert '"' + LINK.replace('"', '""') + '"' not in ok(*db, "agreements", "--format", "csv", cwd=folder)


def test_json_stays_raw(hostile: tuple[Path, list[str]]) -> None:
    import json

    folder, db = hostile
    listing = json.loads(ok(*db, "agreements", "--format", "json", cwd=folder))["agreements"]
    assert {a["payer"] for a in listing} == {LINK, "+1", "-cmd", "@SUM(1)"}


def test_output_file_holds_the_same_safe_csv(hostile: tuple[Path, list[str]]) -> None:
    folder, db = hostile
    for export in (["agreements", "--format", "csv"], ["commitments"], ["cycles", "--format", "csv"]):
        ok(*db, *export, "-o", "out.csv", cwd=folder)
        assert (folder / "out.csv").read_text(encoding="utf-8") == ok(*db, *export, cwd=folder)
        ok(*db, *export, "--raw-csv", "-o", "out.csv", cwd=folder)
        assert (folder / "out.csv").read_text(encoding="utf-8") == ok(*db, *export, "--raw-csv", cwd=folder)


ESCAPED_NAME = "\x1b[31mRed\u202eevil"
MARKUP_NAME = "[link=http://evil]click[/link] \x9b2J\u2066"


def test_tables_show_control_characters_escaped(tmp_path: Path, db_url: str) -> None:
    """Names with escape codes and bidi overrides are shown as `\\x1b`, `\\u202e`, markup as typed.

    The names are put in with SQL, as a database written before input was checked, or by another tool,
    holds them: the importer may refuse such names, the tables must show them harmlessly either way.
    """
    (tmp_path / "loop.csv").write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        "ESC-1,cloud_commitment,Esc Payer,Markup Payee,600.00,USD,2026-01-01,12\n"
        "ESC-2,equity_investment,Markup Payee,Esc Payer,300.00,USD,2026-01-01,\n",
        encoding="utf-8",
    )
    db = ["--db", db_url]
    ok(*db, "import", "loop.csv", cwd=tmp_path)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            for old, new in (("Esc Payer", ESCAPED_NAME), ("Markup Payee", MARKUP_NAME)):
                connection.execute(text("UPDATE party SET name = :new WHERE name = :old"), {"new": new, "old": old})
    except Exception as error:  # pragma: no cover - a database that refuses control characters outright
        pytest.skip(f"the database refuses control characters in names: {error}")
    finally:
        engine.dispose()
    for command in (
        ["agreements"],
        ["schedule", "--consolidated"],
        ["burn", "--as-of", "2026-04-01"],
        ["cycles"],
        ["commitments", "--format", "table"],
    ):
        shown = ok(*db, *command, "--wide", cwd=tmp_path)  # names on one line, as typed
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown), command
        assert "\\x1b[31mRed\\u202eevil" in shown, command
        if command != ["commitments", "--format", "table"]:  # its descriptions carry the names, wrapped
            assert "[link=http://evil]click[/link] \\x9b2J\\u2066" in shown, command


@pytest.mark.parametrize(
    ("command", "target", "reason"),
    [
        (["agreements", "--format", "csv"], "missing/out.csv", "the folder missing does not exist"),
        (["schedule", "--format", "csv"], "missing/deeper/out.csv", "the folder missing/deeper does not exist"),
        (["burn", "--format", "csv"], ".", "it is a folder"),
        (["adjustments", "--format", "csv"], "folder", "it is a folder"),
        (["commitments"], "deals.csv/out.csv", "deals.csv is not a folder"),
        (["cycles", "--format", "csv"], "/proc/ledger.csv", "cannot create files in /proc"),
        (["cycles", "--format", "png"], "missing/cycles.png", "the folder missing does not exist"),
        (["reconcile"], "missing/findings.txt", "the folder missing does not exist"),
        (["agreements", "--format", "csv"], "ledger.db", "it is the ledger's database"),
        (["quickstart"], "missing/schedule.csv", "the folder missing does not exist"),
    ],
)
def test_unwritable_output_is_one_line_before_any_work(
    tmp_path: Path, command: list[str], target: str, reason: str
) -> None:
    """Exit 1, `error: cannot write FILE: reason`, no traceback, no file left, the database never opened."""
    (tmp_path / "deals.csv").write_text("not a folder\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "ledger.db").write_bytes(b"")  # the default database: an empty file, never opened
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = run(*command, "-o", target, cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()) == (1, [f"error: cannot write {target}: {reason}"])
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "ledger.db").read_bytes() == b""


@pytest.mark.parametrize(
    "target",
    ["/proc/version", "/sys/ledger.csv"],  # a read-only file and a read-only folder, for root as for anyone
)
def test_read_only_targets_are_refused_in_one_line(tmp_path: Path, target: str) -> None:
    done = run("--db", f"sqlite:///{tmp_path / 'never.db'}", "agreements", "-o", target, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: cannot write {target}: ")
    assert not (tmp_path / "never.db").exists()  # refused before the database was touched


def test_a_full_device_is_one_line_and_devices_stay_devices(tmp_path: Path) -> None:
    ok("init", cwd=tmp_path)
    done = run("agreements", "--format", "csv", "-o", "/dev/full", cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        ["error: cannot write /dev/full: no space left on device"],
    )
    ok("agreements", "--format", "csv", "-o", "/dev/null", cwd=tmp_path)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_failed_render_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.cli import app
    from ledger.render import output

    shutil.copy(sqlite_template, tmp_path / "ledger.db")
    db_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    out = tmp_path / "out.csv"
    out.write_text("the listing of yesterday\n")
    out.chmod(0o640)

    def half_then_fail(frame: object, handle: io.TextIOBase, *, raw: bool = False) -> None:
        handle.write("agreement_id,kind\nHALF")
        raise RuntimeError("render failed")

    monkeypatch.setattr(output, "write_csv", half_then_fail)
    result = CliRunner().invoke(app, ["--db", db_url, "agreements", "--format", "csv", "-o", str(out)])
    assert isinstance(result.exception, RuntimeError)
    assert out.read_text() == "the listing of yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db", "out.csv"]
    monkeypatch.undo()
    result = CliRunner().invoke(app, ["--db", db_url, "agreements", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("agreement_id,kind,") and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db", "out.csv"]
