"""Every database failure a user can cause, through the `ledger` command: exit 1, one `error:` line that
names the database (never its password), no traceback, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.test_cli import run

SIMPLE = "payer,payee,charge_period_start,charge_period_end,amount,currency\nLab,Cloud,2025-01-01,2025-01-02,1.00,USD\n"
DEALS = "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\nX,cloud_commitment,Lab,Cloud,1.00,USD,2025-01-01,12\n"
TOP = "999999999999999.99"


def one_error(args: list[str], cwd: Path, contains: str) -> str:
    done = run(*args, cwd=cwd)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert contains in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "charges.csv").write_text(SIMPLE)
    (tmp_path / "deals.csv").write_text(DEALS)
    (tmp_path / "not_a_db.db").write_text("hello, I am a text file\n")
    return tmp_path


@pytest.mark.parametrize(
    ("url", "contains"),
    [
        ("sqlite:///not_a_db.db", "sqlite:///not_a_db.db is not a ledger database: file is not a database"),
        ("sqlite:///no/such/folder/x.db", "cannot use the database sqlite:///no/such/folder/x.db: unable to open"),
        ("postgresql://postgres:secret@127.0.0.1:abc/test", "invalid literal for int()"),
        ("postgresql://postgres:secret@127.0.0.1:5432/test?bogus=1", 'invalid connection option "bogus"'),
        ("postgresql://postgres:secret@127.0.0.1:1/test", "Connection refused"),
        ("postgresql://postgres:secret@127.0.0.1:5432/no_such_db_here", 'database "no_such_db_here" does not exist'),
        ("mysql://root@127.0.0.1/test", "expected a SQLite or PostgreSQL URL"),
        ("postgresql+pg8000://postgres:secret@127.0.0.1/test", "its driver is not installed (No module named"),
    ],
)
@pytest.mark.parametrize("command", [["agreements"], ["import", "deals.csv"], ["ingest", "-f", "csv", "charges.csv"]])
def test_unusable_databases(files: Path, url: str, contains: str, command: list[str]) -> None:
    line = one_error(["--db", url, *command], files, contains)
    assert "secret" not in line


def test_read_only_sqlite_refuses_writes_and_serves_reads(files: Path, seeded_sqlite: Path) -> None:
    shutil.copy(seeded_sqlite, files / "ledger.db")
    read_only = "sqlite:///file:ledger.db?mode=ro&uri=true"  # read-only even for root, unlike chmod
    before = (files / "ledger.db").read_bytes()
    for command in (["import", "deals.csv"], ["ingest", "-f", "csv", "charges.csv"], ["seed"]):
        one_error(["--db", read_only, *command], files, "it is read-only (attempt to write a readonly database)")
    assert (files / "ledger.db").read_bytes() == before
    done = run("--db", read_only, "agreements", "--format", "csv", cwd=files)
    assert done.returncode == 0 and "OAI-AWS-2025-11" in done.stdout


def test_money_past_the_limits_is_refused_in_one_line(files: Path) -> None:
    url = f"sqlite:///{files / 'book.db'}"
    assert run("--db", url, "init", cwd=files).returncode == 0
    many = files / "many.csv"
    many.write_text(SIMPLE.splitlines()[0] + "\n" + f"Lab,Cloud,2025-01-01,2025-01-02,{TOP},USD\n" * 100)
    one_error(["--db", url, "ingest", "-f", "csv", "many.csv"], files, "sum to more than 10000000000000000.00 USD")
    deals = files / "big.csv"
    deals.write_text(
        DEALS.splitlines()[0]
        + "\n"
        + "".join(f"B{i},cloud_commitment,Lab,Cloud,{TOP},USD,2025-01-01,12\n" for i in range(11))
    )
    one_error(["--db", url, "import", "big.csv"], files, "agreement amounts in USD would total more than")
    done = run("--db", url, "agreements", "--format", "csv", cwd=files)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1  # the header only: nothing was written


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1e9"])
def test_a_bad_lock_timeout_is_one_line(files: Path, value: str) -> None:
    done = run("agreements", cwd=files, env={"LEDGER_LOCK_TIMEOUT": value})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"error: LEDGER_LOCK_TIMEOUT={value!r}: expected a number of seconds between 0 and 86400"
    ]


READS = [
    ["burn"],
    ["burn", "--as-of", "2026-04-01", "--periods", "--format", "csv"],
    ["burn", "--as-of", "2026-04-01", "--format", "json"],
    ["schedule", "--by", "quarter", "--format", "csv"],
    ["schedule", "--consolidated", "--rollup"],
    ["adjustments", "--format", "json"],
    ["reconcile"],
    ["reconcile", "--format", "json"],
    ["cycles"],
    ["cycles", "--year", "2026"],
    ["cycles", "--as-of", "2026-01-01", "--format", "json"],
    ["show", "OAI-AWS-2026-02", "--format", "json"],
    ["history", "--format", "csv"],
    ["agreements", "--format", "yaml"],
    ["schedule", "--known-as-of", "2999-01-01", "--format", "csv"],
    ["cycles", "--include-proposed", "--format", "csv"],
    ["commitments"],
    ["parties", "list"],
]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_reads_on_a_read_only_sqlite_file_work_and_write_nothing(
    files: Path, seeded_sqlite: Path, command: list[str]
) -> None:
    shutil.copy(seeded_sqlite, files / "ledger.db")
    before = (files / "ledger.db").read_bytes()
    done = run("--db", "sqlite:///file:ledger.db?mode=ro&uri=true", *command, cwd=files)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (files / "ledger.db").read_bytes() == before
    writable = run("--db", "sqlite:///ledger.db", *command, cwd=files)
    assert (done.stdout, done.stderr) == (writable.stdout, writable.stderr)  # the same answer as a writable file


def test_cycles_that_would_save_refuse_a_read_only_file(files: Path, seeded_sqlite: Path) -> None:
    shutil.copy(seeded_sqlite, files / "ledger.db")
    before = (files / "ledger.db").read_bytes()
    read_only = "sqlite:///file:ledger.db?mode=ro&uri=true"
    one_error(["--db", read_only, "cycles", "--save"], files, "it is read-only (attempt to write a readonly database)")
    assert (files / "ledger.db").read_bytes() == before


def test_output_over_the_database_named_by_a_uri_is_refused(files: Path, seeded_sqlite: Path) -> None:
    shutil.copy(seeded_sqlite, files / "ledger.db")
    before = (files / "ledger.db").read_bytes()
    read_only = "sqlite:///file:ledger.db?mode=ro&uri=true"
    one_error(["--db", read_only, "burn", "-o", "ledger.db"], files, "it is the ledger's database")
    assert (files / "ledger.db").read_bytes() == before
